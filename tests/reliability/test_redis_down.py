"""Redis stopped: people log in, read lists, file visits and upload imports; the API with a
token answers; and what was due meanwhile — overdue-visit reminders, the queued import — goes
out once after Redis returns.

Redis is the cache (throttle counts) and Celery's broker here, as in production. With it
down the cache is a miss (django-redis, IGNORE_EXCEPTIONS) and a step that cannot be queued
waits on its job row, which the sweeper queues again. Reminders need no queue of their own:
beat's run after the outage computes them from the database, and each is sent once per key.
The Redis that comes back is empty (no persistence), the harshest case.
"""

import csv
import io
import time
from datetime import UTC, datetime

import requests

from tests.reliability.stack import login, street_setup, wait_for

RESIDENTS = 3

SCHEDULE = """
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from grids.models import ResidentTag, TagDef
from grids.writes.imports import import_jobs_sweep  # noqa
from portal.models import User
from portal.roles import Role
from portal.writes import api_token_issue
from grids import writes as grid_writes
from grids.models import Region, Resident

key, _ = TagDef.objects.get_or_create(
    code="f_key", defaults={"name": "重点", "group": TagDef.Group.ELDERLY,
    "visit_tier": TagDef.Tier.KEY},
)
from grids.models import Visit
worker = User.objects.get(username="f_worker")
for resident in Resident.objects.all():
    ResidentTag.objects.get_or_create(resident=resident, tag=key)
    Visit.objects.create(
        resident=resident, household=resident.household, visitor=worker, findings="setup"
    )
every, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
for task in ("grids.visit_reminders_send", "grids.import_jobs_sweep"):
    PeriodicTask.objects.create(name=f"fault: {task}", task=task, interval=every)
district = User.objects.create(username="f_district", role=Role.INTEGRATION, full_name="区平台")
grid_writes.region_staff_grant(
    actor=None, person=district, region=Region.objects.get(code="330381008000")
)
result = api_token_issue(actor=None, client=district, name="fault test")[1]
"""


def _csv(grid_code: str, rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["户号", "网格编码", "姓名", "证件号码", "性别", "出生日期", "证件类型"])
    for n in range(rows):
        writer.writerow(
            [f"RD{n:04d}", grid_code, f"停机{n}", f"P{n:07d}", "女", "1960-01-01", "其他证件"]
        )
    return out.getvalue().encode("utf-8")


def _reminders(portal) -> tuple[int, int]:
    [(count, keys)] = portal.query(
        "SELECT count(*), count(DISTINCT (recipient_id, dedup_key)) FROM portal_notification "
        "WHERE dedup_key LIKE 'visit-overdue:%%'"
    )
    return count, keys


def test_redis_down_pages_api_and_visits_work_and_reminders_go_out_once_after(stack, faults):
    portal = stack.portal("fault_redis_down", IMPORT_INLINE_ROWS=5, IMPORT_STALE_SECONDS=3)
    street = street_setup(portal, residents=RESIDENTS)
    token = portal.python(SCHEDULE)
    portal.start_web(workers=2)
    portal.start_worker()
    portal.start_beat()
    time.sleep(3)  # beat runs both tasks: nobody is overdue yet, no job waits
    assert _reminders(portal) == (0, 0)

    stack.redis.stop()
    try:
        # People: log in, read lists, file a visit, upload an import.
        worker = login(portal, "f_worker")
        for path in ("/", "/grids/residents/", "/grids/visits/", "/api/v1/residents/"):
            assert worker.get(portal.url(path), timeout=10).status_code == 200, path
        visit = worker.post(
            portal.url("/api/v1/visits/"),
            json={
                "resident": street["residents"][0],
                "mode": "home",
                "visited_at": datetime.now(UTC).isoformat(),
                "findings": "filed while Redis was down",
            },
            timeout=10,
        )
        assert visit.status_code == 201, visit.text[:500]
        cadre = login(portal, "f_cadre")
        upload = cadre.post(
            portal.url("/grids/imports/new/"),
            data={"csrfmiddlewaretoken": cadre.cookies["csrftoken"]},
            files={"file": ("during-outage.csv", _csv(street["grid_code"], 8), "text/csv")},
            timeout=30,
            allow_redirects=False,
        )
        assert upload.status_code == 302, upload.text[:500]
        job = int(upload.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        # A district system with a token (throttled through the cache).
        district = requests.get(
            portal.url("/api/v1/residents/"),
            headers={"Authorization": f"Token {token}"},
            timeout=10,
        )
        assert district.status_code == 200, district.text[:300]
        assert district.json()["count"] == RESIDENTS
        # The health check says the broker is away.
        assert requests.get(portal.url("/healthz"), timeout=10).json()["broker"] == "unavailable"

        # Meanwhile the others fall overdue: their last visit is now 40 days old (monthly)...
        portal.query(
            "UPDATE grids_visit SET visited_at = now() - interval '40 days' "
            "WHERE findings = 'setup'"
        )
        time.sleep(3)
        # ...but nothing can be delivered while the broker is down.
        assert _reminders(portal) == (0, 0)
        assert portal.query("SELECT status FROM grids_importjob WHERE id = %s", [job]) == [
            ("uploaded",)
        ]
    finally:
        stack.redis.start()

    # Back: the reminders go out, once each; the waiting import is checked.
    wait_for(lambda: _reminders(portal)[0] >= RESIDENTS - 1, timeout=60, what="the reminders")
    wait_for(
        lambda: (
            portal.query("SELECT status FROM grids_importjob WHERE id = %s", [job])
            == [("checked",)]
        ),
        timeout=60,
        what="the import queued during the outage to be checked",
    )
    time.sleep(3)  # three more beat runs
    assert _reminders(portal) == (RESIDENTS - 1, RESIDENTS - 1)

    faults["survived"] += 1
    faults["writes_acknowledged"] += 1
    faults["writes_verified"] += 1
    faults["notes"].append(
        "Redis stopped: login, 4 lists, a visit, an upload and the token API answered; "
        f"after it returned {RESIDENTS - 1} reminders went out once each, the upload was checked"
    )
