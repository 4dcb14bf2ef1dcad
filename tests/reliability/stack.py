"""A private PostgreSQL cluster, a private Redis and the portal's own processes against them.

Fault tests restart, stop and kill things. They never touch the machine's shared PostgreSQL
(5432) and Redis (6379), which other test runs use at the same time: each session starts its
own cluster (`initdb` into a temporary directory, `pg_ctl` on a free port) and its own
`redis-server` (no persistence), and runs the portal there as production does — gunicorn,
a Celery worker, beat — in subprocesses whose environment points at them.

Used by tests/reliability/ (the fast scenarios, in `make test`) and bench/faults.py (all of
them, longer). Nothing here is a test: it is the harness.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
import redis as redis_lib
import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
RESULT_MARK = "@@result@@"


class HarnessError(RuntimeError):
    """The private stack could not be set up: a failure of the run, never a skip."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise HarnessError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _pg_bin(name: str) -> str:
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise HarnessError(
            f"PostgreSQL's {name} is not installed: the fault tests start a private cluster "
            "(Debian: apt-get install postgresql; `make test` installs it)."
        )
    return found


class PrivatePostgres:
    """A throwaway cluster: trust authentication, 127.0.0.1 on a free port, socket in its dir."""

    def __init__(self, base: Path):
        self.dir = base / "pg"
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root

    def _cmd(self, *args: str) -> list[str]:
        if self.as_postgres:
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        done = subprocess.run(
            self._cmd(*args), capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode:
            raise HarnessError(
                f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr or done.stdout}\n"
                f"{self.log_tail()}"
            )
        return done

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def init(self) -> None:
        self.dir.mkdir(parents=True)
        if self.as_postgres:
            shutil.chown(self.dir.parent, "postgres")
            shutil.chown(self.dir, "postgres")
        self._run(
            _pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-sync", "--locale=C.UTF-8",
        )  # fmt: skip

    def _options(self) -> str:
        return f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=60"

    def start(self) -> None:
        self._run(
            _pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", self._options(),
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def restart(self, mode: str = "immediate") -> None:
        """`pg_ctl restart -m immediate`: every backend killed, crash recovery from the WAL."""
        self._run(
            _pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", self._options(),
            "-m", mode, "-w", "-t", "60", "restart",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def connect(self, db: str = "postgres"):
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=db)
        conn.autocommit = True
        return conn

    def query(self, sql: str, params=(), db: str = "postgres") -> list[tuple]:
        with contextlib.closing(self.connect(db)) as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def create_database(self, name: str, template: str | None = None) -> None:
        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        self.query(sql)

    def dump(self, db: str, path: Path) -> None:
        """`pg_dump -Fc` as the operations page does it."""
        self._run(
            _pg_bin("pg_dump"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-d", db, "-Fc", "-f", str(path),
        )  # fmt: skip

    def restore(self, path: Path, db: str) -> None:
        self._run(
            _pg_bin("pg_restore"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-d", db, "--no-owner", "--exit-on-error", str(path),
        )  # fmt: skip


class PrivateRedis:
    """`redis-server` on a free port, nothing saved to disk; stop() and start() keep the port."""

    def __init__(self, base: Path):
        self.dir = base / "redis"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        binary = shutil.which("redis-server")
        if not binary:
            raise HarnessError("redis-server is not installed (Debian: apt-get install redis).")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=open(self.dir / "redis.log", "ab"),  # noqa: SIM115 - the process keeps it
            stderr=subprocess.STDOUT,
        )
        wait_for(self.ping, timeout=20, what=f"redis on port {self.port}")

    def ping(self) -> bool:
        try:
            return redis_lib.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis_lib.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class Portal:
    """The portal on one database of the private cluster: manage.py, gunicorn, worker, beat."""

    def __init__(
        self, base: Path, pg: PrivatePostgres, redis: PrivateRedis, db: str, index: int = 0, **env
    ):
        self.base = base / db
        self.base.mkdir(parents=True, exist_ok=True)
        self.pg, self.redis, self.db = pg, redis, db
        self.processes: dict[str, subprocess.Popen] = {}
        self.web_port: int | None = None
        defaults = {
            # The test settings of the Makefile, for runs outside `make test`.
            "SECRET_KEY": "test-only-secret-key-that-is-long-enough-for-django-checks-0123456789",
            "FIELD_ENCRYPTION_KEYS": "test2:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=,"
            "test1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
            "BLIND_INDEX_KEY": "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=",
        }
        self.env = {
            **{k: v for k, v in defaults.items() if not os.environ.get(k)},
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "STATIC_COLLECTED": "0",
            "TWO_FACTOR_REQUIRED": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": pg.url(db),
            # Each portal its own broker and cache database: workers never share a queue.
            "CELERY_BROKER_URL": redis.url(2 * index),
            "REDIS_URL": redis.url(2 * index + 1),
            "PORTAL_VAR_DIR": str(self.base / "var"),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **{k: str(v) for k, v in env.items()},
        }
        self.env.pop("PYTEST_XDIST_WORKER", None)

    # -- one-off commands ------------------------------------------------------------------

    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if done.returncode:
            raise HarnessError(f"manage.py {' '.join(args)} failed: {done.stderr[-3000:]}")
        return done.stdout

    def python(self, code: str, timeout: float = 120):
        """Run `code` in a fresh Django process on this portal; it sets `result` (JSON)."""
        program = (
            "import django, json\ndjango.setup()\nresult = None\n"
            + code
            + f"\nprint({RESULT_MARK!r} + json.dumps(result, default=str))\n"
        )
        done = subprocess.run(
            [PYTHON, "-c", program],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if done.returncode:
            raise HarnessError(f"python snippet failed: {done.stderr[-3000:]}")
        for line in reversed(done.stdout.splitlines()):
            if line.startswith(RESULT_MARK):
                return json.loads(line[len(RESULT_MARK) :])
        raise HarnessError(f"python snippet printed no result: {done.stdout[-2000:]}")

    def query(self, sql: str, params=()) -> list[tuple]:
        return self.pg.query(sql, params, db=self.db)

    # -- long-running processes ------------------------------------------------------------

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.base / f"{name}.log", "ab")  # noqa: SIM115 - the process keeps it
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.processes[name] = process
        return process

    def log_tail(self, name: str, lines: int = 30) -> str:
        try:
            text = (self.base / f"{name}.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def start_web(self, workers: int = 3) -> str:
        self.web_port = free_port()
        self._spawn(
            "web",
            [
                GUNICORN,
                "portal.wsgi",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                str(workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
        )

        def answers():
            if self.processes["web"].poll() is not None:
                raise HarnessError(f"gunicorn exited:\n{self.log_tail('web')}")
            try:
                return requests.get(self.url("/healthz"), timeout=2).status_code in (200, 503)
            except requests.RequestException:
                return False

        wait_for(answers, timeout=60, what="gunicorn to answer /healthz")
        return self.url("")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"

    def start_worker(self, name: str = "worker") -> subprocess.Popen:
        process = self._spawn(
            name,
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--hostname",
                f"{name}.{self.db}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
        )
        wait_for(
            lambda: "ready." in self.log_tail(name, 200) or process.poll() is not None,
            timeout=60,
            what=f"celery {name} to be ready",
        )
        if process.poll() is not None:
            raise HarnessError(f"celery {name} exited:\n{self.log_tail(name)}")
        return process

    def start_beat(self, name: str = "beat") -> subprocess.Popen:
        return self._spawn(
            name,
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "portal",
                "beat",
                "--loglevel",
                "INFO",
                "--scheduler",
                "django_celery_beat.schedulers:DatabaseScheduler",
                "--pidfile",
                str(self.base / f"{name}.pid"),
                "--max-interval",
                "1",
            ],
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill the process `name` (SIGKILL by default: no clean-up of any kind)."""
        process = self.processes.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, sig)
            process.wait(timeout=30)

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)


class Stack:
    """One private cluster and Redis per session; `portal(db)` a migrated database of it each."""

    TEMPLATE = "portal_template"

    def __init__(self, base: Path | None = None):
        self.base = base or Path(tempfile.mkdtemp(prefix="portal-faults-"))
        self.pg = PrivatePostgres(self.base)
        self.redis = PrivateRedis(self.base)
        self.portals: list[Portal] = []
        self.migrate_seconds = 0.0

    def start(self) -> Stack:
        self.pg.init()
        self.pg.start()
        self.redis.start()
        self.pg.create_database(self.TEMPLATE)
        started = time.monotonic()
        template = Portal(self.base, self.pg, self.redis, self.TEMPLATE)
        template.manage("migrate", "--noinput")
        self.migrate_seconds = time.monotonic() - started
        return self

    def portal(self, db: str, **env) -> Portal:
        """A fresh database copied from the migrated template, and the portal on it."""
        self.pg.create_database(db, template=self.TEMPLATE)
        index = len(self.portals) % 7 + 1
        portal = Portal(self.base, self.pg, self.redis, db, index=index, **env)
        self.portals.append(portal)
        return portal

    def close(self) -> None:
        for portal in self.portals:
            portal.stop_all()
        self.redis.stop()
        with contextlib.suppress(HarnessError):
            self.pg.stop(mode="immediate")
        if not os.environ.get("FAULTS_KEEP"):  # FAULTS_KEEP=1 keeps the logs to read
            shutil.rmtree(self.base, ignore_errors=True)


# --- The little street of tests/conftest.py, in the private database ---------------------

PASSWORD = "Fault-Test-2026"
STREET_SETUP = """
from datetime import date
from grids import writes as grid_writes
from grids.models import Region
from portal.roles import Role
from tests.grids.factories import GridFactory, HouseholdFactory, RegionFactory, ResidentFactory
from tests.portal.factories import UserFactory
city = RegionFactory(name="瑞安市", level=Region.Level.CITY, code="330381")
street = RegionFactory(
    name="南滨街道", level=Region.Level.STREET, code="330381008000", parent=city
)
community = RegionFactory(name="江滨社区", code="330381008001", parent=street)
grid = GridFactory(community=community, name="江滨第一网格")
from django.contrib.auth.hashers import make_password
password = make_password(PASSWORD)
worker = UserFactory(
    username="f_worker", role=Role.GRID_WORKER, full_name="网格员甲", password=password
)
grid_writes.grid_assign(
    actor=None, person=worker, grid=grid, post="full_time", start_date=date(2025, 1, 1)
)
cadre = UserFactory(
    username="f_cadre", role=Role.STREET_CADRE, full_name="街道干部", password=password
)
residents = [
    ResidentFactory(household=HouseholdFactory(grid=grid)) for _ in range(RESIDENTS)
]
result = {
    "grid": grid.pk,
    "grid_code": grid.code,
    "worker": worker.pk,
    "cadre": cadre.pk,
    "residents": [r.pk for r in residents],
    "id_numbers": [r.id_number for r in residents],
}
"""


def street_setup(portal: Portal, residents: int = 3) -> dict:
    """A street, a community, a grid with its grid worker (f_worker), a street cadre (f_cadre)
    and `residents` residents, each in a household of their own; returns their ids."""
    return portal.python(f"RESIDENTS = {int(residents)}\nPASSWORD = {PASSWORD!r}\n" + STREET_SETUP)


def login(portal: Portal, username: str) -> requests.Session:
    """A browser-like session logged in through the login page (password of the factories)."""
    session = requests.Session()
    session.headers["Accept-Language"] = "en"
    session.cookies.set("django_language", "en")
    page = session.get(portal.url("/accounts/login/"), timeout=10)
    page.raise_for_status()
    answer = session.post(
        portal.url("/accounts/login/"),
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=10,
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise HarnessError(f"login of {username} answered {answer.status_code}")
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session
