"""Settings from the environment: bad values stop the process, production defaults are clean."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The PostgreSQL database of the Makefile's TEST_ENV.
TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal"
# Overrides the Makefile gives the tests; production runs without them.
TEST_ONLY_OVERRIDES = (
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "STATIC_COLLECTED",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
)


def run_python(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # Our own interpreter and fixed arguments: nothing untrusted reaches the command line.
    return subprocess.run(
        [sys.executable, *(["-c", code] if code else []), *args],
        cwd=PROJECT_ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def django_setup(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_python("import django; django.setup()", env)


# --- portal.env helpers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("0", False),
        ("true", True),
        ("FALSE", False),
        ("Yes", True),
        ("no", False),
        ("ON", True),
        ("off", False),
        (" true ", True),
    ],
)
def test_env_bool_accepts_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("PORTAL_TEST_FLAG", raw)

    assert env_bool("PORTAL_TEST_FLAG", not expected) is expected


def test_env_bool_default_when_unset(monkeypatch):
    monkeypatch.delenv("PORTAL_TEST_FLAG", raising=False)

    assert env_bool("PORTAL_TEST_FLAG", True) is True
    assert env_bool("PORTAL_TEST_FLAG", False) is False


def test_env_bool_refuses_anything_else_naming_the_variable(monkeypatch):
    monkeypatch.setenv("PORTAL_TEST_FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match=r"PORTAL_TEST_FLAG.*'maybe'"):
        env_bool("PORTAL_TEST_FLAG", False)


def test_env_int_reads_a_number(monkeypatch):
    monkeypatch.setenv("PORTAL_TEST_NUMBER", " 42 ")

    assert env_int("PORTAL_TEST_NUMBER", 7, minimum=1) == 42


def test_env_int_refuses_words(monkeypatch):
    monkeypatch.setenv("PORTAL_TEST_NUMBER", "ten")

    with pytest.raises(ImproperlyConfigured, match="PORTAL_TEST_NUMBER must be an integer"):
        env_int("PORTAL_TEST_NUMBER", 10)


def test_env_int_refuses_values_below_the_minimum(monkeypatch):
    monkeypatch.setenv("PORTAL_TEST_NUMBER", "0")

    with pytest.raises(ImproperlyConfigured, match="PORTAL_TEST_NUMBER must be at least 1"):
        env_int("PORTAL_TEST_NUMBER", 10, minimum=1)


def test_env_url_refuses_a_scheme_not_allowed(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://root@db/portal")

    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must start with one of"):
        env_url("DATABASE_URL", "sqlite:///x", schemes=("sqlite", "postgres"))


def test_env_url_accepts_an_allowed_scheme(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/portal")

    assert env_url("DATABASE_URL", "sqlite:///x", schemes=("sqlite", "postgres")) == (
        "postgres://u@db/portal"
    )


# --- Starting the project with bad values -------------------------------------------------


def test_start_fails_on_a_bad_boolean():
    result = django_setup({**os.environ, "DEBUG": "maybe"})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG" in result.stderr


def test_start_fails_without_secret_key_in_production():
    env = {**os.environ, "DEBUG": "0"}
    env.pop("SECRET_KEY", None)

    result = django_setup(env)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_start_fails_on_a_database_url_of_another_kind():
    result = django_setup({**os.environ, "DATABASE_URL": "mysql://root@db/portal"})

    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_production_defaults_pass_the_deploy_check():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(45)[:60],
        "ALLOWED_HOSTS": "portal.example.org",
        "DATABASE_URL": TEST_DATABASE_URL,
    }
    for name in TEST_ONLY_OVERRIDES:
        env.pop(name, None)

    result = run_python("", env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_make_run_defaults_need_nothing_but_debug(tmp_path):
    env = {**os.environ, "DEBUG": "1", "PORTAL_VAR_DIR": str(tmp_path)}
    for name in (
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "BLIND_INDEX_KEY",
        *TEST_ONLY_OVERRIDES,
    ):
        env.pop(name, None)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE']); "
        "print(settings.CELERY_BROKER_URL); print(settings.CELERY_RESULT_BACKEND)"
    )

    result = run_python(code, env)

    assert result.returncode == 0, result.stderr
    engine, broker, results = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert broker == "filesystem://"
    assert results == "django-db"
