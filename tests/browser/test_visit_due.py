"""A grid worker on a phone opens 待走访: the first row is a high-tier resident with the reason
shown (ahead of a toddler on a general tag waiting much longer); they file a visit for that
resident, who leaves the list."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from grids.models import Resident, ResidentTag, TagDef, Visit
from tests.browser.conftest import PHONE, screenshot
from tests.grids.factories import ResidentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def due_residents(grid_a):
    tag = TagDef.objects.create(
        code="living_alone", name="独居老人", group="elderly", visit_tier="high"
    )
    residents = []
    for days in (12, 5):
        resident = ResidentFactory(household__grid=grid_a)
        ResidentTag.objects.create(resident=resident, tag=tag)
        Resident.objects.filter(pk=resident.pk).update(
            created_at=timezone.now() - timedelta(days=days)
        )
        residents.append(resident)
    return residents  # never visited: the first has waited longest, so it is most urgent


@pytest.fixture
def toddler(grid_a):
    """A two-year-old on a general-tier tag, never visited and waiting far longer."""
    tag = TagDef.objects.create(code="dibian", name="低边", group="special", visit_tier="general")
    resident = ResidentFactory(household__grid=grid_a, birth_date=date(2024, 6, 1))
    ResidentTag.objects.create(resident=resident, tag=tag)
    Resident.objects.filter(pk=resident.pk).update(created_at=timezone.now() - timedelta(days=200))
    return resident


def test_worker_files_a_visit_from_the_due_list_on_a_phone(
    live_server, phone_page, grid_worker, due_residents, toddler
):
    first, second = due_residents
    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(grid_worker.username)
    page.get_by_label("密码").fill("Portal-Test-2026")
    page.get_by_role("button", name="登录").click()
    page.get_by_test_id("home-heading").wait_for()

    page.goto(f"{live_server.url}/grids/visits/due/")
    rows = page.get_by_test_id("due-row")
    assert rows.count() == 3
    # High risk before general, however long the general one has waited.
    assert rows.first.get_attribute("data-resident") == str(first.pk)
    assert rows.first.get_attribute("data-tier") == "high"
    assert rows.last.get_attribute("data-resident") == str(toddler.pk)
    assert rows.first.get_by_test_id("due-tier").inner_text().strip() == "高风险"
    assert rows.first.get_by_test_id("due-tag").inner_text().strip() == "独居老人"
    reason = rows.first.get_by_test_id("due-reason")
    assert reason.is_visible() and "7" in reason.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "worker-visits-due-phone")

    rows.first.get_by_test_id("visit-button").click()
    page.get_by_text("电话").click()  # mode: phone call
    page.get_by_label("走访情况").fill("电话联系，身体尚好，需要助餐")
    page.locator("select[name=needs-0-category]").select_option("meal")
    screenshot(page, "worker-visit-form-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="保存走访记录").click()

    page.wait_for_url("**/grids/visits/due/")
    assert page.get_by_role("alert").first.inner_text().strip().startswith("已记录")
    remaining = page.get_by_test_id("due-row")
    assert remaining.count() == 2
    assert remaining.first.get_attribute("data-resident") == str(second.pk)
    visit = Visit.objects.get()
    assert (visit.resident_id, visit.mode, visit.visitor_id) == (first.pk, "phone", grid_worker.pk)
