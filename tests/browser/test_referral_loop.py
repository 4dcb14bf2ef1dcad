"""The closed loop in the browser, as the issue tells it: the street cadre turns a need raised
in a visit into a referral to the partner's organisation; the partner logs in on a phone,
accepts, logs a delivery and completes; the cadre sees it completed and records the follow-up."""

import pytest
from django.utils import timezone

from grids.models import ResidentTag, TagDef, Visit, VisitNeed
from grids.writes import visit_record
from services.models import Delivery, FollowUpTask, Referral, ReferralEvent
from tests.browser.conftest import PHONE, log_in, screenshot
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.services.factories import MealItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Status = Referral.Status


@pytest.fixture
def need(grid_a, grid_worker):
    """A visit to an elderly woman living alone, by the grid worker, raising a meal need."""
    tag = TagDef.objects.create(
        code="living_alone", name="独居老人", group="elderly", visit_tier="high"
    )
    resident = ResidentFactory(name="陈阿婆", household=HouseholdFactory(grid=grid_a))
    ResidentTag.objects.create(resident=resident, tag=tag)
    visit = visit_record(
        actor=grid_worker,
        resident=resident,
        household=None,
        mode=Visit.Mode.HOME,
        visited_at=timezone.now(),
        findings="独居，做饭困难",
        needs=[{"category": "meal", "description": "希望每天有人送午餐"}],
    )
    return visit.needs.get()


@pytest.fixture
def meal_service(partner_p, partner_q):
    return MealItemFactory(
        name="老年助餐", eligibility_rule="living_alone", subsidy=5, partners=[partner_p, partner_q]
    )


def act(page, action: str) -> None:
    """Press the button of one action form on the referral page and wait for the page after."""
    page.get_by_test_id(f"action-{action}").locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_cadre_refers_a_need_partner_serves_cadre_follows_up(
    live_server,
    desktop_page,
    phone_page,
    need,
    meal_service,
    street_cadre,
    partner_staff,
    partner_p,
):
    base = live_server.url
    cadre = desktop_page

    # The cadre reads the visit and refers its need.
    log_in(cadre, base, street_cadre)
    cadre.goto(f"{base}/grids/visits/{need.visit_id}/")
    cadre.get_by_test_id("refer-need").click()
    cadre.get_by_label("服务").select_option(str(meal_service.pk))
    cadre.get_by_role("button", name="创建转介").click()
    cadre.get_by_test_id("status").wait_for()
    referral = Referral.objects.get(need=need)
    assert cadre.get_by_test_id("status").inner_text() == "草稿"
    need.refresh_from_db()
    assert need.status == VisitNeed.Status.REFERRED

    # Consent, submit, approve and assign to the partner, each through its form.
    cadre.locator("label[for=id_consent-consent_by_0]").click()  # the resident herself
    act(cadre, "consent")
    act(cadre, "submit")
    act(cadre, "approve")
    cadre.get_by_test_id("action-assign").locator("select").select_option(str(partner_p.pk))
    act(cadre, "assign")
    assert cadre.get_by_test_id("status").inner_text() == "已派单"
    screenshot(cadre, "loop-1-cadre-assigned")

    # The partner, on a phone: the referral waits in their list; accept, start, log, complete.
    phone = phone_page
    log_in(phone, base, partner_staff)
    phone.get_by_test_id("nav-partner-referrals").wait_for(state="attached")
    phone.goto(f"{base}/services/referrals/")
    phone.get_by_test_id("referral-row").filter(has_text="陈阿婆").click()
    assert "身份证" not in phone.content()  # the partner never sees an ID number
    act(phone, "accept")
    act(phone, "start")
    phone.get_by_test_id("log-delivery").click()
    phone.get_by_label("数量", exact=False).fill("1")
    phone.locator("label[for=id_verification_0]").click()
    phone.get_by_label("服务人员", exact=False).fill("张阿姨")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "loop-2-partner-delivery-phone")
    phone.get_by_test_id("delivery-save").click()
    phone.get_by_test_id("referral-delivery").first.wait_for()
    act(phone, "complete")
    assert phone.get_by_test_id("status").inner_text() == "已完成"

    # The cadre sees it completed, with its delivery, and records the follow-up, then closes.
    cadre.reload()
    assert cadre.get_by_test_id("status").inner_text() == "已完成"
    assert cadre.get_by_test_id("referral-delivery").count() == 1
    assert cadre.get_by_test_id("follow-up-task").is_visible()
    cadre.get_by_test_id("action-follow-up").locator("textarea").fill(
        "电话回访，老人说午餐按时送到"
    )
    act(cadre, "follow-up")
    cadre.get_by_test_id("action-close").locator("textarea").fill("助餐已落实，每日午餐")
    cadre.locator("label[for=id_close-satisfaction_4]").click()  # 5 of 5
    act(cadre, "close")
    assert cadre.get_by_test_id("status").inner_text() == "已办结"
    screenshot(cadre, "loop-3-cadre-closed")

    referral.refresh_from_db()
    assert referral.status == Status.CLOSED and referral.satisfaction == 5
    assert list(
        ReferralEvent.objects.filter(referral=referral).values_list("to_status", flat=True)
    ) == [
        "draft", "submitted", "approved", "assigned", "accepted", "in_service", "completed",
        "followed_up", "closed",
    ]  # fmt: skip
    delivery = Delivery.objects.get(referral=referral)
    assert delivery.partner == partner_p and delivery.staff_name == "张阿姨"
    assert FollowUpTask.objects.get(referral=referral).done_by == street_cadre
