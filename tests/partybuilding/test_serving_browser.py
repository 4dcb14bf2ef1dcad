"""双报到 in the browser, as the issue tells it: the member, on a 390-px phone, claims a need of
the community they reported to and logs their hours; the branch secretary approves them; the
Party-work officer sees the hours on the dashboard and exports the employer organisation's
quarterly feedback sheet."""

import json
from datetime import date

import pytest
from django.utils import timezone

from partybuilding.models import CommunityNeed, ServiceHours
from tests.browser import conftest as browsing
from tests.browser.conftest import PHONE, log_in, screenshot
from tests.partybuilding.factories import CommunityNeedFactory, PointRuleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The browser fixtures live beside the other browser tests (tests/browser/conftest.py).
browser = browsing.browser
phone_page = browsing.phone_page
desktop_page = browsing.desktop_page


@pytest.fixture
def serving(member, community_a, branch_b):
    record = member.party_member
    record.serving = True
    record.employer = "市人民医院"
    record.employer_org = branch_b
    record.reported_community = community_a
    record.reported_on = date(2025, 1, 1)
    record.save()
    return member


def test_member_claims_and_logs_secretary_approves_officer_exports(
    live_server,
    phone_page,
    desktop_page,
    serving,
    secretary,
    party_officer,
    community_a,
    branch_b,
):
    base = live_server.url
    need = CommunityNeedFactory(community=community_a, title="陪老人就医")
    rule = PointRuleFactory(code="t_escort", name="陪护服务")
    phone = phone_page

    # The member claims the need on their phone.
    log_in(phone, base, serving)
    phone.goto(f"{base}/party/me/")
    phone.get_by_test_id("claimable-row").first.click()
    phone.get_by_test_id("claim-button").click()
    phone.get_by_test_id("need-status").wait_for()
    assert CommunityNeed.objects.get(pk=need.pk).status == CommunityNeed.Status.CLAIMED

    # ... and logs their hours for it.
    phone.goto(f"{base}/party/hours/new/")
    phone.fill("#id_served_on", timezone.localdate().isoformat())
    phone.fill("#id_hours", "2.5")
    phone.select_option("#id_rule", str(rule.pk))
    phone.select_option("#id_need", str(need.pk))
    phone.fill("#id_description", "陪同到医院复诊")
    phone.get_by_test_id("submit-hours").click()
    phone.get_by_test_id("hours-status").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "party-hours-logged-phone")
    record = ServiceHours.objects.get(need=need)
    assert record.status == ServiceHours.Status.SUBMITTED

    # The branch secretary approves them (also on a phone).
    log_in(phone, base, secretary)
    phone.goto(f"{base}/party/hours/{record.pk}/")
    phone.get_by_test_id("approve-button").click()
    phone.get_by_test_id("points").wait_for()
    record.refresh_from_db()
    assert record.status == ServiceHours.Status.APPROVED and record.points is not None

    # `party` (the Party-work officer) sees the hours on the dashboard: the approved 2.5 h in
    # the 12-month figure, and in this month's bar of the chart's data.
    office = desktop_page
    log_in(office, base, party_officer)
    office.goto(f"{base}/party/")
    figure = office.get_by_test_id("hours-total")
    assert figure.is_visible()
    assert figure.inner_text().strip() == "2.5"
    charts = json.loads(office.locator("#dashboard-data").text_content())
    assert charts["hours"]["hours"][-1] == 2.5
    screenshot(office, "party-dashboard-hours")

    # ... and exports the employer organisation's quarterly sheet.
    served = record.served_on
    quarter = (served.month - 1) // 3 + 1
    office.goto(f"{base}/party/feedback/?org={branch_b.pk}&year={served.year}&quarter={quarter}")
    assert "陪老人就医" in office.get_by_test_id("sheet-row").first.inner_text()
    with office.expect_download() as download:
        office.get_by_test_id("export-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
