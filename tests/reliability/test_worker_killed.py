"""A Celery worker killed (SIGKILL) in the middle of an import: nothing half-written, the job
marked failed with a message instead of "checking" or "importing" forever, and the same file
imports cleanly when uploaded again.

A real worker subprocess (solo pool: the task runs in the process that is killed) on the
private Redis; the kill lands while the check runs, then — for a second upload — while the
commit is writing (after its first batch of rows went into the transaction). The sweeper is
the task beat runs every minute (`grids.import_jobs_sweep`), called here directly.
"""

import time

import requests

from tests.reliability.stack import login, street_setup, wait_for

ROWS = 3000
STALE_SECONDS = 3

UPLOAD = """
import csv, io
from datetime import date, timedelta
from django.core.files.uploadedfile import SimpleUploadedFile
from grids.writes.imports import import_job_create
from portal.models import User
from portal.validators import citizen_id_make
from grids.models import Grid
grid = Grid.objects.get()
rows = [["户号", "网格编码", "姓名", "证件号码"]]
for n in range(ROWS):
    birth = date(1950, 1, 1) + timedelta(days=n)
    rows.append([
        f"IMP{n:06d}", grid.code, f"导入居民{n}",
        citizen_id_make(area_code="330381", birth_date=birth, sequence=(n % 499) * 2 + 2),
    ])
out = io.StringIO()
csv.writer(out).writerows(rows)
cadre = User.objects.get(username="f_cadre")
upload = SimpleUploadedFile("people.csv", out.getvalue().encode("utf-8"), "text/csv")
result = import_job_create(actor=cadre, uploaded_file=upload).pk
"""

COMMIT = """
from grids.models import ImportJob
from grids.writes.imports import import_job_commit_start
job = ImportJob.objects.get(pk=JOB)
result = import_job_commit_start(actor=job.uploaded_by, job=job).status
"""

SWEEP = """
from grids.tasks.imports import import_jobs_sweep
result = import_jobs_sweep()
"""


def _job(portal, pk):
    [(status, processed, total, failure)] = portal.query(
        "SELECT status, processed_rows, total_rows, report->>'failure' FROM grids_importjob "
        "WHERE id = %s",
        [pk],
    )
    return status, processed, total, failure


def _written(portal):
    [(households,)] = portal.query("SELECT count(*) FROM grids_household WHERE number LIKE 'IMP%%'")
    [(residents,)] = portal.query("SELECT count(*) FROM grids_resident")
    [(buildings,)] = portal.query("SELECT count(*) FROM grids_building")
    return households, residents, buildings


def _kill_when(portal, pk, predicate, what):
    wait_for(lambda: predicate(*_job(portal, pk)), timeout=60, interval=0.02, what=what)
    portal.kill("worker")
    return _job(portal, pk)


def test_worker_killed_mid_import_leaves_nothing_half_written(stack, faults):
    portal = stack.portal(
        "fault_worker_killed",
        IMPORT_INLINE_ROWS=10,
        IMPORT_HEARTBEAT_SECONDS=1,
        IMPORT_STALE_SECONDS=STALE_SECONDS,
    )
    street_setup(portal, residents=3)
    before = _written(portal)
    portal.start_worker()

    # 1. Killed while checking.
    first = portal.python(f"ROWS = {ROWS}\n" + UPLOAD)
    status, *_ = _kill_when(
        portal, first, lambda s, done, total, f: s == "checking" and done > 0, "the check"
    )
    assert status == "checking"
    time.sleep(STALE_SECONDS + 1.5)
    assert portal.python(SWEEP) == {"failed": 1, "requeued": 0}
    status, _done, _total, failure = _job(portal, first)
    assert status == "failed"
    assert "中断" in failure  # the sweeper writes the message in the portal's language

    # 2. Killed while the commit writes: its first batch is inside the open transaction.
    portal.start_worker()
    second = portal.python(f"ROWS = {ROWS}\n" + UPLOAD)
    wait_for(lambda: _job(portal, second)[0] == "checked", timeout=60, what="the second check")
    assert portal.python(f"JOB = {second}\n" + COMMIT) == "checked"  # queued for the worker
    status, done, total, _f = _kill_when(
        portal,
        second,
        lambda s, done, total, f: s == "committing" and done > total // 2,
        "the commit to write its first batch",
    )
    assert (status, done > total // 2) == ("committing", True)
    assert _written(portal) == before, "a killed commit left rows behind"
    time.sleep(STALE_SECONDS + 1.5)
    assert portal.python(SWEEP) == {"failed": 1, "requeued": 0}
    status, _done, _total, failure = _job(portal, second)
    assert status == "failed"
    assert "未写入任何数据" in failure  # nothing was written (in the portal's language)
    assert _written(portal) == before

    # The uploader sees why on the job's page.
    portal.start_web(workers=1)
    cadre = login(portal, "f_cadre")
    page = cadre.get(portal.url(f"/grids/imports/{second}/"), timeout=10)
    assert page.status_code == 200
    assert 'data-testid="import-failure"' in page.text
    assert "未写入任何数据" in page.text  # the message stored when the job failed

    # 3. Uploaded again, with a worker running: imported once, completely.
    portal.start_worker()
    third = portal.python(f"ROWS = {ROWS}\n" + UPLOAD)
    wait_for(lambda: _job(portal, third)[0] == "checked", timeout=60, what="the third check")
    portal.python(f"JOB = {third}\n" + COMMIT)
    wait_for(lambda: _job(portal, third)[0] == "committed", timeout=90, what="the import")
    households, residents, _buildings = _written(portal)
    assert (households, residents) == (ROWS, before[1] + ROWS)
    assert requests.get(portal.url("/healthz"), timeout=10).status_code == 200

    faults["survived"] += 2
    faults["notes"].append(
        f"worker SIGKILLed while checking and while committing {ROWS} rows: nothing written, "
        "both jobs marked failed by the sweeper, the re-upload imported every row once"
    )
