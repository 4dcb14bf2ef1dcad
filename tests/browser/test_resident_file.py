"""The street cadre on a phone opens a resident and sees the whole file: the visit the grid
worker has just filed, with its findings, and the resident's referral, linked to its page."""

import pytest

from grids.writes import visit_record
from tests.browser.conftest import PHONE, log_in, screenshot
from tests.services.factories import ReferralFactory, ServiceItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FINDINGS = "独居，腿脚不便，希望有人送午餐"


def test_cadre_opens_a_resident_and_sees_the_visit_just_filed_and_a_referral(
    live_server, phone_page, street_cadre, grid_worker, resident_a, partner_p
):
    referral = ReferralFactory(
        resident=resident_a, partner=partner_p, service_item=ServiceItemFactory(name="助餐服务")
    )
    visit_record(actor=grid_worker, resident=resident_a, mode="home", findings=FINDINGS)

    page = phone_page
    log_in(page, live_server.url, street_cadre)
    page.goto(f"{live_server.url}/grids/residents/")
    page.get_by_test_id("resident-row").filter(has_text=resident_a.name).click()
    page.get_by_role("heading", name=resident_a.name).wait_for()

    visits = page.get_by_test_id("file-visits")
    assert FINDINGS in visits.get_by_test_id("file-visit").first.inner_text()
    referrals = page.get_by_test_id("file-referrals")
    row = referrals.get_by_test_id("file-referral").first
    assert "助餐服务" in row.inner_text()
    assert referral.get_status_display() in row.inner_text()  # in Chinese: 服务中
    # The household is its number and address, not a raw code on its own.
    assert resident_a.household.number in page.get_by_test_id("household-link").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "cadre-resident-file-phone")

    row.click()
    page.wait_for_url(f"**/services/referrals/{referral.pk}/")

    # The household's page: its members and the same visit.
    page.go_back()
    page.get_by_test_id("household-link").get_by_role("link").click()
    page.wait_for_url(f"**/grids/households/{resident_a.household_id}/")
    assert page.get_by_test_id("member-row").filter(has_text=resident_a.name).count() == 1
    assert FINDINGS in page.get_by_test_id("file-visits").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "cadre-household-file-phone")
