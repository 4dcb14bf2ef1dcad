"""Two beats and a worker killed mid-send: every overdue-visit reminder still goes out exactly
once.

docs/operations.md asks for one beat; this is the day someone starts two (or a beat restarts
and sends its due tasks again). Both send `grids.visit_reminders_send` every second; the first
worker is SIGKILLed after the run wrote some batches of reminders and before it wrote the rest;
a new worker finishes. Each reminder is one row per (recipient, dedup_key), so the count is
exact: none missing, none twice.
"""

import time

from tests.reliability.stack import street_setup, wait_for

RESIDENTS = 500
WORKERS = 6  # grid workers of the grid: each overdue resident is one reminder to each

SETUP = """
from datetime import date, timedelta
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from grids import writes as grid_writes
from grids.models import Grid, Household, Resident, ResidentTag, TagDef
from portal.roles import Role
from portal.validators import citizen_id_make
from tests.portal.factories import UserFactory

grid = Grid.objects.get()
for n in range(WORKERS - 1):
    person = UserFactory(username=f"f_worker{n}", role=Role.GRID_WORKER)
    grid_writes.grid_assign(
        actor=None, person=person, grid=grid, post="full_time", start_date=date(2025, 1, 1)
    )
households = Household.objects.bulk_create(
    Household(number=f"TB{n:05d}", grid=grid) for n in range(RESIDENTS)
)
registered = timezone.now() - timedelta(days=1)  # never visited: overdue since yesterday
residents = Resident.objects.bulk_create(
    Resident(
        name=f"提醒{n}", household=household, sex="female",
        birth_date=date(1945, 1, 1) + timedelta(days=n),
        id_number=citizen_id_make(
            area_code="330381", birth_date=date(1945, 1, 1) + timedelta(days=n), sequence=2
        ),
        created_at=registered,
    )
    for n, household in enumerate(households)
)
key, _ = TagDef.objects.get_or_create(
    code="f_key", defaults={"name": "重点", "group": TagDef.Group.ELDERLY,
    "visit_tier": TagDef.Tier.KEY},
)
ResidentTag.objects.bulk_create(ResidentTag(resident=r, tag=key) for r in residents)
every, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
PeriodicTask.objects.create(
    name="fault: reminders", task="grids.visit_reminders_send", interval=every
)
result = Resident.objects.count()
"""


def _sent(portal) -> tuple[int, int]:
    [(count, distinct)] = portal.query(
        "SELECT count(*), count(DISTINCT (recipient_id, dedup_key)) FROM portal_notification "
        "WHERE dedup_key LIKE 'visit-overdue:%%'"
    )
    return count, distinct


def test_two_beats_and_a_killed_worker_send_each_reminder_once(stack, faults):
    portal = stack.portal("fault_two_beats")
    street_setup(portal, residents=0)
    residents = portal.python(f"RESIDENTS = {RESIDENTS}\nWORKERS = {WORKERS}\n" + SETUP)
    expected = residents * WORKERS

    portal.start_worker()
    portal.start_beat("beat")
    portal.start_beat("beat2")
    wait_for(lambda: _sent(portal)[0] > 0, timeout=60, interval=0.01, what="the first batch")
    partial = _sent(portal)[0]
    portal.kill("worker")  # SIGKILL, mid-run
    assert partial < expected, "the run finished before the kill: make it longer"
    time.sleep(1)
    stopped_at = _sent(portal)[0]
    assert stopped_at < expected

    portal.start_worker("worker2")
    wait_for(lambda: _sent(portal)[0] >= expected, timeout=60, what="every reminder")
    time.sleep(3)  # a few more runs from both beats
    assert _sent(portal) == (expected, expected)
    for beat in ("beat", "beat2"):
        assert "Sending due task fault: reminders" in portal.log_tail(beat, 400), beat
    [(runs,)] = portal.query(
        "SELECT count(*) FROM django_celery_results_taskresult "
        "WHERE task_name = 'grids.visit_reminders_send'"
    )

    faults["survived"] += 1
    faults["notes"].append(
        f"two beats, worker SIGKILLed after {stopped_at} of {expected} reminders: "
        f"{runs} runs completed afterwards, {expected} reminders, each once"
    )
