"""Partner agreements, daily. A thin shim: services.catalogue.writes does the work, once per
date, as the system (actor None).

Celery autodiscovers `services.tasks` only: that module imports this one so the worker knows
the task.
"""

from celery import shared_task
from django.utils import timezone

from services.catalogue import writes


@shared_task(name="services.partner_agreements_daily")
def partner_agreements_daily() -> dict:
    """Remind the street and each partner's staff of agreements ending within
    PARTNER_AGREEMENT_REMINDER_DAYS; each reminder once."""
    return writes.partner_agreements_daily(today=timezone.localdate())
