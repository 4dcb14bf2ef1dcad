"""Staffing, daily. A thin shim: grids.writes.grid_assignments_expire does the work."""

from celery import shared_task
from django.utils import timezone

from grids.writes import grid_assignments_expire as expire


@shared_task(name="grids.grid_assignments_expire")
def grid_assignments_expire() -> dict:
    """Take back the grid grants of assignments whose last day has passed."""
    return expire(actor=None, today=timezone.localdate())
