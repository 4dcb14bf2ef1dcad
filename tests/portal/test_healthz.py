"""/healthz tells the load balancer whether the database and the broker answer."""

import time

import pytest
from django.test import Client

from portal.celery import app as celery_app

pytestmark = pytest.mark.django_db

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down(monkeypatch):
    """Point Celery at a port nobody listens on, for this test only.

    Celery reads CELERY_BROKER_URL from the environment before its configuration, and the
    Makefile's TEST_ENV sets it, so the environment is what must change; `conf.broker_url`
    follows it. healthz opens a fresh connection per request (no pool to flush).
    """
    monkeypatch.setenv("CELERY_BROKER_URL", CLOSED_PORT_BROKER)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    assert celery_app.conf.broker_write_url == CLOSED_PORT_BROKER
    yield
    # monkeypatch restores the environment; the next test meets the real broker again.


def test_healthy_without_login():
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_broker_down_is_a_quick_503(broker_down):
    started = time.monotonic()
    response = Client().get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "broker": "unavailable"}
    assert elapsed < 5, f"healthz took {elapsed:.1f} s with the broker down"


def test_healthy_again_once_the_broker_is_back(broker_down, monkeypatch):
    assert Client().get("/healthz").status_code == 503

    monkeypatch.undo()

    assert Client().get("/healthz").status_code == 200


def test_healthz_only_answers_get():
    assert Client().post("/healthz").status_code == 405
