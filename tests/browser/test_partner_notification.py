"""On the demo data, the moment `make run` has loaded it: `partner`, on a phone, follows a
notification to the referral it names and accepts it."""

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse

from portal.demo.accounts import DEMO_PASSWORD
from portal.demo.services import walkable_referrals
from portal.models import Notification, User
from portal.notifications import name_masked
from services.catalogue.querysets import partners_of
from services.models import Partner, Referral
from tests.browser.conftest import PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_partner_follows_a_notification_to_the_referral_and_accepts_it(
    live_server, phone_page, settings
):
    settings.DEBUG = True  # as `make run` loads it
    call_command("demo_data", stdout=io.StringIO())
    settings.DEBUG = False
    partner_user = User.objects.get(username="partner")
    partner = Partner.objects.get(pk__in=partners_of(partner_user))
    referral = walkable_referrals(partner=partner).select_related("resident", "service_item")[0]
    notification = Notification.objects.get(
        recipient=partner_user,
        object_type=ContentType.objects.get_for_model(Referral),
        object_id=referral.pk,
    )
    url = reverse("services:referral-detail", args=[referral.pk])

    page = phone_page
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill("partner")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")

    page.get_by_test_id("bell").click()
    page.wait_for_url(f"{base}/notifications/**")
    item = page.get_by_test_id("notification").filter(
        has=page.locator(f'a[data-testid="notification-open"][href="{url}"]')
    )
    title = item.get_by_test_id("notification-title").inner_text()
    assert title == notification.title
    # The title names the referral: its service and the resident, masked.
    assert referral.service_item.name in title
    assert name_masked(referral.resident.name) in title
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "partner-notifications-phone")

    item.get_by_test_id("notification-open").click()
    page.wait_for_url(f"{base}{url}")
    assert referral.service_item.name in page.locator("h1").inner_text()
    assert page.get_by_test_id("status").inner_text() == "已派单"
    page.get_by_test_id("action-accept").locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("status").inner_text() == "已接单"
    screenshot(page, "partner-accepted-from-notification-phone")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
