"""The hourly task that escalates referrals whose stage deadline passed: once each, set-wise."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.models import AuditEvent, Notification
from services.models import Referral, ReferralEvent
from services.referrals import deadlines
from tests.helpers import count_queries

Status = Referral.Status
pytestmark = pytest.mark.django_db


def test_an_overdue_referral_escalates_once_and_the_street_hears_once(
    make_referral, street_admin, street_cadre, partner_staff
):
    now = timezone.now()
    overdue = make_referral(Status.ASSIGNED, stage_deadline=now - timedelta(hours=1))
    later = make_referral(Status.ASSIGNED, stage_deadline=now + timedelta(hours=1))
    no_deadline = make_referral(Status.DRAFT, stage_deadline=None)
    closed = make_referral(Status.CLOSED, stage_deadline=now - timedelta(days=1))  # not escalatable

    first = deadlines.referrals_escalate_overdue(now=now)
    second = deadlines.referrals_escalate_overdue(now=now + timedelta(hours=1, minutes=1))

    assert first == {"overdue": 1, "escalated": 1, "skipped": 0, "sent": 2}
    # An hour later not_due is overdue too, but the escalated one is not selected again.
    assert second == {"overdue": 1, "escalated": 1, "skipped": 0, "sent": 2}
    overdue.refresh_from_db()
    later.refresh_from_db()
    assert later.status == Status.ESCALATED
    assert overdue.status == Status.ESCALATED and overdue.stage_deadline is None
    event = ReferralEvent.objects.get(referral=overdue, to_status=Status.ESCALATED)
    assert (event.from_status, event.actor) == (Status.ASSIGNED, None)
    assert (
        AuditEvent.objects.filter(action="referral.escalate", object_id=str(overdue.pk)).count()
        == 1
    )
    deadline = timezone.localtime(now - timedelta(hours=1)).isoformat()
    keys = set(
        Notification.objects.filter(
            dedup_key__startswith=f"referral-escalated:{overdue.pk}:"
        ).values_list("recipient__username", "dedup_key")
    )
    key = f"referral-escalated:{overdue.pk}:{deadline}"
    assert keys == {(street_admin.username, key), (street_cadre.username, key)}
    assert not Notification.objects.filter(recipient=partner_staff).exists()

    third = deadlines.referrals_escalate_overdue(now=now + timedelta(days=1))
    assert third == {"overdue": 0, "escalated": 0, "skipped": 0, "sent": 0}
    for referral, status in ((no_deadline, Status.DRAFT), (closed, Status.CLOSED)):
        referral.refresh_from_db()
        assert referral.status == status
    assert Notification.objects.filter(dedup_key__startswith="referral-escalated:").count() == 4


def test_not_yet_due_referrals_are_untouched(make_referral, street_admin):
    now = timezone.now()
    referral = make_referral(Status.IN_SERVICE, stage_deadline=now + timedelta(days=1))
    assert deadlines.referrals_escalate_overdue(now=now)["overdue"] == 0
    referral.refresh_from_db()
    assert referral.status == Status.IN_SERVICE
    assert not ReferralEvent.objects.filter(referral=referral).exists()
    assert not Notification.objects.exists()


def test_a_referral_moved_by_a_concurrent_run_is_skipped(make_referral, street_admin, monkeypatch):
    """The row is selected, then someone else escalates it before this run locks it."""
    now = timezone.now()
    referral = make_referral(Status.ASSIGNED, stage_deadline=now - timedelta(minutes=5))
    real = deadlines.referral_escalate

    def racing(*, actor, referral, note=""):
        Referral.objects.filter(pk=referral.pk).update(status=Status.ESCALATED)
        return real(actor=actor, referral=referral, note=note)

    monkeypatch.setattr(deadlines, "referral_escalate", racing)
    result = deadlines.referrals_escalate_overdue(now=now)
    assert result == {"overdue": 1, "escalated": 0, "skipped": 1, "sent": 0}
    assert not Notification.objects.exists()
    assert not ReferralEvent.objects.filter(referral=referral).exists()


def test_queries_grow_by_a_constant_per_escalation_only(make_referral, street_admin, street_cadre):
    """Measured (two street users): 1 query when nothing is overdue (the set-wise select); with
    overdue referrals 2 fixed (the select, the street users) + 24 per escalation: 1, 2 and 6
    overdue referrals cost 26, 50 and 146. The 24 are referral_escalate's own transaction
    (savepoints, row lock, full_clean's FK checks, save, history row, audit row) and one
    get_or_create with its savepoint per street user; nothing else runs per row."""
    now = timezone.now()

    def run_with(n):
        for _ in range(n):
            make_referral(Status.ASSIGNED, stage_deadline=now - timedelta(minutes=1))
        count, _sql = count_queries(lambda: deadlines.referrals_escalate_overdue(now=now))
        assert Referral.objects.filter(status=Status.ESCALATED).count() == run_with.total + n
        run_with.total += n
        return count

    run_with.total = 0
    run_with(1)  # warm caches (content types) so the measured runs see the same state
    empty = run_with(0)
    one, two, six = run_with(1), run_with(2), run_with(6)
    per_escalation = two - one
    assert empty == 1
    assert per_escalation > 0
    assert six == one + 5 * per_escalation, (empty, one, two, six)
    print(f"queries: empty={empty} one={one} two={two} six={six} per={per_escalation}")
