"""`admin` runs the street from a phone: grants `community` a second community, opens an
integration account, grants it a community and issues its token from the pages — and the
token's API list is no longer empty."""

import pytest

from portal.models import ApiToken, User
from tests.browser.conftest import PHONE, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_admin_grants_a_community_and_issues_an_integration_token_from_the_pages(
    live_server,
    phone_page,
    street_admin,
    community_cadre,
    community_a,
    community_b,
    resident_a,
    resident_b,
):
    page, base = phone_page, live_server.url
    log_in(page, base, street_admin)

    # 街道管理 from the menu (collapsed on the phone).
    page.get_by_role("button", name="菜单").click()
    page.locator("#mainnav.show").wait_for()
    page.get_by_test_id("nav-street-admin").click()
    page.get_by_test_id("admin-jurisdiction").click()
    page.get_by_test_id(f"account-{community_cadre.username}").click()

    # The community cadre of 江滨社区 gets 阁巷社区 as well.
    page.locator("#id_region").select_option(str(community_b.pk))
    page.get_by_test_id("grant-submit").click()
    page.wait_for_load_state()
    granted = page.get_by_test_id("granted-regions").inner_text()
    assert community_a.name in granted and community_b.name in granted
    assert _fits_the_phone(page)
    screenshot(page, "admin-grant-community-phone")

    # A new integration account: it sees nothing until granted.
    page.goto(f"{base}/street-admin/jurisdiction/")
    page.get_by_test_id("integration-create").click()
    page.locator("#id_username").fill("district-platform")
    page.locator("#id_full_name").fill("瑞安市数据平台")
    page.get_by_role("button", name="保存").click()
    page.get_by_test_id("token-form").wait_for()
    page.locator("#id_region").select_option(str(community_b.pk))
    page.get_by_test_id("grant-submit").click()
    page.wait_for_load_state()
    assert community_b.name in page.get_by_test_id("granted-regions").inner_text()

    # Its token, read-only on the registry, shown once.
    page.locator("#id_name").fill("数据平台")
    page.locator("#id_scope_registry").select_option("read")
    page.get_by_test_id("token-submit").click()
    raw = page.get_by_test_id("new-token").input_value()
    assert "." in raw
    assert _fits_the_phone(page)
    screenshot(page, "admin-token-issued-phone")

    answer = page.request.get(
        f"{base}/api/v1/residents/", headers={"Authorization": f"Token {raw}"}
    )
    assert answer.status == 200
    listed = answer.json()
    assert [row["id"] for row in listed["results"]] == [resident_b.pk]

    # Reloaded, the account page shows the token's prefix but never the token (nor issues
    # another one).
    page.reload()
    page.get_by_test_id("tokens").wait_for()
    account = User.objects.get(username="district-platform")
    assert page.url.endswith(f"/street-admin/accounts/{account.pk}/")
    assert ApiToken.objects.filter(user=account).count() == 1
    assert page.get_by_test_id("new-token").count() == 0


def test_admin_types_an_eligibility_rule_and_sees_it_checked_on_a_phone(
    live_server, phone_page, street_admin, partner_p, community_a
):
    from tests.grids.factories import TagDefFactory

    TagDefFactory(code="t_alone", name="独居老人")
    page, base = phone_page, live_server.url
    log_in(page, base, street_admin)

    for path, name in (
        ("/street-admin/", "admin-index-phone"),
        ("/street-admin/partners/", "admin-partners-phone"),
        (f"/street-admin/partners/{partner_p.pk}/", "admin-partner-phone"),
        ("/street-admin/communities/", "admin-communities-phone"),
    ):
        page.goto(f"{base}{path}")
        assert _fits_the_phone(page), path
        screenshot(page, name)

    page.goto(f"{base}/street-admin/catalogue/new/")
    rule = page.locator("#id_eligibility_rule")
    rule.press_sequentially("t_alone and (")
    page.get_by_test_id("rule-error").wait_for()
    rule.fill("")
    rule.press_sequentially("t_alone or nobody")
    # The answer to the last keystroke names the unknown code.
    page.get_by_test_id("rule-error").filter(has_text="nobody").wait_for()
    rule.fill("")
    rule.press_sequentially("not t_alone")
    page.get_by_test_id("rule-ok").wait_for()
    assert "独居老人" in page.get_by_test_id("rule-check").inner_text()
    assert _fits_the_phone(page)
    screenshot(page, "admin-rule-check-phone")
