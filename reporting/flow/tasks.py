"""Scheduled work of the task flow: a thin shim over the write."""

from celery import shared_task
from django.utils import timezone

from portal.schedules import scheduled_run_once
from reporting.flow import writes

TASK = "reporting.reminders_send"


@shared_task(name=TASK)
def reminders_send() -> dict:
    """Remind the holders of tasks due in two days or today; once per day slot (ScheduledRun)
    and once per task, holder and deadline (the notification's dedup key)."""
    today = timezone.localdate()
    with scheduled_run_once(task=TASK, slot=str(today)) as run:
        if run is None:
            return {"day": str(today), "skipped": True}
        run.result = writes.reminders_send(actor=None, today=today)
        return run.result
