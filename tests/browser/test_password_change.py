"""A partner's new staff member signs in on a phone with the password the street administrator
handed over, is asked to choose their own first, and then works with it."""

import pytest

from portal.roles import Role
from portal.writes import person_account_create
from services.catalogue.writes import partner_staff_bind
from tests.browser.conftest import PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWN = "Anxin-Road-2026"


def test_a_new_staff_member_chooses_their_password_on_a_phone(
    live_server, phone_page, street_admin, partner_p
):
    account, handed_over = person_account_create(
        actor=street_admin, username="ankang-li", full_name="李护理", role=Role.PARTNER_STAFF
    )
    partner_staff_bind(actor=street_admin, person=account, partner=partner_p)
    page = phone_page
    page.goto(f"{live_server.url}/services/referrals/")
    page.get_by_label("用户名").fill("ankang-li")
    page.get_by_label("密码").fill(handed_over)
    page.get_by_role("button", name="登录").click()

    page.get_by_test_id("password-change-required").wait_for()
    assert "/accounts/password/" in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Full-width fields a thumb can hit, not bare browser inputs.
    box = page.locator("#id_new_password").bounding_box()
    assert box["width"] >= PHONE["width"] * 0.7 and box["height"] >= 36
    screenshot(page, "password-change-phone")

    # A slip of the finger: the second new password differs.
    page.locator("#id_old_password").fill(handed_over)
    page.locator("#id_new_password").fill(OWN)
    page.locator("#id_new_password_again").fill(OWN + "x")
    page.get_by_test_id("password-change-submit").click()
    page.get_by_test_id("error-new_password_again").wait_for()
    assert "不一致" in page.get_by_test_id("error-new_password_again").inner_text()

    page.locator("#id_old_password").fill(handed_over)
    page.locator("#id_new_password").fill(OWN)
    page.locator("#id_new_password_again").fill(OWN)
    page.get_by_test_id("password-change-submit").click()

    page.wait_for_url("**/services/referrals/")
    assert "密码已修改" in page.locator("body").inner_text()
    account.refresh_from_db()
    assert account.check_password(OWN) and not account.password_change_required


def test_the_street_administrator_hands_a_forgetful_cadre_a_new_password(
    live_server, phone_page, browser, street_admin, community_cadre
):
    from tests.browser.conftest import log_in

    page, base = phone_page, live_server.url
    log_in(page, base, street_admin)
    page.goto(f"{base}/street-admin/accounts/{community_cadre.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())  # "Their current password stops working"
    page.get_by_test_id("password-reset").click()
    box = page.get_by_test_id("new-password")
    box.wait_for()
    handed_over = box.input_value()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "password-reset-phone")
    page.reload()  # shown once: the address is the account's page again, nothing posted twice
    assert page.get_by_test_id("new-password").count() == 0

    cadre = browser.new_context(viewport=PHONE).new_page()
    cadre.goto(f"{base}/accounts/login/")
    cadre.get_by_label("用户名").fill(community_cadre.username)
    cadre.get_by_label("密码").fill(handed_over)
    cadre.get_by_role("button", name="登录").click()
    cadre.get_by_test_id("password-change-required").wait_for()
    cadre.context.close()
