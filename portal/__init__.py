"""The street-office portal: project settings and the shared foundation."""

from portal.celery import app as celery_app

__all__ = ("celery_app",)
