"""Help for the people who use the portal: import layouts as pages in their language, the
portal's own error pages under DEBUG (`make run`), no empty module in the navigation."""

import re

import pytest
from django.urls import reverse

from grids import imports
from services.deliveries import meal_import
from tests.helpers import login

DEVELOPER_WORDS = ("blind index", "docs/", ".py", "COLUMNS", "keyed hash", "`")


def _text(response) -> str:
    return re.sub(r"<[^>]+>", " ", response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "user", "columns"),
    [
        ("grids:import-layout", "community_cadre", imports.COLUMNS),
        ("services:meal-import-layout", "partner_staff", meal_import.COLUMNS),
    ],
)
def test_import_help_is_a_chinese_page_in_the_portal(client, request, url, user, columns):
    login(client, request.getfixturevalue(user))
    response = client.get(reverse(url))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'id="mainnav"' in page  # inside the portal's layout
    text = _text(response)
    assert "表格格式说明" in text
    for column in columns:
        assert f">{column.header}</th>" in page
    assert "最多16个字符" in text or "午餐或晚餐" in text or "刷卡" in text
    for word in DEVELOPER_WORDS:
        assert word not in text, word
    assert "Up to" not in text and "Excel date" not in text  # the formats are in Chinese


@pytest.mark.django_db
def test_import_help_keeps_its_gate(client, grid_worker):
    login(client, grid_worker)
    assert client.get(reverse("grids:import-layout")).status_code in (403, 404)


# --- Error pages under DEBUG ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_404_under_debug_is_the_portals_chinese_page(client, settings, grid_worker):
    settings.DEBUG = True
    settings.DEBUG_TECHNICAL_PAGES = False
    login(client, grid_worker)
    for url in ("/no-such-page/", reverse("grids:resident-detail", args=[999_999])):
        response = client.get(url)
        assert response.status_code == 404
        page = response.content.decode()
        assert "未找到" in page or "找不到" in page, page[:500]
        assert "Page not found" not in page and "URLconf" not in page
        assert 'id="mainnav"' in page


@pytest.mark.django_db
def test_an_address_without_its_slash_still_redirects_under_debug(client, settings, grid_worker):
    settings.DEBUG = True
    login(client, grid_worker)
    response = client.get(reverse("grids:resident-list").rstrip("/"))
    assert response.status_code == 301


@pytest.mark.django_db
def test_developers_can_ask_for_the_technical_pages(client, settings, grid_worker):
    settings.DEBUG = True
    settings.DEBUG_TECHNICAL_PAGES = True
    login(client, grid_worker)
    assert "URLconf" in client.get("/no-such-page/").content.decode()


@pytest.mark.django_db
def test_a_crash_under_debug_is_the_portals_500_page_and_logs_the_traceback(
    client, settings, grid_worker, monkeypatch, caplog
):
    from portal import views

    def boom(user):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(views, "home_cards_for", boom)
    settings.DEBUG = True
    settings.DEBUG_TECHNICAL_PAGES = False
    client.raise_request_exception = False
    login(client, grid_worker)
    response = client.get(reverse("home"))
    assert response.status_code == 500
    assert "系统暂时出错" in response.content.decode()
    assert "kaboom" not in response.content.decode()
    assert any("kaboom" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


# --- Navigation -------------------------------------------------------------------------------


def _main(page: str) -> str:
    return page[page.index("<main") :]


@pytest.mark.django_db
def test_party_officer_home_leads_to_the_party_pages(client, party_officer):
    login(client, party_officer)
    page = _main(client.get(reverse("home")).content.decode())
    for name in ("party-org-list", "party-member-list", "meeting-list", "training-list"):
        assert f'href="{reverse(f"partybuilding:{name}")}"' in page
    assert "党组织、党员、会议和培训" not in page  # no subtitle promising what is not there


@pytest.mark.django_db
def test_a_party_member_has_a_home_of_their_own_and_no_empty_row(client, db):
    from tests.partybuilding.factories import PartyMemberUserFactory

    user = PartyMemberUserFactory(username="t_member", full_name="党员甲")
    login(client, user)
    page = _main(client.get(reverse("home")).content.decode())
    assert "尚未分配角色" not in page
    assert f'href="{reverse("partybuilding:serving-me")}"' in page
    assert not re.search(r'<div class="row g-3 mb-4">\s*</div>', page)  # no empty card row
