"""Scheduled work of training: a thin shim over the write."""

from celery import shared_task
from django.utils import timezone

from partybuilding.training import writes
from portal.schedules import scheduled_run_once

TASK = "partybuilding.training_shortfalls_notify"


@shared_task(name=TASK)
def training_shortfalls_notify() -> dict:
    """Early January: send each secretary last year's list of members below their yearly hours;
    once per organisation and year however often beat fires (a ScheduledRun per year, and the
    notification's dedup key per organisation and year)."""
    year = timezone.localdate().year - 1
    with scheduled_run_once(task=TASK, slot=str(year)) as run:
        if run is None:
            return {"year": year, "skipped": True}
        run.result = writes.training_shortfalls_notify(actor=None, year=year)
        return run.result
