"""Family-doctor contracts, daily. A thin shim: services.contracts.writes does the work, once
per date, as the system (actor None).

Celery autodiscovers `services.tasks` only: that module imports this one so the worker knows
the task.
"""

from celery import shared_task
from django.utils import timezone

from services.contracts import writes


@shared_task(name="services.family_doctor_contracts_daily")
def family_doctor_contracts_daily() -> dict:
    """Lapse the contracts whose term ended, then remind clinics and grid workers of the
    contracts ending within FAMILY_DOCTOR_EXPIRY_REMINDER_DAYS; each reminder once."""
    return writes.family_doctor_contracts_daily(today=timezone.localdate())
