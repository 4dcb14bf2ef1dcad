"""Alliances and circles, person × action, on the API and the pages; query counts of every
list for 1 and 20 rows.

Out of scope (a plain member, a community cadre without the grant) is a 404 like missing;
grid and partner staff have no Party permission (403 on lists, 404 on rows).
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partybuilding.models import AllianceItem
from tests.helpers import (
    Call,
    api_call,
    assert_access_matrix,
    assert_constant_queries,
    login,
    page_call,
)
from tests.partybuilding.factories import (
    AllianceFactory,
    AllianceItemFactory,
    ExchangeCircleFactory,
    ExchangeCirclePostFactory,
    PartyOrgAllianceMemberFactory,
)

pytestmark = pytest.mark.django_db


def test_alliance_api_matrix(request, alliance, unit_a, branch_a):
    url = "/api/v1/alliances/"
    actions = {
        "list": Call("get", url),
        "read": Call("get", f"{url}{alliance.pk}/"),
        "create": Call(
            "post", url, {"name": "新联盟", "kind": "regional", "lead_org": branch_a.pk}
        ),
        "update": Call("patch", f"{url}{alliance.pk}/", {"description": "更新"}),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  read  create  update
        party_officer     200   200   201     200
        street_admin      200   200   201     200
        # a granted cadre and the secretary see it (their branch leads it), do not run it
        party_cadre       200   200   403     403
        secretary         200   200   403     403
        # out of scope: 404 like missing
        member            200   404   403     404
        community_cadre   200   404   403     404
        grid_worker       403   404   403     404
        partner_staff     403   404   403     404
        anonymous         401   401   401     401
        """,
    )


def test_alliance_item_api_matrix(request, need, unit_a, hospital):
    url = "/api/v1/alliance-items/"
    actions = {
        "list": Call("get", f"{url}?kind=need"),
        "read": Call("get", f"{url}{need.pk}/"),
        "post": Call(
            "post",
            url,
            {
                "alliance": need.alliance_id,
                "kind": "resource",
                "title": "场地",
                "posted_by": unit_a.pk,
            },
        ),
        "claim": Call("post", f"{url}{need.pk}/claim/", {"claimed_by": unit_a.pk}),
        "withdraw": Call("post", f"{url}{need.pk}/withdraw/"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  read  post  claim  withdraw
        party_officer     200   200   201   200    200
        # act for branch A: post for it, claim the hospital's need; the need is not theirs
        party_cadre       200   200   201   200    403
        secretary         200   200   201   200    403
        member            200   404   400   404    404
        community_cadre   200   404   400   404    404
        grid_worker       403   404   403   404    404
        partner_staff     403   404   403   404    404
        anonymous         401   401   401   401    401
        """,
    )


def test_item_transitions_over_the_api_and_the_409(secretary, party_officer, need, unit_a, unit_b):
    url = f"/api/v1/alliance-items/{need.pk}/"
    from rest_framework.test import APIClient

    officer = APIClient()
    officer.force_authenticate(party_officer)
    assert officer.post(url + "claim/", {"claimed_by": unit_b.pk}, format="json").status_code == 200
    assert api_call(secretary, Call("post", url + "claim/", {"claimed_by": unit_a.pk})) == 409
    response = officer.post(url + "complete/", {"delivered": ""}, format="json")
    assert response.status_code == 400 and "delivered" in response.json()
    assert officer.post(url + "start/").status_code == 200
    done = officer.post(url + "complete/", {"delivered": "送医上门"}, format="json")
    assert done.json()["status"] == "done"


def test_agreement_upload_over_the_api(party_officer, alliance, unit_a, unit_b, hospital):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(party_officer)
    scan = SimpleUploadedFile("a.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = client.post(
        "/api/v1/alliance-agreements/",
        {
            "alliance": alliance.pk,
            "title": "1+N 协议",
            "signed_on": "2025-01-01",
            "term_start": "2025-01-01",
            "term_end": "2027-12-31",
            "lead": unit_a.pk,
            "parties": [unit_b.pk, hospital.pk],
            "scanned_copy": scan,
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    read = client.get(f"/api/v1/alliances/{alliance.pk}/").json()
    assert read["agreements"][0]["parties"] == sorted([unit_b.pk, hospital.pk]) or set(
        read["agreements"][0]["parties"]
    ) == {unit_b.pk, hospital.pk}


def test_alliance_pages_matrix(request, need, unit_a):
    alliance_id = need.alliance_id
    actions = {
        "list": Call("get", "/party/alliances/"),
        "detail": Call("get", f"/party/alliances/{alliance_id}/?tab=need"),
        "create": Call("get", "/party/alliances/new/"),
        "post": Call("get", f"/party/alliances/{alliance_id}/items/new/"),
        "item": Call("get", f"/party/alliance-items/{need.pk}/"),
        "claim": Call("post", f"/party/alliance-items/{need.pk}/claim/", {"claimed_by": unit_a.pk}),
        "circles": Call("get", "/party/circles/"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  detail  create  post  item  claim  circles
        party_officer     200   200     200     200   200   302    200
        party_cadre       200   200     403     200   200   302    200
        secretary         200   200     403     200   200   302    200
        member            200   404     403     404   404   404    200
        community_cadre   200   404     403     404   404   404    200
        grid_worker       403   404     403     404   404   404    403
        partner_staff     403   404     403     404   404   404    403
        anonymous         302   302     302     302   302   302    302
        """,
        perform=page_call,
    )


def test_claim_on_the_page_records_the_claim(client, secretary, need, unit_a):
    login(client, secretary)
    response = client.post(f"/party/alliance-items/{need.pk}/claim/", {"claimed_by": unit_a.pk})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == AllianceItem.Status.CLAIMED
    page = client.get(f"/party/alliance-items/{need.pk}/").content.decode()
    assert 'data-testid="complete-button"' in page


def test_alliance_list_page_and_api_constant_queries(client, party_officer, branch_a):
    login(client, party_officer)

    def add(n):
        for _ in range(n):
            alliance = AllianceFactory(lead_org=branch_a, community=branch_a.community)
            PartyOrgAllianceMemberFactory(alliance=alliance, party_org=branch_a)
            AllianceItemFactory(alliance=alliance)

    # page: session, user, count, rows (annotated counts, joined lead org and community),
    # filter form's choices none (kind is static); constant for 1 and 20 rows
    assert_constant_queries(add_rows=add, fetch=lambda: client.get("/party/alliances/"))
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(party_officer)
    # count, rows, members prefetch; agreements prefetch (its parties prefetch only when there
    # are agreements)
    assert_constant_queries(add_rows=add, fetch=lambda: api.get("/api/v1/alliances/"), expected=4)


def test_item_tab_and_api_constant_queries(client, party_officer, alliance, hospital, unit_a):
    login(client, party_officer)

    def add(n):
        for _ in range(n):
            AllianceItemFactory(alliance=alliance, posted_by=hospital)

    assert_constant_queries(
        add_rows=add, fetch=lambda: client.get(f"/party/alliances/{alliance.pk}/?tab=need")
    )
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(party_officer)
    # count, rows (alliance, poster and claimer joined)
    assert_constant_queries(
        add_rows=add, fetch=lambda: api.get("/api/v1/alliance-items/?kind=need"), expected=2
    )


def test_circle_pages_constant_queries(client, party_officer, branch_a, branch_b):
    login(client, party_officer)
    circle = ExchangeCircleFactory(orgs=[branch_a, branch_b])

    def add_circles(n):
        for _ in range(n):
            ExchangeCircleFactory(orgs=[branch_a])

    assert_constant_queries(add_rows=add_circles, fetch=lambda: client.get("/party/circles/"))

    def add_posts(n):
        for _ in range(n):
            ExchangeCirclePostFactory(circle=circle, org=branch_a)

    assert_constant_queries(
        add_rows=add_posts, fetch=lambda: client.get(f"/party/circles/{circle.pk}/")
    )
