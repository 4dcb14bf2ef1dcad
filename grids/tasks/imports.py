"""Spreadsheet imports too large to handle during the request. Thin shims over the writes,
which run as the system (actor None) and work in the uploader's scope.

Delivery is at least once: the writes look at the job's status under its row lock, so a
second delivery of the same step does nothing.
"""

from celery import shared_task

from grids.models import ImportJob
from grids.writes import imports


@shared_task(name="grids.import_job_check")
def import_job_check_task(job_id: int) -> str | None:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return None
    return imports.import_job_check(actor=None, job=job).status


@shared_task(name="grids.import_job_commit")
def import_job_commit_task(job_id: int) -> str | None:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return None
    return imports.import_job_commit(actor=None, job=job).status


@shared_task(name="grids.import_jobs_sweep")
def import_jobs_sweep() -> dict:
    """Every minute: jobs whose worker was killed are marked failed, lost queued ones re-queued."""
    return imports.import_jobs_sweep(actor=None)
