"""Notifications lead somewhere: each carries its object, a title naming it and a link that opens
for its recipient; nobody — partner staff least of all — gets one whose object would 404."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import Notification
from portal.notifications import name_masked, notification_send
from services.models import Referral
from services.referrals import deadlines, reminders
from services.referrals.models import DeclineReason
from services.referrals.writes import (
    referral_accept,
    referral_assign,
    referral_complete,
    referral_decline,
)
from tests.helpers import login
from tests.services import conftest as services_fixtures

# The services tests' referral fixtures, shared here (tests/services/conftest.py).
cleaning = services_fixtures.cleaning
make_referral = services_fixtures.make_referral

Status = Referral.Status
pytestmark = pytest.mark.django_db


def _opens(user, notification) -> int:
    return login(Client(), user).get(notification.url).status_code


def _assert_linked(notification, referral):
    assert notification.object == referral
    assert notification.object_type == ContentType.objects.get_for_model(Referral)
    assert notification.url == reverse("services:referral-detail", args=[referral.pk])
    assert referral.service_item.name in notification.title


def test_an_assignment_tells_the_partner_staff_which_referral_and_the_link_opens(
    make_referral, street_cadre, partner_staff, other_partner_staff, partner_p
):
    referral = make_referral(Status.APPROVED, partner=None)
    referral_assign(actor=street_cadre, referral=referral, partner=partner_p)

    notification = Notification.objects.get(recipient=partner_staff)
    _assert_linked(notification, referral)
    assert name_masked(referral.resident.name) in notification.title
    assert referral.resident.name not in notification.title  # masked, even for the partner
    assert _opens(partner_staff, notification) == 200
    assert not Notification.objects.filter(recipient=other_partner_staff).exists()


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_the_partners_answer_tells_the_creator_and_the_link_opens(
    answer, make_referral, grid_worker, partner_staff
):
    referral = make_referral(Status.ASSIGNED)
    if answer == "accept":
        referral_accept(actor=partner_staff, referral=referral)
    else:
        referral_decline(actor=partner_staff, referral=referral, reason=DeclineReason.CAPACITY)

    notification = Notification.objects.get(recipient=grid_worker)
    _assert_linked(notification, referral)
    assert _opens(grid_worker, notification) == 200


def test_a_completion_tells_the_creator_and_the_link_opens(
    make_referral, grid_worker, partner_staff
):
    referral = make_referral(Status.IN_SERVICE)
    referral_complete(actor=partner_staff, referral=referral, note="完成")

    notification = Notification.objects.get(recipient=grid_worker)
    _assert_linked(notification, referral)
    assert _opens(grid_worker, notification) == 200


def test_an_escalation_tells_the_street_which_referral_and_the_link_opens(
    make_referral, street_cadre, street_admin
):
    now = timezone.now()
    referral = make_referral(Status.ASSIGNED, stage_deadline=now - timedelta(hours=1))
    deadlines.referrals_escalate_overdue(now=now)

    for user in (street_cadre, street_admin):
        notification = Notification.objects.get(recipient=user)
        _assert_linked(notification, referral)
        assert name_masked(referral.resident.name) in notification.title
        assert _opens(user, notification) == 200


def test_a_deadline_reminder_names_the_referral_and_opens_for_the_partner(
    make_referral, partner_staff
):
    now = timezone.now()
    referral = make_referral(Status.ASSIGNED, stage_deadline=now + timedelta(hours=3))
    reminders.referral_deadline_reminders_send(now=now)

    notification = Notification.objects.get(recipient=partner_staff)
    _assert_linked(notification, referral)
    assert name_masked(referral.resident.name) in notification.title
    assert _opens(partner_staff, notification) == 200


def test_a_follow_up_reminder_opens_for_its_assignee(make_referral, grid_worker, partner_staff):
    referral = make_referral(Status.IN_SERVICE)
    referral_complete(actor=partner_staff, referral=referral, note="完成")
    Notification.objects.all().delete()
    reminders.follow_up_reminders_send(today=timezone.localdate() + timedelta(days=30))

    notification = Notification.objects.get(recipient=grid_worker)
    _assert_linked(notification, referral)
    assert _opens(grid_worker, notification) == 200


def test_nobody_is_sent_a_notification_about_what_they_cannot_open(
    make_referral, partner_staff, other_partner_staff, partner_q
):
    ours = make_referral(Status.ASSIGNED)
    theirs = make_referral(Status.ASSIGNED, partner=partner_q)

    notification, created = notification_send(
        recipient=partner_staff,
        title="转介",
        obj=theirs,
        url=reverse("services:referral-detail", args=[theirs.pk]),
    )
    assert (notification, created) == (None, False)
    assert (
        login(Client(), partner_staff)
        .get(reverse("services:referral-detail", args=[theirs.pk]))
        .status_code
        == 404
    )  # which is why it was not sent

    sent, created = notification_send(recipient=partner_staff, title="转介", obj=ours)
    assert created and sent.object == ours


def test_every_notification_partner_staff_get_from_the_loop_opens(
    make_referral, street_cadre, partner_staff, other_partner_staff, partner_p, partner_q
):
    """The whole loop and the reminders, then every partner notification's link is followed."""
    now = timezone.now()
    for partner in (partner_p, partner_q):
        referral_assign(
            actor=street_cadre,
            referral=make_referral(Status.APPROVED, partner=None),
            partner=partner,
        )
    make_referral(Status.ASSIGNED, stage_deadline=now + timedelta(hours=2))
    make_referral(Status.ACCEPTED, stage_deadline=now + timedelta(hours=2), partner=partner_q)
    reminders.referral_deadline_reminders_send(now=now)

    for user in (partner_staff, other_partner_staff):
        received = list(Notification.objects.filter(recipient=user))
        assert len(received) == 2
        for notification in received:
            assert notification.url and notification.object is not None
            assert _opens(user, notification) == 200, notification.title


def test_the_notifications_page_links_each_item_to_its_object(
    make_referral, street_cadre, partner_staff, partner_p
):
    referral = make_referral(Status.APPROVED, partner=None)
    referral_assign(actor=street_cadre, referral=referral, partner=partner_p)

    page = login(Client(), partner_staff).get(reverse("notifications")).content.decode()
    url = reverse("services:referral-detail", args=[referral.pk])
    assert f'href="{url}" data-testid="notification-title"' in page
    assert f'href="{url}" data-testid="notification-open"' in page


def test_a_referral_that_left_the_partners_scope_is_no_longer_linked(
    make_referral, street_cadre, partner_staff, partner_p
):
    """Assigned, then declined: the partner no longer sees the referral, so its notification
    shows the title without a link instead of leading to a 404."""
    referral = make_referral(Status.APPROVED, partner=None)
    referral_assign(actor=street_cadre, referral=referral, partner=partner_p)
    client = login(Client(), partner_staff)
    url = reverse("services:referral-detail", args=[referral.pk])
    assert f'href="{url}"' in client.get(reverse("notifications")).content.decode()

    referral_decline(actor=partner_staff, referral=referral, reason=DeclineReason.CAPACITY)
    assert client.get(url).status_code == 404
    for page in (reverse("notifications"), reverse("home")):
        html = client.get(page).content.decode()
        assert name_masked(referral.resident.name) in html
        assert f'href="{url}"' not in html, page
