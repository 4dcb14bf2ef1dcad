"""Install the registered periodic schedules into django-celery-beat's database tables."""

from django_celery_beat.models import CrontabSchedule, PeriodicTask

from portal.hooks import periodic_schedules


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
