"""Person × action matrices of party-orgs and party-members (API and pages), and constant
query counts on every list.

Membership data is restricted: grid staff, partner staff and a community cadre without the
Party-work grant get 404 on member and organisation details (as missing), a member sees only
their own record, a branch secretary their branch's subtree, the granted cadre branch A's.
"""

from datetime import date

import pytest
from django.urls import reverse

from partybuilding.models import PartyOrg
from tests.helpers import Call, assert_access_matrix, assert_constant_queries, login, page_call
from tests.partybuilding.factories import BranchFactory, PartyMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(branch_a, branch_b, group_a, member, secretary):
    return {
        "other": PartyMemberFactory(name="同支部党员", org=branch_a),
        "far": PartyMemberFactory(name="别支部党员", org=branch_b),
        "own": member.party_member,
    }


def test_party_orgs_api_matrix(request, world, branch_a, branch_b, street_committee):
    actions = {
        "list": Call("get", "/api/v1/party-orgs/"),
        "detail_a": Call("get", f"/api/v1/party-orgs/{branch_a.pk}/"),
        "detail_b": Call("get", f"/api/v1/party-orgs/{branch_b.pk}/"),
        "create": Call(
            "post",
            "/api/v1/party-orgs/",
            {"name": "新支部", "kind": "branch", "parent": street_committee.pk},
        ),
        "update": Call("patch", f"/api/v1/party-orgs/{branch_a.pk}/", {"host_unit": "某单位"}),
        "secretary": Call(
            "post", f"/api/v1/party-orgs/{branch_a.pk}/secretary/", {"member": world["other"].pk}
        ),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  detail_a  detail_b  create  update  secretary
        street_admin      200   200       200       201     200     200
        party_officer     200   200       200       201     200     200
        # granted on branch A: reads its subtree, does not redraw the tree
        party_cadre       200   200       404       403     403     403
        community_cadre   200   404       404       403     404     404
        secretary         200   200       404       403     403     403
        # a member sees their own organisation
        member            200   200       404       403     403     403
        grid_worker       403   404       404       403     404     404
        partner_staff     403   404       404       403     404     404
        anonymous         401   401       401       401     401     401
        """,
    )


def test_party_members_api_matrix(request, world, branch_a):
    other, far, own = world["other"], world["far"], world["own"]
    actions = {
        "list": Call("get", "/api/v1/party-members/"),
        "other": Call("get", f"/api/v1/party-members/{other.pk}/"),
        "far": Call("get", f"/api/v1/party-members/{far.pk}/"),
        "own": Call("get", f"/api/v1/party-members/{own.pk}/"),
        "create": Call("post", "/api/v1/party-members/", {"name": "新党员", "org": branch_a.pk}),
        "update": Call("patch", f"/api/v1/party-members/{other.pk}/", {"employer": "某公司"}),
        "transfer": Call(
            "post",
            f"/api/v1/party-members/{other.pk}/transfer/",
            {"direction": "out", "date": "2025-06-01", "to_org_name": "外市某党支部"},
        ),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  other  far  own  create  update  transfer
        street_admin      200   200    200  200  201     200     201
        party_officer     200   200    200  200  201     200     201
        party_cadre       200   200    404  200  403     403     403
        community_cadre   200   404    404  404  403     404     404
        secretary         200   200    404  200  403     403     403
        # a member: their own record, nothing beyond it
        member            200   404    404  200  403     404     404
        grid_worker       403   404    404  404  403     404     404
        partner_staff     403   404    404  404  403     404     404
        anonymous         401   401    401  401  401     401     401
        """,
    )


def test_pages_matrix(request, world, branch_a, branch_b):
    other, far = world["other"], world["far"]
    actions = {
        "orgs": Call("get", reverse("partybuilding:party-org-list")),
        "org_a": Call("get", reverse("partybuilding:party-org-detail", args=[branch_a.pk])),
        "org_b": Call("get", reverse("partybuilding:party-org-detail", args=[branch_b.pk])),
        "org_new": Call("get", reverse("partybuilding:party-org-create")),
        "org_edit": Call("get", reverse("partybuilding:party-org-edit", args=[branch_a.pk])),
        "coverage": Call("get", reverse("partybuilding:party-coverage")),
        "members": Call("get", reverse("partybuilding:party-member-list")),
        "other": Call("get", reverse("partybuilding:party-member-detail", args=[other.pk])),
        "far": Call("get", reverse("partybuilding:party-member-detail", args=[far.pk])),
        "m_new": Call("get", reverse("partybuilding:party-member-create")),
        "m_edit": Call("get", reverse("partybuilding:party-member-edit", args=[other.pk])),
        "transfer": Call("get", reverse("partybuilding:party-member-transfer", args=[other.pk])),
        "login": Call("get", reverse("partybuilding:party-member-login", args=[other.pk])),
    }
    assert_access_matrix(
        request,
        actions,
        """
                         orgs org_a org_b org_new org_edit coverage members other far m_new m_edit transfer login
        street_admin     200  200   200   200     200      200      200     200   200 200   200    200      200
        party_officer    200  200   200   200     200      200      200     200   200 200   200    200      200
        party_cadre      200  200   404   403     403      200      200     200   404 403   403    403      403
        community_cadre  200  404   404   403     404      200      200     404   404 403   404    404      404
        secretary        200  200   404   403     403      200      200     200   404 403   403    403      403
        member           200  200   404   403     403      200      200     404   404 403   404    404      404
        grid_worker      403  404   404   403     404      403      403     404   404 403   404    404      404
        partner_staff    403  404   404   403     404      403      403     404   404 403   404    404      404
        anonymous        302  302   302   302     302      302      302     302   302 302   302    302      302
        """,
        perform=page_call,
    )


def test_the_officer_founds_an_org_through_the_page(client, party_officer, street_committee):
    login(client, party_officer)
    response = client.post(
        reverse("partybuilding:party-org-create"),
        {"name": "页面支部", "kind": "branch", "parent": street_committee.pk},
    )
    org = PartyOrg.objects.get(name="页面支部")
    assert response.status_code == 302
    assert org.path == f"{street_committee.path}{org.pk}/"


def test_the_officer_records_a_transfer_through_the_page(client, party_officer, world):
    login(client, party_officer)
    other = world["other"]
    response = client.post(
        reverse("partybuilding:party-member-transfer", args=[other.pk]),
        {"direction": "out", "date": "2025-06-01", "to_org_name": "外市某党支部"},
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.transferred_out_on == date(2025, 6, 1)
    page = client.get(reverse("partybuilding:party-member-detail", args=[other.pk]))
    assert "外市某党支部" in page.content.decode()


def test_member_list_filters(client, party_officer, world, branch_b, community_a):
    login(client, party_officer)
    url = reverse("partybuilding:party-member-list")
    page = client.get(url, {"org": branch_b.pk}).content.decode()
    assert "别支部党员" in page and "同支部党员" not in page
    page = client.get(url, {"q": "同支部"}).content.decode()
    assert "同支部党员" in page and "别支部党员" not in page


# --- Query counts -----------------------------------------------------------------------------


def _member_rows(org):
    def add(n):
        PartyMemberFactory.create_batch(n, org=org)

    return add


def test_member_list_page_queries_are_constant(client, party_officer, branch_a):
    login(client, party_officer)
    url = reverse("partybuilding:party-member-list")
    # 6 queries: user, count, unread notifications, filter organisations, filter
    # communities, the page with org/employer org/community/login/resident (the session: from
    # Redis, not saved again; the menu's permissions: from the role)
    assert_constant_queries(
        add_rows=_member_rows(branch_a), fetch=lambda: client.get(url), expected=6
    )


def test_member_list_api_queries_are_constant(party_officer, branch_a):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(party_officer)
    # 2 queries: count, the page with its joins
    assert_constant_queries(
        add_rows=_member_rows(branch_a), fetch=lambda: api.get("/api/v1/party-members/"), expected=2
    )


def test_org_tree_page_and_api_queries_are_constant(client, party_officer, street_committee):
    login(client, party_officer)

    def add(n):
        BranchFactory.create_batch(n, parent=street_committee)

    # 3 queries: user, the tree with its joins and the visible member count (one SELECT),
    # unread notifications (the session: from Redis, not saved again)
    assert_constant_queries(
        add_rows=add, fetch=lambda: client.get(reverse("partybuilding:party-org-list")), expected=3
    )
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(party_officer)
    # 2 queries: count, the page with its joins and the visible member count
    assert_constant_queries(add_rows=add, fetch=lambda: api.get("/api/v1/party-orgs/"), expected=2)


def test_coverage_page_queries_are_constant(client, party_officer, street, branch_a):
    from tests.grids.factories import GridFactory, RegionFactory

    login(client, party_officer)
    counter = iter(range(100, 200))

    def add(n):
        for _ in range(n):
            community = RegionFactory(parent=street, code=f"330381008{next(counter)}")
            GridFactory(community=community)

    # 4 queries: user, communities with `covered`, grids with `covered`, unread notifications
    # (the session: from Redis, not saved again)
    assert_constant_queries(
        add_rows=add, fetch=lambda: client.get(reverse("partybuilding:party-coverage")), expected=4
    )


@pytest.mark.parametrize("parent", ["²", "abc", "99999999999999999999999", "-1", ""])
def test_a_malformed_parent_in_the_new_org_link_is_ignored(client, party_officer, parent):
    """?parent= only preselects a choice: anything that is not one is ignored, never a 500."""
    login(client, party_officer)
    response = client.get(reverse("partybuilding:party-org-create"), {"parent": parent})
    assert response.status_code == 200


def test_the_new_org_link_preselects_its_parent(client, party_officer, branch_a):
    login(client, party_officer)
    response = client.get(reverse("partybuilding:party-org-create"), {"parent": branch_a.pk})
    assert f'<option value="{branch_a.pk}" selected>' in response.content.decode()
