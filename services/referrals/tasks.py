"""Scheduled work of the services module. Thin shims: services.referrals.deadlines and
services.referrals.reminders do the work."""

from celery import shared_task
from django.utils import timezone

from services.referrals import deadlines, reminders


@shared_task(name="services.referrals_escalate_overdue")
def referrals_escalate_overdue() -> dict:
    """Escalate referrals whose stage deadline passed; each once, however often beat fires."""
    return deadlines.referrals_escalate_overdue(now=timezone.now())


@shared_task(name="services.reminders_send")
def reminders_send() -> dict:
    """Stage deadlines coming and follow-ups due; each reminder once per subject and date."""
    return {
        "deadlines": reminders.referral_deadline_reminders_send(now=timezone.now()),
        "follow_ups": reminders.follow_up_reminders_send(today=timezone.localdate()),
    }
