"""Scheduled work: beat's database schedule, and work that happens once however often beat fires."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from portal import maintenance
from portal.celery import app
from portal.models import ApiToken, Notification, ScheduledRun
from portal.roles import Role
from portal.schedules import periodic_schedules_install
from portal.writes import api_token_issue
from tests.portal.factories import UserFactory


def _expired_sessions(n: int) -> None:
    for _ in range(n):
        store = SessionStore()
        store["x"] = 1
        store.create()
        Session.objects.filter(session_key=store.session_key).update(
            expire_date=timezone.now() - timedelta(days=1)
        )


@pytest.mark.django_db
def test_every_periodic_task_is_in_the_database_schedule():
    names = set(PeriodicTask.objects.values_list("task", flat=True))
    app.loader.import_default_modules()  # what a worker does at start: autodiscover tasks.py
    assert {"portal.sessions_clear_expired", "portal.api_tokens_remind_expiring"} <= names
    assert set(app.tasks) >= names - {"celery.backend_cleanup"}


@pytest.mark.django_db
def test_an_administrators_schedule_edit_survives_the_next_migrate():
    task = PeriodicTask.objects.get(task="portal.sessions_clear_expired")
    task.enabled = False
    task.save()
    assert periodic_schedules_install() == 0
    task.refresh_from_db()
    assert task.enabled is False


@pytest.mark.django_db
def test_sessions_are_cleared_once_per_slot():
    _expired_sessions(3)
    first = maintenance.sessions_clear_expired(slot="2026-11-28T09")
    _expired_sessions(2)
    second = maintenance.sessions_clear_expired(slot="2026-11-28T09")
    assert first == {"skipped": False, "slot": "2026-11-28T09", "deleted": 3}
    assert second["skipped"] is True
    assert Session.objects.count() == 2  # the second firing of the same slot did nothing
    assert ScheduledRun.objects.get().result == {"deleted": 3}


@pytest.mark.django_db
def test_token_expiry_reminder_reaches_each_administrator_once(street_admin):
    second_admin = UserFactory(username="t_admin2", role=Role.STREET_ADMIN)
    client = UserFactory(username="district", role=Role.INTEGRATION, full_name="瑞安市数据平台")
    token, _raw = api_token_issue(actor=None, client=client, name="district", days=3)
    far = UserFactory(username="district2", role=Role.INTEGRATION)
    api_token_issue(actor=None, client=far, name="district2", days=300)

    now = timezone.now()
    assert maintenance.api_tokens_remind_expiring(now=now) == {"tokens": 1, "sent": 2}
    assert maintenance.api_tokens_remind_expiring(now=now) == {"tokens": 1, "sent": 0}
    keys = set(Notification.objects.values_list("recipient__username", "dedup_key"))
    expiry = timezone.localtime(token.expires_at).date().isoformat()
    assert keys == {
        (u.username, f"api-token-expiry:{token.pk}:{expiry}") for u in (street_admin, second_admin)
    }


@pytest.mark.django_db
def test_a_revoked_token_gets_no_reminder(street_admin):
    client = UserFactory(username="district", role=Role.INTEGRATION)
    token, _raw = api_token_issue(actor=None, client=client, name="district", days=3)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert maintenance.api_tokens_remind_expiring(now=timezone.now()) == {"tokens": 0, "sent": 0}


def test_beat_fired_twice_the_work_happened_once(celery_worker):
    """Beat's own scheduler sends the same entry twice; a real worker runs both messages."""
    _expired_sessions(4)
    scheduler = DatabaseScheduler(app=app, lazy=True)
    entry = next(
        e for e in scheduler.all_as_schedule().values() if e.task == "portal.sessions_clear_expired"
    )

    results = [scheduler.apply_async(entry), scheduler.apply_async(entry)]
    outcomes = [result.get(timeout=30) for result in results]

    assert sorted(o["skipped"] for o in outcomes) == [False, True]
    assert sum(o.get("deleted", 0) for o in outcomes) == 4
    assert ScheduledRun.objects.filter(task="portal.sessions_clear_expired").count() == 1
    assert Session.objects.count() == 0
