"""Celery autodiscovers `services.tasks`: each room's tasks module is imported here so the
worker knows every task of services/."""

from services.catalogue.tasks import partner_agreements_daily
from services.contracts.tasks import family_doctor_contracts_daily
from services.referrals.tasks import referrals_escalate_overdue, reminders_send

__all__ = [
    "family_doctor_contracts_daily",
    "partner_agreements_daily",
    "referrals_escalate_overdue",
    "reminders_send",
]
