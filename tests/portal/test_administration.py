"""街道管理: the street administrator gives community cadres and integration accounts their
jurisdiction, opens integration accounts and issues their API tokens from the pages."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from grids import writes as grid_writes
from portal import writes
from portal.models import ApiToken, AuditEvent, User
from portal.policy import (
    access_integration_account_create,
    access_street_administration,
    allowed,
)
from portal.validators import uscc_make
from tests.helpers import Call, assert_access_matrix, login, page_call

pytestmark = pytest.mark.django_db


def _shown_token(html: str) -> str | None:
    match = re.search(r'value="([0-9a-f]{8}\.[A-Za-z0-9_\-]+)"[^>]*data-testid="new-token"', html)
    return match.group(1) if match else None


def _scopes(**levels):
    groups = ("registry", "visits", "services", "deliveries", "partybuilding", "reporting")
    data = {f"scope_{group}": "" for group in (*groups, "webhooks")}
    data.update({f"scope_{group}": level for group, level in levels.items()})
    return data


def _api_list(raw: str, resource: str = "residents") -> dict:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    response = client.get(f"/api/v1/{resource}/")
    assert response.status_code == 200, response.content
    return response.json()


# --- Who may -----------------------------------------------------------------------------------


def test_only_the_street_administrator_passes_the_gates(people):
    may = {
        name: (
            allowed(access_street_administration, user),
            allowed(access_integration_account_create, user),
        )
        for name, user in people.items()
        if user is not None
    }
    assert may.pop("street_admin") == (True, True)
    assert all(answer == (False, False) for answer in may.values()), may
    with pytest.raises(PermissionDenied):
        access_street_administration(None)  # nobody signed in: no page
    access_integration_account_create(None)  # the system (demo loader) may open accounts


def test_the_pages_answer_the_street_administrator_only(request, people, integration, community_b):
    cadre, district = people["community_cadre"], integration
    actions = {
        "index": Call("get", reverse("administration:index")),
        "list": Call("get", reverse("administration:jurisdiction")),
        "detail": Call("get", reverse("administration:account-detail", args=[cadre.pk])),
        "grant": Call(
            "post",
            reverse("administration:account-grant", args=[cadre.pk]),
            {"region": community_b.pk},
        ),
        "create": Call(
            "post",
            reverse("administration:integration-create"),
            {"username": "county-hub", "full_name": "县数据中心"},
        ),
        "token": Call(
            "post",
            reverse("administration:token-issue", args=[district.pk]),
            {"name": "t", "days": 30, **_scopes(registry="read")},
        ),
    }
    actions["revoke"] = Call(
        "post",
        reverse(
            "administration:account-revoke",
            args=[cadre.pk, cadre.regionuserobjectpermission_set.get().content_object_id],
        ),
    )
    assert_access_matrix(
        request,
        actions,
        """
                          index  list  detail  grant  revoke  create  token
        street_admin      200    200   200     302    302     302     200
        street_cadre      403    403   403     403    403     403     403
        community_cadre   403    403   403     403    403     403     403
        grid_leader       403    403   403     403    403     403     403
        grid_worker       403    403   403     403    403     403     403
        partner_staff     403    403   403     403    403     403     403
        party_officer     403    403   403     403    403     403     403
        outsider          403    403   403     403    403     403     403
        anonymous         302    302   302     302    302     302     302
        """,
        perform=page_call,
    )


def test_the_menu_offers_street_administration_to_the_administrator_only(
    client, street_admin, street_cadre
):
    login(client, street_admin)
    assert 'data-testid="nav-street-admin"' in client.get("/").content.decode()
    login(client, street_cadre)
    assert 'data-testid="nav-street-admin"' not in client.get("/").content.decode()


def test_only_jurisdiction_accounts_have_a_page(client, street_admin, grid_worker):
    login(client, street_admin)
    url = reverse("administration:account-detail", args=[grid_worker.pk])
    assert client.get(url).status_code == 404


# --- Grants ------------------------------------------------------------------------------------


def test_a_grant_from_the_page_gives_the_integration_token_a_non_empty_list(
    client, street_admin, resident_a, resident_b, community_a
):
    login(client, street_admin)
    response = client.post(
        reverse("administration:integration-create"),
        {"username": "district-platform", "full_name": "瑞安市数据平台"},
    )
    account = User.objects.get(username="district-platform")
    assert response.status_code == 302
    assert account.is_integration and not account.has_usable_password()

    response = client.post(
        reverse("administration:token-issue", args=[account.pk]),
        {"name": "数据平台", "days": 90, **_scopes(registry="read")},
    )
    raw = _shown_token(response.content.decode())
    assert response.status_code == 200 and raw
    assert _api_list(raw)["count"] == 0  # issued as docs/api.md says: sees nothing yet

    response = client.post(
        reverse("administration:account-grant", args=[account.pk]), {"region": community_a.pk}
    )
    assert response.status_code == 302
    listed = _api_list(raw)
    assert [row["id"] for row in listed["results"]] == [resident_a.pk]  # its community only

    client.post(reverse("administration:account-revoke", args=[account.pk, community_a.pk]))
    assert _api_list(raw)["count"] == 0


def test_a_community_cadre_gets_a_second_community(
    client, street_admin, community_cadre, community_b, resident_b
):
    from grids.models import Resident

    assert not Resident.objects.visible_to(community_cadre).filter(pk=resident_b.pk).exists()
    login(client, street_admin)
    client.post(
        reverse("administration:account-grant", args=[community_cadre.pk]),
        {"region": community_b.pk},
    )
    assert Resident.objects.visible_to(community_cadre).filter(pk=resident_b.pk).exists()
    page = client.get(reverse("administration:jurisdiction")).content.decode()
    assert "江滨社区" in page and "阁巷社区" in page
    event = AuditEvent.objects.get(action="grant", object_id=str(community_b.pk))
    assert event.actor == street_admin
    assert event.details == {"user": community_cadre.username, "perm": "grids.work_in_region"}


def test_a_grant_to_nothing_is_refused_on_the_form(client, english, street_admin, community_cadre):
    login(client, street_admin)
    response = client.post(
        reverse("administration:account-grant", args=[community_cadre.pk]), {"region": ""}
    )
    assert response.status_code == 400
    assert 'data-testid="error-region"' in response.content.decode()


def test_taking_a_community_back_is_audited(street_admin, community_cadre, community_a):
    assert grid_writes.region_staff_revoke(
        actor=street_admin, person=community_cadre, region=community_a
    )
    assert not grid_writes.region_staff_revoke(
        actor=street_admin, person=community_cadre, region=community_a
    )  # a second time: nothing held, nothing written
    events = AuditEvent.objects.filter(action="revoke", object_id=str(community_a.pk))
    assert events.count() == 1


def test_only_street_roles_take_a_community_back(people, community_a):
    with pytest.raises(PermissionDenied):
        grid_writes.region_staff_revoke(
            actor=people["community_cadre"], person=people["community_cadre"], region=community_a
        )


# --- Integration accounts and tokens -----------------------------------------------------------


def test_the_token_is_shown_once_and_only_its_hash_is_stored(client, street_admin, integration):
    login(client, street_admin)
    url = reverse("administration:token-issue", args=[integration.pk])
    response = client.post(url, {"name": "平台", "days": 30, **_scopes(registry="write")})
    raw = _shown_token(response.content.decode())
    assert raw
    assert response["Cache-Control"].startswith("max-age=0")  # never_cache: not kept by proxies
    token = ApiToken.objects.get(user=integration, revoked_at__isnull=True)
    assert token.key_hash == ApiToken.hash_key(raw) and raw not in token.key_hash
    assert token.scopes == {"registry": "write"}
    page = client.get(reverse("administration:account-detail", args=[integration.pk]))
    assert raw not in page.content.decode()
    assert token.key_prefix in page.content.decode()
    event = AuditEvent.objects.get(action="api_token.issue", object_id=str(token.pk))
    assert event.actor == street_admin
    assert raw not in str(event.details)


def test_a_token_needs_a_resource_group(client, english, street_admin, integration):
    login(client, street_admin)
    response = client.post(
        reverse("administration:token-issue", args=[integration.pk]),
        {"name": "平台", "days": 30, **_scopes()},
    )
    assert response.status_code == 400
    assert "at least one resource group" in response.content.decode()
    assert not ApiToken.objects.filter(user=integration).exists()


def test_a_community_cadre_gets_no_token(client, street_admin, community_cadre):
    login(client, street_admin)
    response = client.post(
        reverse("administration:token-issue", args=[community_cadre.pk]),
        {"name": "x", "days": 30, **_scopes(registry="read")},
    )
    assert response.status_code == 404
    assert not ApiToken.objects.exists()


def test_revoking_a_token_from_the_page_shuts_it_out(client, street_admin, integration):
    _token, raw = writes.api_token_issue(actor=None, client=integration, name="平台")
    login(client, street_admin)
    response = client.post(reverse("administration:token-revoke", args=[integration.pk, _token.pk]))
    assert response.status_code == 302
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.get("/api/v1/residents/").status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoke", actor=street_admin).exists()


def test_an_account_name_taken_is_refused(client, english, street_admin, integration):
    login(client, street_admin)
    response = client.post(
        reverse("administration:integration-create"),
        {"username": integration.username, "full_name": "重复"},
    )
    assert response.status_code == 400
    assert 'data-testid="error-username"' in response.content.decode()
    assert User.objects.filter(username=integration.username).count() == 1


def test_opening_an_integration_account_is_audited(street_admin):
    account = writes.integration_account_create(
        actor=street_admin, username="hub", full_name="数据中心"
    )
    assert account.is_integration
    event = AuditEvent.objects.get(action="integration_account.create")
    assert event.actor == street_admin and event.object_id == str(account.pk)


# --- Funders carry a unified social credit code ------------------------------------------------


def test_a_funder_registered_on_the_page_keeps_its_uscc_normalised(client, street_admin):
    from services.aid.models import Funder

    login(client, street_admin)
    code = uscc_make("52330381MJ1234567")
    response = client.post(
        reverse("services:aid-funder-create"),
        {"name": "瑞安慈善总会", "kind": "foundation", "uscc": f" {code.lower()} "},
    )
    assert response.status_code == 302
    funder = Funder.objects.get(name="瑞安慈善总会")
    assert funder.uscc == code
    event = AuditEvent.objects.get(action="funder.create", object_id=str(funder.pk))
    assert event.actor == street_admin


def test_a_funder_uscc_with_a_wrong_check_character_is_refused(client, english, street_admin):
    from services.aid.models import Funder

    login(client, street_admin)
    code = uscc_make("52330381MJ1234567")
    wrong = code[:17] + ("1" if code[17] != "1" else "2")
    response = client.post(
        reverse("services:aid-funder-create"),
        {"name": "瑞安慈善总会", "kind": "foundation", "uscc": wrong},
    )
    assert response.status_code == 400
    assert "check character" in response.content.decode()
    assert not Funder.objects.exists()


def test_funders_without_a_uscc_are_many_and_a_uscc_is_unique(street_admin, api_client_for):
    from services.aid import writes as aid_writes

    aid_writes.funder_create(actor=street_admin, name="民政局", kind="government")
    aid_writes.funder_create(actor=street_admin, name="残联", kind="government", uscc="")
    code = uscc_make("91330381MA0000001")
    aid_writes.funder_create(actor=street_admin, name="甲企业", kind="enterprise", uscc=code)
    api = api_client_for(street_admin)
    response = api.post(
        "/api/v1/funders/", {"name": "乙企业", "kind": "enterprise", "uscc": code}, format="json"
    )
    assert response.status_code == 400 and "uscc" in response.json()
    response = api.post(
        "/api/v1/funders/", {"name": "丙企业", "kind": "enterprise", "uscc": "123"}, format="json"
    )
    assert response.status_code == 400 and "uscc" in response.json()
    listed = {row["name"]: row["uscc"] for row in api.get("/api/v1/funders/").json()["results"]}
    assert listed == {"民政局": None, "残联": None, "甲企业": code}


# --- Partner organisations and their staff -----------------------------------------------------


def _partner_fields(**overrides):
    fields = {
        "name": "仁爱养老服务中心",
        "uscc": uscc_make("52330381MJ7654321"),
        "kind": "social_org",
        "agreement_start": "2026-01-01",
        "agreement_end": "2026-12-31",
        "dpa_signed": "on",
    }
    fields.update(overrides)
    return fields


def test_the_partner_pages_answer_the_street_administrator_only(request, people, partner_p):
    actions = {
        "list": Call("get", reverse("administration:partners")),
        "create": Call("post", reverse("administration:partner-create"), _partner_fields()),
        "detail": Call("get", reverse("administration:partner-detail", args=[partner_p.pk])),
        "edit": Call(
            "post",
            reverse("administration:partner-edit", args=[partner_p.pk]),
            _partner_fields(uscc=partner_p.uscc),
        ),
        "staff": Call(
            "post",
            reverse("administration:partner-staff-create", args=[partner_p.pk]),
            {"username": "p-new", "full_name": "新人员"},
        ),
        "unbind": Call(
            "post",
            reverse(
                "administration:partner-staff-unbind",
                args=[partner_p.pk, people["partner_staff"].pk],
            ),
        ),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  create  detail  edit  staff  unbind
        street_admin      200   302     200     302   200    302
        street_cadre      403   403     403     403   403    403
        community_cadre   403   403     403     403   403    403
        grid_leader       403   403     403     403   403    403
        grid_worker       403   403     403     403   403    403
        partner_staff     403   403     403     403   403    403
        party_officer     403   403     403     403   403    403
        outsider          403   403     403     403   403    403
        anonymous         302   302     302     302   302    302
        """,
        perform=page_call,
    )


def test_a_partner_is_registered_with_a_valid_uscc_only(client, english, street_admin):
    from services.catalogue.models import Partner

    login(client, street_admin)
    good = uscc_make("52330381MJ7654321")
    response = client.post(
        reverse("administration:partner-create"), _partner_fields(uscc=good[:17] + "I")
    )
    assert response.status_code == 400
    assert 'data-testid="error-uscc"' in response.content.decode()
    assert not Partner.objects.exists()

    response = client.post(
        reverse("administration:partner-create"), _partner_fields(uscc=good.lower())
    )
    partner = Partner.objects.get()
    assert response.status_code == 302 and partner.uscc == good and partner.dpa_signed
    assert AuditEvent.objects.get(action="partner.create").actor == street_admin


def test_editing_a_partner_checks_its_uscc_again_and_is_audited(
    client, english, street_admin, partner_p
):
    login(client, street_admin)
    url = reverse("administration:partner-edit", args=[partner_p.pk])
    wrong = partner_p.uscc[:17] + ("1" if partner_p.uscc[17] != "1" else "2")
    response = client.post(url, _partner_fields(name=partner_p.name, uscc=wrong))
    assert response.status_code == 400
    partner_p.refresh_from_db()
    assert partner_p.uscc != wrong

    response = client.post(url, _partner_fields(name="安康家政服务", uscc=partner_p.uscc))
    assert response.status_code == 302
    partner_p.refresh_from_db()
    assert partner_p.name == "安康家政服务"
    event = AuditEvent.objects.get(action="partner.update")
    assert event.actor == street_admin and event.details["name"] == ["安康家政", "安康家政服务"]


def test_a_staff_account_is_opened_bound_with_its_password_shown_once(
    client, street_admin, partner_p
):
    login(client, street_admin)
    response = client.post(
        reverse("administration:partner-staff-create", args=[partner_p.pk]),
        {"username": "ankang-li", "full_name": "李护理", "phone": "13800000000"},
    )
    html = response.content.decode()
    password = re.search(r'value="([^"]+)"[^>]*data-testid="new-password"', html).group(1)
    account = User.objects.get(username="ankang-li")
    assert account.is_partner_staff and account.acts_for(partner_p)
    assert account.check_password(password) and password not in account.password
    page = client.get(reverse("administration:partner-detail", args=[partner_p.pk]))
    assert password not in page.content.decode() and "李护理" in page.content.decode()
    assert AuditEvent.objects.filter(action="account.create", actor=street_admin).exists()
    assert AuditEvent.objects.filter(action="grant", object_id=str(partner_p.pk)).exists()


def test_staff_are_unbound_and_bound_from_the_page(
    client, street_admin, partner_p, partner_q, partner_staff
):
    login(client, street_admin)
    client.post(
        reverse("administration:partner-staff-unbind", args=[partner_p.pk, partner_staff.pk])
    )
    assert not partner_staff.acts_for(partner_p)
    assert AuditEvent.objects.filter(action="revoke", object_id=str(partner_p.pk)).exists()

    response = client.post(
        reverse("administration:partner-staff-bind", args=[partner_q.pk]),
        {"person": partner_staff.pk},
    )
    assert response.status_code == 302 and partner_staff.acts_for(partner_q)


def test_only_an_unbound_partner_staff_account_can_be_bound(
    client, street_admin, partner_q, partner_staff, grid_worker
):
    login(client, street_admin)
    for person in (partner_staff, grid_worker):  # bound elsewhere; not partner staff
        response = client.post(
            reverse("administration:partner-staff-bind", args=[partner_q.pk]),
            {"person": person.pk},
        )
        assert response.status_code == 400
        assert not person.acts_for(partner_q)


# --- Communities -------------------------------------------------------------------------------


def test_the_community_pages_answer_the_street_administrator_only(request, people, community_a):
    actions = {
        "list": Call("get", reverse("administration:communities")),
        "create": Call(
            "post",
            reverse("administration:community-create"),
            {"parent": community_a.parent_id, "name": "新城社区", "code": "330381008009"},
        ),
        "rename": Call(
            "post",
            reverse("administration:community-rename", args=[community_a.pk]),
            {"name": "江滨新社区"},
        ),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  create  rename
        street_admin      200   302     302
        street_cadre      403   403     403
        community_cadre   403   403     403
        grid_leader       403   403     403
        grid_worker       403   403     403
        partner_staff     403   403     403
        party_officer     403   403     403
        outsider          403   403     403
        anonymous         302   302     302
        """,
        perform=page_call,
    )


def test_the_region_gates_are_the_street_roles(people, community_a):
    from grids.policy import access_region_change, access_region_create

    may = {
        name: allowed(access_region_create, user)
        and allowed(access_region_change, user, community_a)
        for name, user in people.items()
        if user is not None
    }
    assert {name for name, ok in may.items() if ok} == {"street_admin", "street_cadre"}


def test_a_community_is_added_under_its_street_with_a_matching_code(
    client, english, street_admin, street
):
    from grids.models import Region

    login(client, street_admin)
    url = reverse("administration:community-create")
    response = client.post(url, {"parent": street.pk, "name": "新城社区", "code": "330381009001"})
    assert response.status_code == 400
    assert "first 9 digits" in response.content.decode()
    response = client.post(url, {"parent": street.pk, "name": "新城社区", "code": "33038100801"})
    assert response.status_code == 400 and "12 digits" in response.content.decode()
    assert not Region.objects.filter(name="新城社区").exists()

    response = client.post(url, {"parent": street.pk, "name": " 新城社区 ", "code": "330381008009"})
    assert response.status_code == 302
    community = Region.objects.get(code="330381008009")
    assert community.name == "新城社区" and community.level == Region.Level.COMMUNITY
    assert community.parent == street
    assert AuditEvent.objects.get(action="region.create").actor == street_admin
    page = client.get(reverse("administration:communities")).content.decode()
    assert "新城社区" in page


def test_a_community_is_renamed_and_audited(client, street_admin, community_a):
    login(client, street_admin)
    response = client.post(
        reverse("administration:community-rename", args=[community_a.pk]), {"name": "江滨新社区"}
    )
    assert response.status_code == 302
    community_a.refresh_from_db()
    assert community_a.name == "江滨新社区"
    event = AuditEvent.objects.get(action="region.update")
    assert event.actor == street_admin and event.details == {"fields": ["name"]}


# --- The service catalogue and its eligibility rules -------------------------------------------


def _item_fields(**overrides):
    fields = {
        "name": "助浴服务",
        "group": "elderly",
        "category": "cleaning",
        "unit": "visit",
        "eligibility_rule": "t_bath_alone and not t_bath_care",
        "subsidy": "30.00",
        "max_quantity": "",
        "active": "on",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def bath_tags(db):
    from tests.grids.factories import TagDefFactory

    return [
        TagDefFactory(code="t_bath_alone", name="独居老人"),
        TagDefFactory(code="t_bath_care", name="集中供养"),
    ]


def test_the_catalogue_pages_answer_the_street_administrator_only(request, people, bath_tags):
    from tests.services.factories import ServiceItemFactory

    item = ServiceItemFactory()
    actions = {
        "list": Call("get", reverse("administration:catalogue")),
        "create": Call("post", reverse("administration:service-item-create"), _item_fields()),
        "edit": Call(
            "post",
            reverse("administration:service-item-edit", args=[item.pk]),
            _item_fields(name=item.name),
        ),
        "check": Call("get", reverse("administration:rule-check") + "?eligibility_rule=x"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  create  edit  check
        street_admin      200   302     302   200
        street_cadre      403   403     403   403
        community_cadre   403   403     403   403
        grid_leader       403   403     403   403
        grid_worker       403   403     403   403
        partner_staff     403   403     403   403
        party_officer     403   403     403   403
        outsider          403   403     403   403
        anonymous         302   302     302   302
        """,
        perform=page_call,
    )


def test_the_rule_is_checked_as_it_is_typed(client, english, street_admin, bath_tags):
    login(client, street_admin)
    url = reverse("administration:rule-check")
    page = client.get(url, {"eligibility_rule": "t_bath_alone and not t_bath_care"})
    html = page.content.decode()
    assert 'data-testid="rule-ok"' in html and "独居老人" in html and "集中供养" in html
    html = client.get(url, {"eligibility_rule": "t_bath_alone and ("}).content.decode()
    assert 'data-testid="rule-error"' in html
    html = client.get(url, {"eligibility_rule": "t_bath_alone or nobody_tag"}).content.decode()
    assert 'data-testid="rule-error"' in html and "nobody_tag" in html
    html = client.get(url, {"eligibility_rule": ""}).content.decode()
    assert "everyone is eligible" in html
    form = client.get(reverse("administration:service-item-create")).content.decode()
    assert f'hx-get="{url}"' in form


def test_a_service_is_added_only_with_a_rule_that_reads(
    client, english, street_admin, bath_tags, partner_p
):
    from services.catalogue.models import ServiceItem

    login(client, street_admin)
    url = reverse("administration:service-item-create")
    response = client.post(url, _item_fields(eligibility_rule="t_bath_alone or or"))
    assert response.status_code == 400
    assert 'data-testid="error-eligibility_rule"' in response.content.decode()
    assert not ServiceItem.objects.filter(name="助浴服务").exists()

    response = client.post(url, {**_item_fields(), "partners": [partner_p.pk]})
    assert response.status_code == 302
    item = ServiceItem.objects.get(name="助浴服务")
    assert list(item.partners.all()) == [partner_p]
    assert AuditEvent.objects.get(action="service_item.create").actor == street_admin

    response = client.post(
        reverse("administration:service-item-edit", args=[item.pk]),
        _item_fields(eligibility_rule="t_bath_alone"),
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.eligibility_rule == "t_bath_alone" and not item.partners.exists()
    assert AuditEvent.objects.get(action="service_item.update").actor == street_admin
