"""The idle timeout without a database write per page view (portal/sessions.py).

A session is saved at most once per SESSION_TOUCH_SECONDS; it still ends SESSION_IDLE_MINUTES
after its last touch, a logout or a password change still ends it at once although Redis
caches it, and Redis being down logs nobody out.
"""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.helpers import login

pytestmark = pytest.mark.django_db

PASSWORD = "Portal-Test-2026"  # the password of every UserFactory user


def session_writes(captured) -> list[str]:
    """The INSERTs and UPDATEs of django_session among the captured queries."""
    return [
        query["sql"]
        for query in captured
        if '"django_session"' in query["sql"]
        and query["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    ]


def session_row(client) -> Session:
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return Session.objects.get(session_key=key)


@pytest.fixture
def clock():
    """Time standing still at a known instant, moved by the test (`clock.shift(seconds)`)."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def cadre_client(client, community_cadre, clock):
    """A community cadre logged in through the login page, first page already seen."""
    response = client.post(
        reverse("login"), {"username": community_cadre.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    return client


def test_the_settings_no_longer_save_the_session_on_every_request():
    assert django_settings.SESSION_SAVE_EVERY_REQUEST is False
    assert "portal.sessions.SessionTouchMiddleware" in django_settings.MIDDLEWARE
    # The test settings have Redis, as production: the session is cached there.
    assert django_settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"


def test_without_redis_make_run_keeps_sessions_in_the_database_alone(tmp_path):
    # A per-process memory cache would keep a session alive in one process after a logout in
    # another (make run starts a web server and a worker).
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env |= {
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.SESSION_ENGINE, s.CACHES['default']['BACKEND'])"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    engine, cache = result.stdout.split()
    assert engine == "django.contrib.sessions.backends.db"
    assert cache == "django.core.cache.backends.locmem.LocMemCache"


def test_two_page_views_within_a_minute_write_no_session_row(cadre_client, clock):
    with CaptureQueriesContext(connection) as captured:
        clock.shift(20)
        assert cadre_client.get(reverse("home")).status_code == 200
        clock.shift(30)
        assert cadre_client.get(reverse("grids:household-list")).status_code == 200

    assert session_writes(captured.captured_queries) == []
    # Cached in Redis: the session is not even read from the database.
    assert not [q for q in captured.captured_queries if '"django_session"' in q["sql"]]


def test_a_page_view_after_a_minute_touches_the_session_and_moves_its_expiry(cadre_client, clock):
    clock.shift(61)
    with CaptureQueriesContext(connection) as captured:
        assert cadre_client.get(reverse("home")).status_code == 200

    assert len(session_writes(captured.captured_queries)) == 1
    idle = timedelta(minutes=django_settings.SESSION_IDLE_MINUTES)
    assert session_row(cadre_client).expire_date == timezone.now() + idle


def test_a_session_idle_longer_than_the_timeout_is_logged_out(cadre_client, clock):
    key = cadre_client.cookies[django_settings.SESSION_COOKIE_NAME].value
    clock.shift(django_settings.SESSION_IDLE_MINUTES * 60 + 1)

    response = cadre_client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not Session.objects.filter(session_key=key).exists()


def test_a_session_just_within_the_timeout_is_kept(cadre_client, clock):
    # The first page view of the fixture touched the session: idle time counts from there.
    clock.shift(django_settings.SESSION_IDLE_MINUTES * 60 - 1)

    assert cadre_client.get(reverse("home")).status_code == 200


def test_a_person_at_work_stays_logged_in_past_the_idle_time(cadre_client, clock):
    # A page every 50 seconds for twice the idle time: touched every other page, never idle.
    for _ in range(django_settings.SESSION_IDLE_MINUTES * 60 * 2 // 50):
        clock.shift(50)
        assert cadre_client.get(reverse("home")).status_code == 200


def test_logout_ends_the_cached_session_for_a_copy_of_its_cookie(cadre_client):
    name = django_settings.SESSION_COOKIE_NAME
    stolen = Client()
    stolen.cookies[name] = cadre_client.cookies[name].value
    assert stolen.get(reverse("home")).status_code == 200

    cadre_client.post(reverse("logout"))

    assert stolen.get(reverse("home")).status_code == 302


def test_a_password_change_ends_the_other_cached_sessions(cadre_client, community_cadre):
    community_cadre.set_password("Another-Password-2026")
    community_cadre.save()

    response = cadre_client.get(reverse("home"))

    assert response.status_code == 302
    assert SESSION_KEY not in cadre_client.session


def test_redis_down_logs_nobody_out_and_login_still_works(cadre_client, community_cadre, settings):
    # A port where nothing listens: every cache call fails at once (IGNORE_EXCEPTIONS).
    settings.CACHES = {
        "default": {
            **django_settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    assert cadre_client.get(reverse("home")).status_code == 200  # read from the database

    other = Client()
    login(other, community_cadre)
    assert other.get(reverse("home")).status_code == 200
    other.post(reverse("logout"))
    assert other.get(reverse("home")).status_code == 302
