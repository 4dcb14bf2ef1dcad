"""Scheduled work of organisational life: a thin shim over the write."""

from celery import shared_task
from django.utils import timezone

from partybuilding.orglife import writes


@shared_task(name="partybuilding.orglife_gaps_remind")
def orglife_gaps_remind() -> dict:
    """Daily: remind secretaries of required meetings missing in the period that just ended;
    each once per organisation, kind and period, however often beat fires."""
    return writes.orglife_gaps_remind(actor=None, today=timezone.localdate())
