"""The demo stays walkable: each demo partner has a referral to accept for a working day after
`make run` loads it, and a later load (the next day, or after beat escalated it) makes the loop
walkable again through the writes, adding nothing twice."""

import importlib
import io
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from portal.models import AuditEvent, User
from services.catalogue.querysets import partners_of
from services.models import Partner, Referral, ReferralEvent
from services.referrals.deadlines import referrals_escalate_overdue
from services.referrals.writes import referral_accept

Status = Referral.Status
DEMO_PARTNERS = ("partner", "partner2")
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_street(django_db_setup, django_db_blocker):
    """Load once for the module, in DEBUG as `make run` does; each test's changes roll back."""
    from django.conf import settings

    with django_db_blocker.unblock():
        _defaults_install()  # a transactional test before this module may have flushed them
        previous, settings.DEBUG = settings.DEBUG, True
        try:
            call_command("demo_data", stdout=io.StringIO())
        finally:
            settings.DEBUG = previous
        yield
        call_command("flush", "--noinput", verbosity=0)
        _defaults_install()  # leave the configuration the migrations installed


def _defaults_install():
    """The rows the data migrations install (as tests/conftest.py `_configurable_defaults`)."""
    importlib.import_module("partybuilding.migrations.0002_defaults").defaults_install(apps, None)
    importlib.import_module("reporting.migrations.0002_catalogue").catalogue_install(apps, None)


def _load_again(settings):
    settings.DEBUG = True
    call_command("demo_data", stdout=io.StringIO())


def _staff(username) -> User:
    return User.objects.get(username=username)


def _walkable(username, now=None):
    """The referrals awaiting the partner's answer with at least a working day (8 h) left."""
    now = now or timezone.now()
    partner = _partner_of(username)
    return Referral.objects.filter(
        partner=partner, status=Status.ASSIGNED, stage_deadline__gte=now + timedelta(hours=8)
    )


def _partner_of(username):
    return Partner.objects.get(pk__in=partners_of(_staff(username)))


def test_each_demo_partner_has_a_referral_to_accept_for_a_working_day(demo_street):
    for username in DEMO_PARTNERS:
        assert _walkable(username).exists(), username
        # ... and it shows on the partner's own list (its scope).
        visible = Referral.objects.visible_to(_staff(username))
        assert visible.filter(pk__in=_walkable(username)).exists()


def test_the_escalation_task_right_after_the_load_escalates_none_of_them(demo_street):
    waiting = {u: set(_walkable(u).values_list("pk", flat=True)) for u in DEMO_PARTNERS}
    referrals_escalate_overdue(now=timezone.now())
    for username, pks in waiting.items():
        assert set(_walkable(username).values_list("pk", flat=True)) == pks


def test_the_next_day_the_loop_is_still_walkable_and_a_load_adds_nothing(demo_street, settings):
    referrals, events = Referral.objects.count(), ReferralEvent.objects.count()
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        referrals_escalate_overdue(now=timezone.now())  # beat ran overnight
        _load_again(settings)
        for username in DEMO_PARTNERS:
            assert _walkable(username).exists(), username
    assert (Referral.objects.count(), ReferralEvent.objects.count()) == (referrals, events)


def test_a_load_after_the_deadlines_passed_renews_them_through_the_writes(demo_street, settings):
    referrals = Referral.objects.count()
    later = timezone.now() + timedelta(days=4)
    with time_machine.travel(later, tick=False):
        escalated = referrals_escalate_overdue(now=timezone.now())  # beat took them back
        assert escalated["escalated"] >= len(DEMO_PARTNERS)
        for username in DEMO_PARTNERS:
            assert not _walkable(username).exists()

        _load_again(settings)
        for username in DEMO_PARTNERS:
            renewed = _walkable(username).get()
            # Re-assigned through the write: history and audit, not a silent update.
            event = renewed.events.order_by("-at", "-pk").first()
            assert event.to_status == Status.ASSIGNED and event.at == timezone.now()
            assert AuditEvent.objects.filter(
                action="referral.assign", object_id=str(renewed.pk), occurred_at=timezone.now()
            ).exists()
        assert Referral.objects.count() == referrals  # renewed, not duplicated

        events = ReferralEvent.objects.count()
        _load_again(settings)  # a second load the same day changes nothing
        assert ReferralEvent.objects.count() == events
        for username in DEMO_PARTNERS:
            assert _walkable(username).count() == 1
        assert not referrals_escalate_overdue(now=timezone.now())["escalated"]


def test_a_partner_that_answered_everything_gets_one_fresh_referral_once(demo_street, settings):
    staff = _staff("partner")
    partner = _partner_of("partner")
    for referral in Referral.objects.filter(
        partner=partner, status__in=[Status.ASSIGNED, Status.ESCALATED]
    ):
        if referral.status == Status.ESCALATED:
            Referral.objects.filter(pk=referral.pk).update(status=Status.CANCELLED)
        else:
            referral_accept(actor=staff, referral=referral)
    assert not _walkable("partner").exists()
    referrals = Referral.objects.count()

    _load_again(settings)
    assert _walkable("partner").count() == 1
    assert Referral.objects.count() == referrals + 1
    _load_again(settings)
    assert Referral.objects.count() == referrals + 1
