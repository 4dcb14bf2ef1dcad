"""Celery autodiscovers `reporting.tasks`: each room's tasks module is imported here so the
worker knows every task of reporting/."""

from reporting.flow.tasks import reminders_send

__all__ = ["reminders_send"]
