"""Overdue-visit reminders: worker at once, leader after 3 days, community after 7; each once."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from grids import writes as grid_writes
from grids.models import GridAssignment, Resident, ResidentTag, Visit
from grids.reminders import visit_reminders_send
from portal.celery import app
from portal.models import Notification
from portal.roles import Role
from tests.grids.factories import ResidentFactory
from tests.helpers import count_queries, login
from tests.portal.factories import UserFactory

NOW = timezone.make_aware(timezone.datetime(2026, 11, 28, 10, 0))


def _overdue(resident, tag, *, days: float, now=NOW):
    """Put the resident on a cadence and make them overdue by `days` (never visited)."""
    ResidentTag.objects.get_or_create(resident=resident, tag=tag)
    Resident.objects.filter(pk=resident.pk).update(created_at=now - timedelta(days=days))
    return resident


def _mine(user):
    return list(Notification.objects.filter(recipient=user).order_by("id"))


def _counts(**sent):
    return {"worker": 0, "leader": 0, "community": 0, **sent}


@pytest.mark.django_db
def test_escalation_worker_at_once_leader_after_3_days_community_after_7(
    key_tag, resident_a, grid_worker, grid_leader, community_cadre
):
    _overdue(resident_a, key_tag, days=1)  # fell due yesterday at 10:00

    assert visit_reminders_send(now=NOW) == {"overdue": 1, **_counts(worker=1)}
    assert (len(_mine(grid_worker)), _mine(grid_leader), _mine(community_cadre)) == (1, [], [])

    # Overdue by 2 days 23 hours: still only the worker's reminder.
    assert visit_reminders_send(now=NOW + timedelta(days=1, hours=23)) == {
        "overdue": 1,
        **_counts(),
    }
    # Overdue by 3 days: the grid leader hears of it.
    assert visit_reminders_send(now=NOW + timedelta(days=2)) == {"overdue": 1, **_counts(leader=1)}
    assert _mine(community_cadre) == []
    # Overdue by 7 days: the community cadre gets the day's digest.
    assert visit_reminders_send(now=NOW + timedelta(days=6)) == {
        "overdue": 1,
        **_counts(community=1),
    }

    [to_worker] = _mine(grid_worker)
    assert resident_a.name in to_worker.title
    assert to_worker.url == reverse("grids:resident-detail", args=[resident_a.pk])
    assert "2026-11-27" in to_worker.body  # the due date
    [to_leader] = _mine(grid_leader)
    assert resident_a.name in to_leader.title
    assert to_leader.url == to_worker.url
    [digest] = _mine(community_cadre)
    assert "江滨社区" in digest.title and "1" in digest.title
    assert digest.url == reverse("grids:visits-due")
    assert resident_a.name not in digest.title + digest.body  # a count, not a list of names


@pytest.mark.django_db
def test_the_worker_sees_the_reminder_in_the_notification_list(
    client, key_tag, resident_a, grid_worker
):
    _overdue(resident_a, key_tag, days=2)
    visit_reminders_send(now=NOW)
    login(client, grid_worker)
    page = client.get(reverse("notifications")).content.decode()
    assert resident_a.name in page


@pytest.mark.django_db
def test_beat_firing_twice_sends_each_reminder_once(
    key_tag, resident_a, grid_worker, grid_leader, community_cadre
):
    _overdue(resident_a, key_tag, days=10)
    first = visit_reminders_send(now=NOW)
    second = visit_reminders_send(now=NOW)
    later_that_hour = visit_reminders_send(now=NOW + timedelta(minutes=50))
    assert first == {"overdue": 1, **_counts(worker=1, leader=1, community=1)}
    assert second == later_that_hour == {"overdue": 1, **_counts()}
    assert [len(_mine(u)) for u in (grid_worker, grid_leader, community_cadre)] == [1, 1, 1]
    keys = set(Notification.objects.values_list("dedup_key", flat=True))
    due = (NOW - timedelta(days=10)).date().isoformat()
    assert keys == {
        f"visit-overdue:{resident_a.pk}:{due}:worker",
        f"visit-overdue:{resident_a.pk}:{due}:leader",
        f"visit-overdue:community:{resident_a.household.grid.community_id}:2026-11-28",
    }


@pytest.mark.django_db
def test_the_community_digest_is_one_per_cadre_and_day_however_many_residents(
    key_tag, grid_a, grid_worker, community_cadre
):
    for _ in range(6):
        _overdue(ResidentFactory(household__grid=grid_a), key_tag, days=8)
    _overdue(ResidentFactory(household__grid=grid_a), key_tag, days=2)  # not that far yet

    result = visit_reminders_send(now=NOW)
    assert result == {"overdue": 7, **_counts(worker=7, community=1)}
    [digest] = _mine(community_cadre)
    assert "6" in digest.title
    # The next day brings a fresh digest while they stay overdue; the same day does not.
    assert visit_reminders_send(now=NOW + timedelta(hours=1))["community"] == 0
    assert visit_reminders_send(now=NOW + timedelta(days=1))["community"] == 1


@pytest.mark.django_db
def test_a_visit_in_between_stops_the_reminders(
    key_tag, resident_a, grid_worker, grid_leader, community_cadre
):
    _overdue(resident_a, key_tag, days=1)
    visit_reminders_send(now=NOW)
    Visit.objects.create(
        household=resident_a.household,
        resident=resident_a,
        visitor=grid_worker,
        visited_at=NOW + timedelta(hours=2),
    )

    # Days later nothing escalates: the due date moved 30 days on (key tier).
    assert visit_reminders_send(now=NOW + timedelta(days=8)) == {"overdue": 0, **_counts()}
    assert (len(_mine(grid_worker)), _mine(grid_leader), _mine(community_cadre)) == (1, [], [])

    # Overdue again after the new due date: a new reminder for the new due date.
    result = visit_reminders_send(now=NOW + timedelta(days=31))
    assert result == {"overdue": 1, **_counts(worker=1)}
    assert "2026-12-28" in _mine(grid_worker)[-1].body


@pytest.mark.django_db
def test_reminders_stay_in_the_grid_and_community_they_concern(
    key_tag, resident_a, resident_b, grid_a, grid_worker, grid_leader, community_cadre,
    other_grid_worker, community_a, street_admin,
):  # fmt: skip
    _overdue(resident_a, key_tag, days=10)
    _overdue(resident_b, key_tag, days=10)
    integration = UserFactory(username="t_district", role=Role.INTEGRATION)
    grid_writes.region_staff_grant(actor=None, person=integration, region=community_a)
    left = UserFactory(username="t_left", role=Role.GRID_WORKER)
    assignment = grid_writes.grid_assign(
        actor=None, person=left, grid=grid_a, post="part_time", start_date=date(2025, 1, 1)
    )
    grid_writes.grid_assignment_end(actor=None, assignment=assignment, end_date=date(2026, 6, 30))
    volunteer = UserFactory(username="t_micro", role=Role.GRID_WORKER)
    GridAssignment.objects.create(
        grid=grid_a, person=volunteer, post="micro_leader", start_date=date(2025, 1, 1)
    )

    visit_reminders_send(now=NOW)

    def about(user):
        return {n.url for n in _mine(user)}

    page_a = reverse("grids:resident-detail", args=[resident_a.pk])
    page_b = reverse("grids:resident-detail", args=[resident_b.pk])
    assert about(grid_worker) == {page_a}
    assert about(grid_leader) == {page_a}
    assert about(other_grid_worker) == {page_b}  # grid B's worker hears nothing of grid A
    assert [n.title for n in _mine(community_cadre)] == [_mine(community_cadre)[0].title]
    assert "江滨社区" in _mine(community_cadre)[0].title  # community A only
    for nobody in (integration, left, volunteer, street_admin):
        assert _mine(nobody) == []


@pytest.mark.django_db
def test_a_grid_without_a_worker_reaches_its_leader_after_3_days(key_tag, resident_a, grid_leader):
    _overdue(resident_a, key_tag, days=1)
    assert visit_reminders_send(now=NOW) == {"overdue": 1, **_counts()}
    assert visit_reminders_send(now=NOW + timedelta(days=2))["leader"] == 1


@pytest.mark.django_db
def test_a_leader_who_also_works_the_grid_gets_the_worker_reminder_only(
    key_tag, resident_a, grid_a, grid_leader
):
    grid_writes.grid_assign(
        actor=None, person=grid_leader, grid=grid_a, post="full_time", start_date=date(2025, 1, 1)
    )
    _overdue(resident_a, key_tag, days=5)
    assert visit_reminders_send(now=NOW) == {"overdue": 1, **_counts(worker=1)}
    assert len(_mine(grid_leader)) == 1


@pytest.mark.django_db
def test_escalation_thresholds_are_settings(settings, key_tag, resident_a, grid_leader):
    settings.VISIT_ESCALATE_LEADER_DAYS = 1
    _overdue(resident_a, key_tag, days=1)
    assert visit_reminders_send(now=NOW)["leader"] == 1


def _add_overdue(grid, tag, n):
    for _ in range(n):
        _overdue(ResidentFactory(household__grid=grid), tag, days=10)


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_number_of_overdue_residents(
    key_tag, grid_a, grid_worker, grid_leader, community_cadre
):
    # Expected: grid staff, community cadres, the overdue set (one query, streamed),
    # then per batch the keys already sent and one INSERT.
    _add_overdue(grid_a, key_tag, 1)
    one, _sql = count_queries(lambda: visit_reminders_send(now=NOW))
    assert Notification.objects.count() == 3
    Notification.objects.all().delete()

    _add_overdue(grid_a, key_tag, 19)
    twenty, sql = count_queries(lambda: visit_reminders_send(now=NOW))
    assert Notification.objects.count() == 20 + 20 + 1
    assert one == twenty == 5, "\n".join(sql)


@pytest.mark.django_db
def test_large_runs_are_written_in_bounded_batches(key_tag, grid_a, grid_worker, grid_leader):
    _add_overdue(grid_a, key_tag, 12)
    _queries, sql = count_queries(lambda: visit_reminders_send(now=NOW, batch_size=5))
    assert Notification.objects.filter(recipient=grid_worker).count() == 12
    assert Notification.objects.filter(recipient=grid_leader).count() == 12
    inserts = [q for q in sql if q.startswith('INSERT INTO "portal_notification"')]
    assert len(inserts) == 5  # 24 notifications, at most 5 per INSERT
    assert visit_reminders_send(now=NOW, batch_size=5) == {"overdue": 12, **_counts()}


@pytest.mark.django_db
def test_both_schedules_are_in_beats_database():
    tasks = dict(PeriodicTask.objects.values_list("task", "crontab__hour"))
    assert tasks["grids.visit_reminders_send"] == "*"  # hourly
    assert tasks["grids.age_tags_refresh"] == "0"  # daily, after midnight


def test_beat_fired_twice_into_a_real_worker_sends_one_reminder_each(
    celery_worker, key_tag, resident_a, grid_worker, grid_leader, community_cadre
):
    _overdue(resident_a, key_tag, days=10, now=timezone.now())
    scheduler = DatabaseScheduler(app=app, lazy=True)
    entry = next(
        e for e in scheduler.all_as_schedule().values() if e.task == "grids.visit_reminders_send"
    )

    results = [scheduler.apply_async(entry), scheduler.apply_async(entry)]
    outcomes = [result.get(timeout=30) for result in results]

    assert [o["overdue"] for o in outcomes] == [1, 1]
    assert sum(o["worker"] for o in outcomes) == 1
    assert sum(o["leader"] for o in outcomes) == 1
    assert sum(o["community"] for o in outcomes) == 1
    assert [len(_mine(u)) for u in (grid_worker, grid_leader, community_cadre)] == [1, 1, 1]


@pytest.mark.django_db
def test_a_visit_due_earlier_today_reads_due_today_not_overdue_0_days(
    settings, grid_worker, resident_a, key_tag
):
    """Due at 04:00, reminded at 10:00: the worker reads "due today", never "overdue 0 days"."""
    settings.LANGUAGE_CODE = "en"  # reminders are written in the portal's language
    _overdue(resident_a, key_tag, days=0.25)
    assert visit_reminders_send(now=NOW)["worker"] == 1
    (reminder,) = _mine(grid_worker)
    text = f"{reminder.title} {reminder.body}"
    assert "0 days" not in text
    assert "today" in text
    # A day later the same due date is one calendar day overdue (the key is the same: no
    # second reminder for the worker).
    assert visit_reminders_send(now=NOW + timedelta(days=1))["worker"] == 0
