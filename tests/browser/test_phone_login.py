"""A grid worker logs in on a phone and lands on a Chinese home page of their own grid."""

import pytest

from tests.browser.conftest import PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_worker_logs_in_on_a_phone_and_sees_the_home_page_in_chinese(
    live_server, phone_page, grid_worker, resident_a
):
    page = phone_page
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url  # not logged in: sent to the login page

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.get_by_label("用户名").fill(grid_worker.username)
    page.get_by_label("密码").fill("Portal-Test-2026")
    page.get_by_role("button", name="登录").click()

    heading = page.get_by_test_id("home-heading")
    heading.wait_for()
    assert grid_worker.full_name in heading.inner_text()
    body = page.locator("body").inner_text()
    assert "居民" in body  # the residents card of their grid
    # Nothing wider than the phone: no horizontal scrolling on a 390-px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    screenshot(page, "worker-home-phone")

    # The collapsed menu opens and shows the role and the way out.
    page.get_by_role("button", name="菜单").click()
    # Wait for Bootstrap's collapse and dropdown to finish opening: a click during the
    # transition can be taken by the closing animation (seen once under a loaded machine).
    page.locator("#mainnav.show").wait_for()
    page.get_by_role("button", name=grid_worker.full_name).click()
    page.locator(".dropdown-menu-end.show").wait_for()
    assert page.get_by_text("网格员", exact=True).is_visible()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/accounts/login/")
