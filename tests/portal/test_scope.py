"""Scope in one place: out of scope is a 404, lists and search contain nothing out of scope.

The sample scoped model is the resident of grids/; every later module repeats this matrix
for its own resources with tests.helpers.assert_access_matrix.
"""

import pytest
from django.urls import reverse

from grids.models import Resident
from grids.writes import resident_share
from tests.helpers import Call, assert_access_matrix, login, page_call

pytestmark = pytest.mark.django_db

NEW_RESIDENT = {
    "name": "赵新民",
    "id_number": "11010519491231002X",
    "sex": "female",
    "birth_date": "1949-12-31",
    "phone": "13800138000",
}


def test_resident_api_matrix(request, resident_a, resident_b):
    detail = reverse("resident-detail", args=[resident_a.pk])
    actions = {
        "list": Call("get", reverse("resident-list")),
        "retrieve": Call("get", detail),
        "create": Call(
            "post", reverse("resident-list"), {**NEW_RESIDENT, "household": resident_a.household_id}
        ),
        "update": Call("patch", detail, {"ethnicity": "畲族"}),
        "delete": Call("delete", detail),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  retrieve  create  update  delete
        street_admin       200   200       201     200     204
        street_cadre       200   200       201     200     403
        community_cadre    200   200       201     200     403
        grid_leader        200   200       201     200     403
        grid_worker        200   200       201     200     403
        # Out of scope: the resident does not exist for them; creating into grid A's household
        # is refused field-wise, as for a household that does not exist.
        other_grid_worker  200   404       400     404     404
        partner_staff      403   404       403     404     404
        party_officer      403   404       403     404     404
        outsider           403   404       403     404     404
        anonymous          401   401       401     401     401
        """,
    )


def test_out_of_scope_is_indistinguishable_from_missing(client, other_grid_worker, resident_a):
    login(client, other_grid_worker)
    hidden = client.get(reverse("resident-detail", args=[resident_a.pk]))
    missing = client.get(reverse("resident-detail", args=[resident_a.pk + 10_000]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_resident_pages_matrix(request, resident_a, resident_b):
    actions = {
        "list": Call("get", reverse("grids:resident-list")),
        "detail_a": Call("get", reverse("grids:resident-detail", args=[resident_a.pk])),
        "detail_b": Call("get", reverse("grids:resident-detail", args=[resident_b.pk])),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  detail_a  detail_b
        street_admin       200   200       200
        street_cadre       200   200       200
        community_cadre    200   200       404
        grid_leader        200   200       404
        grid_worker        200   200       404
        other_grid_worker  200   404       200
        partner_staff      403   404       404
        party_officer      403   404       404
        outsider           403   404       404
        anonymous          302   302       302
        """,
        perform=page_call,
    )


def test_lists_and_search_hold_only_what_is_in_scope(
    api_client_for, grid_worker, resident_a, resident_b
):
    client = api_client_for(grid_worker)
    listed = client.get(reverse("resident-list")).json()
    assert [row["id"] for row in listed["results"]] == [resident_a.pk]

    by_name = client.get(reverse("resident-list"), {"search": resident_b.name}).json()
    by_id = client.get(reverse("resident-list"), {"search": resident_b.id_number}).json()
    by_phone = client.get(reverse("resident-list"), {"search": resident_b.phone}).json()
    assert by_name["count"] == by_id["count"] == by_phone["count"] == 0

    own_by_id = client.get(
        reverse("resident-list"), {"search": resident_a.id_number.lower()}
    ).json()
    assert [row["id"] for row in own_by_id["results"]] == [resident_a.pk]


def test_page_list_and_search_hold_only_what_is_in_scope(
    client, grid_worker, resident_a, resident_b
):
    login(client, grid_worker)
    page = client.get(reverse("grids:resident-list")).content.decode()
    assert resident_a.name in page and resident_b.name not in page
    search = client.get(
        reverse("grids:resident-list"), {"q": resident_b.id_number}
    ).content.decode()
    assert resident_b.name not in search


def test_community_cadre_sees_every_grid_of_their_community_only(
    api_client_for, community_cadre, grid_a, resident_a, resident_b
):
    from tests.grids.factories import GridFactory, HouseholdFactory, ResidentFactory

    second_grid = GridFactory(community=grid_a.community)
    neighbour = ResidentFactory(household=HouseholdFactory(grid=second_grid))
    ids = {
        row["id"]
        for row in api_client_for(community_cadre).get(reverse("resident-list")).json()["results"]
    }
    assert ids == {resident_a.pk, neighbour.pk}


def test_one_case_shared_with_one_person(
    api_client_for, other_grid_worker, street_admin, resident_a
):
    client = api_client_for(other_grid_worker)
    url = reverse("resident-detail", args=[resident_a.pk])
    assert client.get(url).status_code == 404
    resident_share(actor=street_admin, resident=resident_a, person=other_grid_worker)
    assert client.get(url).status_code == 200


def test_visible_to_is_one_query_with_grants_resolved_once(
    grid_worker, resident_a, django_assert_num_queries
):
    # Role check is in memory; the grants are resolved to id lists in one query, once: every
    # later scoped queryset of the request is its own single SELECT.
    with django_assert_num_queries(2):
        assert list(Resident.objects.visible_to(grid_worker)) == [resident_a]
    with django_assert_num_queries(1):
        assert list(Resident.objects.visible_to(grid_worker)) == [resident_a]


def test_grid_worker_creating_a_resident_in_another_grid_writes_nothing(
    api_client_for, other_grid_worker, resident_a
):
    before = Resident.objects.count()
    response = api_client_for(other_grid_worker).post(
        reverse("resident-list"),
        {**NEW_RESIDENT, "household": resident_a.household_id},
        format="json",
    )
    assert response.status_code == 400
    assert "household" in response.json()
    assert Resident.objects.count() == before


def test_a_household_not_yet_in_a_grid_belongs_to_its_buildings_community(
    community_cadre, grid_worker, other_grid_worker, community_a
):
    from grids.models import Building, Dwelling, Household
    from tests.grids.factories import ResidentFactory

    building = Building.objects.create(
        community=community_a, name="万松安置小区1幢", address="万松路1号"
    )
    household = Household.objects.create(
        number="HH-NO-GRID", dwelling=Dwelling.objects.create(building=building, room="101")
    )
    resident = ResidentFactory(household=household)
    assert list(Household.objects.visible_to(community_cadre)) == [household]
    assert list(Resident.objects.visible_to(community_cadre).filter(pk=resident.pk)) == [resident]
    assert not Household.objects.visible_to(grid_worker).filter(pk=household.pk).exists()
    assert not Resident.objects.visible_to(other_grid_worker).filter(pk=resident.pk).exists()
