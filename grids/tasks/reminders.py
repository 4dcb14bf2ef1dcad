"""Overdue-visit reminders, hourly. A thin shim: grids.reminders does the work, idempotently."""

from celery import shared_task
from django.utils import timezone

from grids import reminders


@shared_task(name="grids.visit_reminders_send")
def visit_reminders_send() -> dict:
    """Remind grid workers, then leaders, then community cadres of overdue visits; once per key."""
    return reminders.visit_reminders_send(now=timezone.now())
