"""Benchmark of the Party-building dashboard (`/party/`): the demo, then ten times its members.

    .venv/bin/python bench/party_bench.py --requests 50

Against a dedicated PostgreSQL database (DATABASE_URL, default portal_bench_party on
127.0.0.1), this

1. drops and recreates the database (--keep-db: reuse it), migrates it and loads the demo
   (`portal.demo.load`);
2. times --requests requests of the dashboard with Django's test Client, logged in as `party`
   (the Party-work officer, the whole street) and as `secretary` (one branch): median, p95 and
   the query count of a whole request (an execute wrapper on every connection, see
   QueryCounter);
3. adds members until there are --scale times the demo's (1,500 for 10x), spread over the
   demo's organisations: a third serving, all but every sixth of those reported to a
   community, approved service hours over 12 months and training records in the demo's
   proportions. These scale rows are written with bulk_create (no write service, no
   full_clean, no phone): they only have to be counted;
4. VACUUM ANALYZE, then measures again and prints a Markdown table.

In-process (no HTTP server): the figures are the view's time, middleware included. Not part of
`make test`: run it by hand.
"""

import random
import statistics
import sys
import time
import warnings
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench import common  # noqa: E402 - after the path fix
from bench.common import log  # noqa: E402

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_party"
BACKEND = "django.contrib.auth.backends.ModelBackend"
USERS = ("party", "secretary")


def arguments():
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per user")
    parser.add_argument("--scale", type=int, default=10, help="members: this times the demo's")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database first")
    return parser.parse_args()


# --- The database --------------------------------------------------------------------------


def database_drop() -> None:
    import os

    import dj_database_url
    import psycopg2

    db = dj_database_url.parse(os.environ["DATABASE_URL"])
    admin = psycopg2.connect(
        dbname="postgres",
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"],
        port=db["PORT"] or 5432,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        log(f"Dropping database {db['NAME']} (if any)")
        cursor.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}"')
    admin.close()


def demo_load(seed: int) -> None:
    from django.db import transaction

    from partybuilding.organisations.models import PartyMember
    from portal import demo

    if PartyMember.objects.exists():
        log("The demo is already loaded")
        return
    log("Loading the demo")
    with transaction.atomic():
        demo.load(seed=seed, report=lambda step, seconds: log(f"  {step}: {seconds:.1f}s"))


# --- Scaling up ----------------------------------------------------------------------------


def members_add(target: int, seed: int) -> int:
    """Bulk-create members (and their hours and training) until `target` members exist; the
    number added."""
    from django.utils import timezone

    from partybuilding.organisations.models import PartyMember, PartyOrg
    from partybuilding.serving.models import PointRule, ServiceHours
    from partybuilding.training.models import TrainingCourse, TrainingRecord
    from portal.models import User

    held = PartyMember.objects.count()
    if held >= target:
        return 0
    rng = random.Random(seed)  # noqa: S311 - reproducible, not secret
    today = timezone.localdate()
    orgs = list(PartyOrg.objects.filter(dissolved_on__isnull=True).order_by("pk"))
    communities = [org.community for org in orgs if org.community_id]
    start = held
    members = []
    for n in range(start, target):
        org = orgs[n % len(orgs)]
        member = PartyMember(
            name=f"压测党员{n:05d}",
            org=org,
            status="probationary" if n % 25 == 0 else "full",
            joined_party_on=date(1975 + n % 45, 1 + n % 12, 1),
        )
        if n % 3 == 1:  # a third serving; all but every sixth of them reported
            member.serving = True
            member.employer = "压测单位"
            if n % 18 != 1:
                member.reported_community = org.community or communities[n % len(communities)]
                member.reported_on = today - timedelta(days=300)
        members.append(member)
    PartyMember.objects.bulk_create(members, batch_size=500)

    rule = PointRule.objects.filter(active=True).order_by("pk").first()
    party = User.objects.get(username="party")
    evidence = (
        ServiceHours.objects.exclude(evidence="").values_list("evidence", flat=True).first() or ""
    )
    now = timezone.now()
    hours = []
    for i, member in enumerate(m for m in members if m.reported_community_id):
        for month in range(12):
            if (i + month) % 3:
                continue
            amount = Decimal(rng.choice(["1.5", "2.0", "3.0", "4.0"]))
            first = _month_start(today, month)
            hours.append(
                ServiceHours(
                    member=member,
                    community_id=member.reported_community_id,
                    served_on=min(first + timedelta(days=4 + i % 20), today),
                    hours=amount,
                    description="社区志愿服务",
                    rule=rule,
                    status=ServiceHours.Status.APPROVED,
                    reviewed_by=party,
                    reviewed_at=now,
                    points=rule.points_for(amount).quantize(Decimal("0.01")),
                    evidence=evidence,
                )
            )
    ServiceHours.objects.bulk_create(hours, batch_size=1000)

    # Training as the demo: everyone the first course, all but one in thirty the next two.
    courses = list(TrainingCourse.objects.order_by("pk")[:3])
    records = []
    for i, member in enumerate(members):
        for c, course in enumerate(courses):
            if c and i % 30 == 5:
                continue
            records.append(
                TrainingRecord(
                    course=course, member=member, hours=course.hours, completed_on=course.held_on
                )
            )
    TrainingRecord.objects.bulk_create(records, batch_size=1000)
    log(
        f"Added {len(members):,} members, {len(hours):,} approved hours, "
        f"{len(records):,} training records"
    )
    return len(members)


def _month_start(day: date, back: int) -> date:
    year, month = day.year, day.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


# --- Measuring -----------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(1, int(-(-len(ordered) * p // 100))) - 1]


class QueryCounter:
    """Counts the queries of every connection, whichever thread opened it: a request may run
    its view in another thread than the caller's (asgiref adapts async middleware), where
    CaptureQueriesContext on this thread's connection sees nothing."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1

    def install(self) -> None:
        from django.db import connection
        from django.db.backends.signals import connection_created

        connection_created.connect(self._on_created, weak=False)
        connection.execute_wrappers.append(self)

    def _on_created(self, sender, connection, **kwargs):
        if self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)


COUNTER = QueryCounter()


def measure(username: str, requests: int) -> dict:
    from django.test import Client
    from django.urls import reverse

    from portal.models import User

    path = reverse("partybuilding:dashboard")
    client = Client()
    client.force_login(User.objects.get(username=username), backend=BACKEND)
    client.get(path)  # warm: the session, the connection of the thread serving the view
    COUNTER.count, COUNTER.seconds = 0, 0.0
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{username} {path}: HTTP {response.status_code}")
    queries, sql_seconds = COUNTER.count, COUNTER.seconds
    times = []
    for _run in range(requests):
        started = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - started)
    return {
        "user": username,
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": percentile(times, 95) * 1000,
        "queries": queries,
        "sql_ms": sql_seconds * 1000,
    }


def sizes() -> dict:
    from partybuilding.organisations.models import PartyMember, PartyOrg
    from partybuilding.serving.models import ServiceHours
    from partybuilding.training.models import TrainingRecord

    return {
        "orgs": PartyOrg.objects.count(),
        "members": PartyMember.objects.count(),
        "hours": ServiceHours.objects.count(),
        "training": TrainingRecord.objects.count(),
    }


def main() -> None:
    import os

    args = arguments()
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")  # the test Client's host
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    common.environment_set(DATABASE_URL)
    if not args.keep_db:
        database_drop()
    common.database_create()
    import django

    django.setup()
    # WhiteNoise warns that STATIC_ROOT is missing when static files come from the finders.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    demo_load(args.seed)
    common.vacuum_analyze()
    COUNTER.install()

    rows = []
    demo_members = sizes()["members"]
    for label, target in (("demo", demo_members), (f"{args.scale}x", args.scale * demo_members)):
        if members_add(target, args.seed):
            common.vacuum_analyze()
        size = sizes()
        log(f"{label}: {size}")
        for username in USERS:
            result = measure(username, args.requests)
            log(
                f"  {username}: median {result['median_ms']:.1f} ms, p95 "
                f"{result['p95_ms']:.1f} ms, {result['queries']} queries "
                f"({result['sql_ms']:.1f} ms SQL)"
            )
            rows.append((label, size, result))

    print()
    print(
        f"{args.requests} requests per row, after two untimed requests (the second's queries counted, session and auth included)."
    )
    print()
    print(
        "| Data | Members | Approved-hours rows | Training records | User | Median | p95 "
        "| Queries |"
    )
    print("|---|---:|---:|---:|---|---:|---:|---:|")
    for label, size, r in rows:
        print(
            f"| {label} | {size['members']:,} | {size['hours']:,} | {size['training']:,} "
            f"| `{r['user']}` | {r['median_ms']:.1f} ms | {r['p95_ms']:.1f} ms "
            f"| {r['queries']} |"
        )


if __name__ == "__main__":
    main()
