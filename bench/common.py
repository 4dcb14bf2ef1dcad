"""What the two benchmarks share: their environment, filling the registry, the machine's facts,
query plans and the command line they have in common.

Nothing here imports Django at module level: the scripts set the environment first, then call
`django.setup()`.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# The Makefile's TEST_ENV: throwaway secrets, production-like settings (DEBUG off). The same
# keys must write and read the encrypted columns, so a database filled by one run is read by
# the next. Each script adds its own DATABASE_URL.
BENCH_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "test-only-secret-key-that-is-long-enough-for-django-checks-0123456789",
    "FIELD_ENCRYPTION_KEYS": "test2:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=,"
    "test1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
    "BLIND_INDEX_KEY": "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "STATIC_COLLECTED": "0",
    "LOG_LEVEL": "WARNING",
}
CITY_CODE = "330382"  # generate_district's default city


def log(message: str) -> None:
    print(message, flush=True)


def environment_set(database_url: str) -> None:
    """BENCH_ENV and the script's database, unless the caller's environment says otherwise."""
    for name, value in {**BENCH_ENV, "DATABASE_URL": database_url}.items():
        os.environ.setdefault(name, value)
    log(f"Database: {os.environ['DATABASE_URL']}")


def arguments(description: str, *, residents: int, output: str) -> argparse.ArgumentParser:
    """The options both scripts take; each adds its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--prepare", action="store_true", help="create, migrate and fill the DB")
    parser.add_argument("--residents", type=int, default=residents)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--output", default=str(BASE_DIR / "docs" / output))
    parser.add_argument("--no-report", action="store_true", help="do not write --output")
    parser.add_argument(
        "--max-load",
        type=float,
        default=0.0,
        help="first wait (up to 30 min) until the 1-minute load average is below this",
    )
    return parser


# --- Preparing the database ----------------------------------------------------------------


def manage(*args: str) -> None:
    command = [sys.executable, str(BASE_DIR / "manage.py"), *args]
    subprocess.run(command, check=True, cwd=BASE_DIR, env=os.environ.copy())  # noqa: S603


def database_create() -> None:
    """Create DATABASE_URL's database if it is missing, then migrate it."""
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
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if cursor.fetchone() is None:
            log(f"Creating database {db['NAME']}")
            cursor.execute(f'CREATE DATABASE "{db["NAME"]}"')
    admin.close()
    log("Migrating")
    manage("migrate", "--noinput", "-v", "0")


def registry_fill(*, residents: int, seed: int, quiet: bool = False) -> bool:
    """Fill CITY_CODE up to `residents` residents with `manage.py generate_district`; whether
    it generated any (it only adds what is missing). Needs `django.setup()`."""
    from grids.models import Region, Resident

    held = Resident.objects.filter(household__grid__community__code__startswith=CITY_CODE).count()
    if held >= residents:
        log(f"The city already holds {held:,} residents")
        return False
    log(f"Generating {residents - held:,} residents (the city holds {held:,})")
    has_streets = Region.objects.filter(parent__code=CITY_CODE).exists()
    manage(
        "generate_district",
        "--residents",
        str(residents - held),
        "--seed",
        str(seed),
        "--city-code",
        CITY_CODE,
        "--force",  # DEBUG is off here, and this is the benchmark's own database
        *(["-v", "0"] if quiet else []),
        *(["--append"] if has_streets else []),
    )
    return True


def vacuum_analyze() -> None:
    from django.db import connection

    log("VACUUM ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- The machine ---------------------------------------------------------------------------


def wait_for_quiet(max_load: float) -> None:
    """A shared machine: wait until other work has calmed down, so the figures mean something."""
    deadline = time.monotonic() + 1800
    while os.getloadavg()[0] >= max_load and time.monotonic() < deadline:
        log(f"Load average {os.getloadavg()[0]:.1f} >= {max_load}: waiting")
        time.sleep(30)


def machine() -> dict:
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        memory_kb = 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
        cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        collate = cursor.fetchone()[0]
    import django

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgres": f"{pg_version} (shared_buffers {shared_buffers}, collation {collate})",
    }


def registry_counts() -> dict:
    """The registry's size: streets, communities, grids, households, residents."""
    from grids.models import Grid, Household, Region, Resident

    return {
        "streets": Region.objects.filter(level=Region.Level.STREET).count(),
        "communities": Region.objects.filter(level=Region.Level.COMMUNITY).count(),
        "grids": Grid.objects.count(),
        "households": Household.objects.count(),
        "residents": Resident.objects.count(),
    }


def machine_lines(m: dict, *, loads: tuple, during: str, note: str = "") -> list[str]:
    """The report's machine section: `m` from machine(), `loads` the load averages before and
    after `during` (the run, the measurements)."""
    before, after = loads
    return [
        f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory_gb']} GB; {m['os']}",
        f"- PostgreSQL {m['postgres']}, on the same machine",
        f"- Python {m['python']}, Django {m['django']}",
        f"- Load average (1, 5, 15 min) before {during}: {_loads_text(before)}; after: "
        f"{_loads_text(after)}.{note}",
    ]


def _loads_text(loads) -> str:
    return ", ".join(f"{load:.2f}" for load in loads)


# --- Query plans ---------------------------------------------------------------------------


def explain(sql: str, *, buffers: bool = True) -> dict:
    """EXPLAIN ANALYZE of `sql` (which runs it), as PostgreSQL's JSON: `Plan`, `Execution Time`."""
    from django.db import connection

    options = "ANALYZE, BUFFERS, FORMAT JSON" if buffers else "ANALYZE, FORMAT JSON"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({options}) {sql}")
        raw = cursor.fetchone()[0]
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]


def plan_nodes(node: dict) -> list[dict]:
    """The node and every node under it, depth first."""
    found = [node]
    for child in node.get("Plans", []):
        found.extend(plan_nodes(child))
    return found


def scan_indexes(node: dict) -> list[str]:
    """The indexes a scan reads: a bitmap heap scan's are those of the bitmap scans under it."""
    if node["Node Type"] == "Bitmap Heap Scan":
        return [
            inner["Index Name"]
            for child in node.get("Plans", [])
            for inner in plan_nodes(child)
            if inner["Node Type"] == "Bitmap Index Scan"
        ]
    return [node["Index Name"]] if "Index Name" in node else []
