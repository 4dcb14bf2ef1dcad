"""Periodic work: the registered schedules installed into django-celery-beat's tables, and
`scheduled_run_once`, which makes a task's slot run once however often it is delivered."""

from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from portal.hooks import periodic_schedules
from portal.models import ScheduledRun


def periodic_schedules_install() -> int:
    """Create the PeriodicTask rows that are missing; never overwrite an administrator's edits.

    Returns how many were created. Called after every `migrate`.
    """
    created = 0
    for schedule in periodic_schedules:
        if PeriodicTask.objects.filter(name=schedule.name).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            **schedule.crontab, timezone="Asia/Shanghai"
        )
        PeriodicTask.objects.create(
            name=schedule.name,
            task=schedule.task,
            crontab=crontab,
            description=schedule.description,
        )
        created += 1
    return created


@contextmanager
def scheduled_run_once(*, task: str, slot: str):
    """Run the body once per (task, slot), however often the task is delivered.

    Yields the ScheduledRun to fill in `result`, or None when the slot already ran (or is
    running in another worker, which then wins). The row and the work commit together.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(task=task, slot=slot)
        except IntegrityError:
            yield None
            return
        yield run
        run.save(update_fields=["result"])


def scheduled_once(*, task: str, slot: str, work) -> dict:
    """`work()` (a dict of counts) once per (task, slot): `{"skipped": False, "slot", **counts}`
    the first time, `{"skipped": True, "slot"}` every other time."""
    with scheduled_run_once(task=task, slot=slot) as run:
        if run is None:
            return {"skipped": True, "slot": slot}
        result = work()
        run.result = result
    return {"skipped": False, "slot": slot, **result}
