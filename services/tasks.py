"""Scheduled work of the services module. Thin shims: services.deadlines does the work."""

from celery import shared_task
from django.utils import timezone

from services import deadlines


@shared_task(name="services.referrals_escalate_overdue")
def referrals_escalate_overdue() -> dict:
    """Escalate referrals whose stage deadline passed; each once, however often beat fires."""
    return deadlines.referrals_escalate_overdue(now=timezone.now())
