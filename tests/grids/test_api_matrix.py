"""The registry's REST resources: person × action for every resource, and what scope hides.

street ── community A ── grid A (grid_leader, grid_worker) ── building A, household A, resident_a
       └─ community B ── grid B (other_grid_worker)          ── building B, household B, resident_b

Out of scope is a 404 on detail routes; lists and search hold nothing out of scope; a write
that would land outside the writer's grid is a 400 on the field and writes nothing.
"""

from datetime import date

import pytest
from django.urls import reverse

from grids.models import (
    Building,
    Dwelling,
    Grid,
    GridAssignment,
    Household,
    Resident,
    ResidentTag,
    TagDef,
)
from portal.models import AuditEvent
from tests.grids.factories import HouseholdFactory, ResidentFactory, TagDefFactory
from tests.helpers import Call, assert_access_matrix, assert_answer_documented
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_ID_NUMBER = "11010519491231002X"  # valid, female, born 1949-12-31


@pytest.fixture
def minimum_allowance(db):
    return TagDefFactory(
        code="t_dibao", name="低保", group=TagDef.Group.SPECIAL, visit_tier=TagDef.Tier.KEY
    )


@pytest.fixture
def tag_a(resident_a, living_alone):
    return ResidentTag.objects.create(resident=resident_a, tag=living_alone)


@pytest.fixture
def tag_b(resident_b, living_alone):
    return ResidentTag.objects.create(resident=resident_b, tag=living_alone)


# --- The matrix, resource by resource ---------------------------------------------------------


def test_regions_matrix(request, community_a, community_b, grid_a, grid_b):
    detail = reverse("region-detail", args=[community_a.pk])
    actions = {
        "list": Call("get", reverse("region-list")),
        "retrieve": Call("get", detail),
        "create": Call("post", reverse("region-list"), {"name": "新社区", "code": "330381008099"}),
        "update": Call("patch", detail, {"name": "改名"}),
        "delete": Call("delete", detail),
        "search": Call("get", reverse("region-list") + "?search=江滨"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  retrieve  create  update  delete  search
        street_admin       200   200       405     405     405     200
        street_cadre       200   200       405     405     405     200
        community_cadre    200   200       405     405     405     200
        grid_leader        200   200       405     405     405     200
        grid_worker        200   200       405     405     405     200
        other_grid_worker  200   404       405     405     405     200
        # No role permission: every collection route is a 403, even a method it lacks.
        partner_staff      403   404       403     405     405     403
        party_officer      403   404       403     405     405     403
        outsider           403   404       403     405     405     403
        anonymous          401   401       401     401     401     401
        """,
    )


def test_grids_matrix(request, community_a, grid_a, grid_b):
    detail = reverse("grid-detail", args=[grid_a.pk])
    new_grid = {"community": community_a.pk, "code": f"{community_a.code}099", "name": "江滨新网格"}
    actions = {
        "list": Call("get", reverse("grid-list")),
        "retrieve": Call("get", detail),
        "create": Call("post", reverse("grid-list"), new_grid),
        "update": Call("patch", detail, {"household_cap": 450}),
        "delete": Call("delete", detail),
        "search": Call("get", reverse("grid-list") + f"?search={grid_a.name}"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  retrieve  create  update  delete  search
        street_admin       200   200       201     200     405     200
        street_cadre       200   200       201     200     405     200
        community_cadre    200   200       403     403     405     200
        grid_leader        200   200       403     403     405     200
        grid_worker        200   200       403     403     405     200
        other_grid_worker  200   404       403     404     405     200
        partner_staff      403   404       403     404     405     403
        party_officer      403   404       403     404     405     403
        outsider           403   404       403     404     405     403
        anonymous          401   401       401     401     401     401
        """,
    )


def test_grid_assignments_matrix(request, grid_a, grid_worker):
    assignment = GridAssignment.objects.get(person=grid_worker, grid=grid_a)
    newcomer = UserFactory(username="t_newcomer", full_name="新网格员")
    detail = reverse("gridassignment-detail", args=[assignment.pk])
    new_post = {
        "grid": grid_a.pk,
        "person": newcomer.pk,
        "post": "part_time",
        "start_date": "2025-06-01",
    }
    actions = {
        "list": Call("get", reverse("gridassignment-list")),
        "retrieve": Call("get", detail),
        "create": Call("post", reverse("gridassignment-list"), new_post),
        "update": Call("patch", detail, {"end_date": "2025-12-31"}),
        "delete": Call("delete", detail),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  retrieve  create  update  delete
        street_admin       200   200       201     200     405
        street_cadre       200   200       201     200     405
        community_cadre    200   200       403     403     405
        grid_leader        200   200       403     403     405
        grid_worker        200   200       403     403     405
        other_grid_worker  200   404       403     404     405
        partner_staff      403   404       403     404     405
        party_officer      403   404       403     404     405
        outsider           403   404       403     404     405
        anonymous          401   401       401     401     401
        """,
    )


def test_buildings_matrix(request, community_a, grid_a, building_a, building_b):
    detail = reverse("building-detail", args=[building_a.pk])
    dwellings = reverse("building-dwellings", args=[building_a.pk])
    new_building = {
        "community": community_a.pk,
        "grid": grid_a.pk,
        "name": "江滨2幢",
        "address": "江滨路2号",
    }
    actions = {
        "list": Call("get", reverse("building-list")),
        "retrieve": Call("get", detail),
        "create": Call("post", reverse("building-list"), new_building),
        "update": Call("patch", detail, {"address": "江滨路1号之一"}),
        "delete": Call("delete", detail),
        "search": Call("get", reverse("building-list") + "?search=江滨路"),
        "dwellings": Call("get", dwellings),
        "add_dwelling": Call("post", dwellings, {"unit": "1", "room": "101", "use": "rented"}),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  retrieve  create  update  delete  search  dwellings  add_dwelling
        street_admin       200   200       201     200     405     200     200        201
        street_cadre       200   200       201     200     405     200     200        201
        community_cadre    200   200       201     200     405     200     200        201
        grid_leader        200   200       403     403     405     200     200        201
        grid_worker        200   200       403     403     405     200     200        201
        other_grid_worker  200   404       403     404     405     200     404        404
        partner_staff      403   404       403     404     405     403     404        404
        party_officer      403   404       403     404     405     403     404        404
        outsider           403   404       403     404     405     403     404        404
        anonymous          401   401       401     401     401     401     401        401
        """,
    )


def test_households_matrix(request, grid_a, resident_a, resident_b):
    household = resident_a.household
    detail = reverse("household-detail", args=[household.pk])
    actions = {
        "list": Call("get", reverse("household-list")),
        "retrieve": Call("get", detail),
        "create": Call(
            "post", reverse("household-list"), {"number": "HHNEW001", "grid": grid_a.pk}
        ),
        "update": Call("patch", detail, {"kind": "residing"}),
        "delete": Call("delete", detail),
        "search": Call("get", reverse("household-list") + f"?search={household.number}"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  retrieve  create  update  delete  search
        street_admin       200   200       201     200     405     200
        street_cadre       200   200       201     200     405     200
        community_cadre    200   200       201     200     405     200
        grid_leader        200   200       201     200     405     200
        grid_worker        200   200       201     200     405     200
        # Grid A's id in the body does not exist for them: 400 on the field.
        other_grid_worker  200   404       400     404     405     200
        partner_staff      403   404       403     404     405     403
        party_officer      403   404       403     404     405     403
        outsider           403   404       403     404     405     403
        anonymous          401   401       401     401     401     401
        """,
    )


def test_residents_matrix(request, resident_a, resident_b):
    detail = reverse("resident-detail", args=[resident_a.pk])
    new_resident = {
        "name": "赵新民",
        "id_number": NEW_ID_NUMBER,
        "sex": "female",
        "birth_date": "1949-12-31",
        "household": resident_a.household_id,
    }
    actions = {
        "list": Call("get", reverse("resident-list")),
        "retrieve": Call("get", detail),
        "create": Call("post", reverse("resident-list"), new_resident),
        "update": Call("patch", detail, {"ethnicity": "畲族"}),
        "delete": Call("delete", detail),
        "search": Call("get", reverse("resident-list") + f"?search={resident_a.name}"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  retrieve  create  update  delete  search
        street_admin       200   200       201     200     204     200
        street_cadre       200   200       201     200     403     200
        community_cadre    200   200       201     200     403     200
        grid_leader        200   200       201     200     403     200
        grid_worker        200   200       201     200     403     200
        other_grid_worker  200   404       400     404     404     200
        partner_staff      403   404       403     404     404     403
        party_officer      403   404       403     404     404     403
        outsider           403   404       403     404     404     403
        anonymous          401   401       401     401     401     401
        """,
    )


def test_tag_catalogue_matrix(request, living_alone, resident_b):
    detail = reverse("tagdef-detail", args=[living_alone.pk])
    actions = {
        "list": Call("get", reverse("tagdef-list")),
        "retrieve": Call("get", detail),
        "create": Call(
            "post", reverse("tagdef-list"), {"code": "x", "name": "x", "group": "other"}
        ),
        "update": Call("patch", detail, {"name": "改名"}),
        "delete": Call("delete", detail),
        "search": Call("get", reverse("tagdef-list") + "?search=独居"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  retrieve  create  update  delete  search
        # The catalogue is the same for every role that may read tags, in every grid.
        street_admin       200   200       405     405     405     200
        street_cadre       200   200       405     405     405     200
        community_cadre    200   200       405     405     405     200
        grid_leader        200   200       405     405     405     200
        grid_worker        200   200       405     405     405     200
        other_grid_worker  200   200       405     405     405     200
        # No role permission: every collection route is a 403, even a method it lacks.
        partner_staff      403   404       403     405     405     403
        party_officer      403   404       403     405     405     403
        outsider           403   404       403     405     405     403
        anonymous          401   401       401     401     401     401
        """,
    )


def test_resident_tags_matrix(request, resident_a, tag_a, tag_b, minimum_allowance):
    detail = reverse("residenttag-detail", args=[tag_a.pk])
    actions = {
        "list": Call("get", reverse("residenttag-list")),
        "retrieve": Call("get", detail),
        "create": Call(
            "post",
            reverse("residenttag-list"),
            {"resident": resident_a.pk, "tag": minimum_allowance.pk, "source": "department"},
        ),
        "update": Call("patch", detail, {"certificate_number": "DB2025001"}),
        "delete": Call("delete", detail),
        "filter": Call("get", reverse("residenttag-list") + "?group=elderly"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  retrieve  create  update  delete  filter
        # Removing a tag is one action with one gate (grids.policy.access_resident_tag_remove):
        # whoever may change the resident's tags may remove one, on the page and in the API.
        street_admin       200   200       201     200     204     200
        street_cadre       200   200       201     200     204     200
        community_cadre    200   200       201     200     204     200
        grid_leader        200   200       201     200     204     200
        grid_worker        200   200       201     200     204     200
        other_grid_worker  200   404       400     404     404     200
        partner_staff      403   404       403     404     404     403
        party_officer      403   404       403     404     404     403
        outsider           403   404       403     404     404     403
        anonymous          401   401       401     401     401     401
        """,
    )


# --- Lists and search hold nothing out of scope -----------------------------------------------


def english(client):
    """Messages in English (the default language is Chinese)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def ids(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_grid_workers_lists_hold_only_their_grid(
    api_client_for,
    grid_worker,
    other_grid_worker,
    grid_a,
    grid_b,
    building_a,
    building_b,
    resident_a,
    resident_b,
    tag_a,
    tag_b,
):
    client = api_client_for(grid_worker)
    own_assignments = set(GridAssignment.objects.filter(grid=grid_a).values_list("pk", flat=True))
    assert ids(client, reverse("grid-list")) == {grid_a.pk}
    assert ids(client, reverse("gridassignment-list")) == own_assignments
    assert ids(client, reverse("building-list")) == {building_a.pk}
    assert ids(client, reverse("household-list")) == {resident_a.household_id}
    assert ids(client, reverse("resident-list")) == {resident_a.pk}
    assert ids(client, reverse("residenttag-list")) == {tag_a.pk}
    assert grid_b.community_id not in ids(client, reverse("region-list"))

    other = api_client_for(other_grid_worker)
    assert ids(other, reverse("resident-list")) == {resident_b.pk}
    assert ids(other, reverse("residenttag-list")) == {tag_b.pk}


def test_search_finds_nothing_out_of_scope(
    api_client_for, grid_worker, grid_b, building_b, resident_b
):
    client = api_client_for(grid_worker)
    assert ids(client, reverse("grid-list"), search=grid_b.name) == set()
    assert ids(client, reverse("grid-list"), search=grid_b.code) == set()
    assert ids(client, reverse("region-list"), search=grid_b.community.name) == set()
    assert ids(client, reverse("building-list"), search=building_b.address) == set()
    assert ids(client, reverse("household-list"), search=resident_b.household.number) == set()
    for term in (resident_b.name, resident_b.id_number, resident_b.phone):
        assert ids(client, reverse("resident-list"), search=term) == set()


def test_search_finds_what_is_in_scope(api_client_for, grid_worker, building_a, resident_a):
    client = api_client_for(grid_worker)
    assert ids(client, reverse("building-list"), search="江滨路") == {building_a.pk}
    number = resident_a.household.number
    assert ids(client, reverse("household-list"), search=number[-4:]) == {resident_a.household_id}
    assert ids(client, reverse("resident-list"), search=resident_a.name[:1]) == {resident_a.pk}
    assert ids(client, reverse("resident-list"), search=resident_a.phone) == {resident_a.pk}


def test_filter_by_a_hidden_id_answers_like_a_missing_one(
    api_client_for, grid_worker, grid_b, resident_b
):
    client = api_client_for(grid_worker)
    for name, hidden in (("grid", grid_b.pk), ("community", grid_b.community_id)):
        for url in (reverse("household-list"), reverse("resident-list")):
            shown = client.get(url, {name: hidden})
            missing = client.get(url, {name: 999_999})
            assert shown.status_code == missing.status_code == 200
            assert shown.json() == missing.json()
            assert shown.json()["count"] == 0


def test_resident_filters_by_tags_in_force(
    api_client_for, street_admin, resident_a, resident_b, living_alone, minimum_allowance
):
    ResidentTag.objects.create(resident=resident_a, tag=living_alone)
    ResidentTag.objects.create(
        resident=resident_b, tag=minimum_allowance, valid_to=date(2020, 1, 1)
    )
    client = api_client_for(street_admin)
    url = reverse("resident-list")
    assert ids(client, url, group="elderly") == {resident_a.pk}
    assert ids(client, url, tier="high") == {resident_a.pk}
    assert ids(client, url, tag=living_alone.code) == {resident_a.pk}
    assert ids(client, url, group="special") == set()  # resident_b's tag lapsed in 2020
    row = client.get(reverse("resident-detail", args=[resident_a.pk])).json()
    assert row["tags"] == [living_alone.code]
    assert row["grid"] == resident_a.household.grid_id
    assert "id_number" not in row and row["id_number_masked"].endswith(resident_a.id_number[-4:])


# --- Writes that would land outside the writer's grid write nothing ----------------------------


def test_grid_worker_creating_a_household_in_another_grid_writes_nothing(
    api_client_for, grid_worker, grid_b
):
    client = english(api_client_for(grid_worker))
    before = Household.objects.count()
    response = client.post(
        reverse("household-list"), {"number": "HHB0001", "grid": grid_b.pk}, format="json"
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["grid"][0]
    # Without a grid the household would vanish from their own sight: refused on the same field.
    response = client.post(reverse("household-list"), {"number": "HHB0002"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["grid"]
    assert Household.objects.count() == before
    assert not AuditEvent.objects.filter(action="household.create").exists()


def test_grid_worker_moving_a_household_out_of_their_grid_changes_nothing(
    api_client_for, grid_worker, resident_a, grid_b
):
    household = resident_a.household
    url = reverse("household-detail", args=[household.pk])
    client = api_client_for(grid_worker)
    assert client.patch(url, {"grid": grid_b.pk}, format="json").status_code == 400
    assert client.patch(url, {"grid": None}, format="json").status_code == 400
    household.refresh_from_db()
    assert household.grid_id == resident_a.household.grid_id


def test_grid_worker_creating_a_resident_in_another_grid_writes_nothing(
    api_client_for, grid_worker, resident_b
):
    client = english(api_client_for(grid_worker))
    before = Resident.objects.count()
    body = {
        "name": "赵新民",
        "id_number": NEW_ID_NUMBER,
        "sex": "female",
        "birth_date": "1949-12-31",
    }
    response = client.post(
        reverse("resident-list"), {**body, "household": resident_b.household_id}, format="json"
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["household"][0]
    response = client.post(reverse("resident-list"), body, format="json")  # no household
    assert response.status_code == 400
    assert list(response.json()) == ["household"]
    assert Resident.objects.count() == before
    assert not AuditEvent.objects.filter(action="resident.create").exists()


def test_grid_worker_tagging_another_grids_resident_writes_nothing(
    api_client_for, grid_worker, resident_b, living_alone
):
    response = english(api_client_for(grid_worker)).post(
        reverse("residenttag-list"), {"resident": resident_b.pk, "tag": living_alone.pk}
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["resident"][0]
    assert not ResidentTag.objects.exists()


def test_community_cadre_cannot_place_a_building_in_another_community(
    api_client_for, community_cadre, community_b, street
):
    client = english(api_client_for(community_cadre))
    for community in (community_b, street):  # hidden; visible but not a community
        response = client.post(
            reverse("building-list"),
            {"community": community.pk, "name": "外楼", "address": "外路1号"},
            format="json",
        )
        assert response.status_code == 400
        assert "does not exist" in response.json()["community"][0]
    assert not Building.objects.exists()


# --- Grids, assignments, tags: rules a client meets -------------------------------------------


def test_grid_code_must_start_with_its_communitys_code(api_client_for, street_admin, community_a):
    response = api_client_for(street_admin).post(
        reverse("grid-list"),
        {"community": community_a.pk, "code": "330381008002001", "name": "错码网格"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["code"]
    assert not Grid.objects.filter(name="错码网格").exists()


def test_grid_code_and_community_are_fixed_once_drawn(
    api_client_for, street_admin, grid_a, community_b
):
    url = reverse("grid-detail", args=[grid_a.pk])
    client = api_client_for(street_admin)
    response = client.patch(url, {"code": f"{grid_a.community.code}777"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["code"]
    response = client.patch(url, {"community": community_b.pk}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["community"]
    response = client.patch(url, {"name": "江滨网格（新）", "household_cap": 420}, format="json")
    assert response.status_code == 200
    grid_a.refresh_from_db()
    assert (grid_a.name, grid_a.household_cap) == ("江滨网格（新）", 420)
    assert AuditEvent.objects.filter(action="grid.update", object_id=str(grid_a.pk)).exists()


def test_assigning_a_worker_grants_the_grid_and_ending_it_takes_it_away(
    api_client_for, street_admin, grid_a, resident_a
):
    newcomer = UserFactory(username="t_newcomer", full_name="新网格员")
    admin = api_client_for(street_admin)
    worker = api_client_for(newcomer)
    resident_url = reverse("resident-detail", args=[resident_a.pk])
    assert worker.get(resident_url).status_code == 404

    body = {
        "grid": grid_a.pk,
        "person": newcomer.pk,
        "post": "full_time",
        "start_date": "2025-03-01",
    }
    created = admin.post(reverse("gridassignment-list"), body, format="json")
    assert created.status_code == 201
    assert created.json()["person_name"] == "新网格员"
    assert created.json()["end_date"] is None
    # The same open post again is the same assignment, not a second one.
    again = admin.post(reverse("gridassignment-list"), body, format="json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    assert worker.get(resident_url).status_code == 200

    detail = reverse("gridassignment-detail", args=[created.json()["id"]])
    response = admin.patch(detail, {"end_date": "2025-02-01"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["end_date"]
    response = admin.patch(detail, {"post": "leader", "end_date": "2025-06-30"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["post"]
    assert admin.put(detail, {**body, "end_date": "2025-06-30"}, format="json").status_code == 405

    ended = admin.patch(detail, {"end_date": "2025-06-30"}, format="json")
    assert ended.status_code == 200 and ended.json()["end_date"] == "2025-06-30"
    assert worker.get(resident_url).status_code == 404
    current = ids(admin, reverse("gridassignment-list"), grid=grid_a.pk, current="true")
    assert created.json()["id"] not in current


def test_tagging_twice_updates_the_tag(api_client_for, grid_worker, resident_a, living_alone):
    client = api_client_for(grid_worker)
    body = {"resident": resident_a.pk, "tag": living_alone.pk}
    first = client.post(reverse("residenttag-list"), body, format="json")
    assert first.status_code == 201
    assert first.json()["tag_code"] == living_alone.code
    assert first.json()["visit_tier"] == "high"
    second = client.post(
        reverse("residenttag-list"), {**body, "certificate_number": "C-1"}, format="json"
    )
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert ResidentTag.objects.get().certificate_number == "C-1"

    detail = reverse("residenttag-detail", args=[first.json()["id"]])
    other_tag = TagDefFactory(code="t_other", name="其他", group=TagDef.Group.OTHER)
    response = client.patch(detail, {"tag": other_tag.pk}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["tag"]


def test_dwellings_are_added_to_a_visible_building(
    api_client_for, grid_worker, building_a, building_b
):
    client = api_client_for(grid_worker)
    url = reverse("building-dwellings", args=[building_a.pk])
    created = client.post(url, {"unit": "2", "room": "301", "use": "vacant"}, format="json")
    assert created.status_code == 201
    assert created.json()["building"] == building_a.pk
    assert_answer_documented(created, "/api/v1/buildings/{id}/dwellings/", "post")
    listing = client.get(url)
    assert listing.json()["count"] == 1
    assert_answer_documented(listing, "/api/v1/buildings/{id}/dwellings/")
    duplicate = client.post(url, {"unit": "2", "room": "301"}, format="json")
    assert duplicate.status_code == 400
    assert ids(client, url) == {created.json()["id"]}
    Dwelling.objects.create(building=building_b, room="101")
    hidden = reverse("building-dwellings", args=[building_b.pk])
    assert client.get(hidden).status_code == 404
    assert client.post(hidden, {"room": "102"}, format="json").status_code == 404
    assert Dwelling.objects.filter(building=building_b).count() == 1


# --- The same ID number never makes a second resident -----------------------------------------


def new_resident_body(household, **overrides):
    return {
        "name": "赵新民",
        "id_number": NEW_ID_NUMBER,
        "sex": "female",
        "birth_date": "1949-12-31",
        "household": household.pk,
        **overrides,
    }


def test_registered_id_number_leads_to_the_existing_resident(
    api_client_for, grid_worker, resident_a
):
    client = english(api_client_for(grid_worker))
    before = Resident.objects.count()
    body = new_resident_body(
        resident_a.household,
        name=resident_a.name,
        id_number=resident_a.id_number.lower(),  # the same number, typed differently
        sex=resident_a.sex,
        birth_date=resident_a.birth_date.isoformat(),
    )
    response = client.post(reverse("resident-list"), body, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "id_number": ["A resident with this ID number is already registered."],
        "existing_id": resident_a.pk,
    }
    assert Resident.objects.count() == before


def test_registered_id_number_out_of_scope_is_a_bare_conflict(
    api_client_for, grid_worker, resident_a, resident_b
):
    client = english(api_client_for(grid_worker))
    before = Resident.objects.count()
    body = new_resident_body(
        resident_a.household,
        id_number=resident_b.id_number,
        sex=resident_b.sex,
        birth_date=resident_b.birth_date.isoformat(),
    )
    response = client.post(reverse("resident-list"), body, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "id_number": ["A resident with this ID number is already registered."]
    }
    assert Resident.objects.count() == before
    assert not AuditEvent.objects.filter(action="resident.create").exists()


def test_changing_an_id_number_to_a_registered_one_is_a_conflict(
    api_client_for, street_admin, resident_a, resident_b
):
    response = english(api_client_for(street_admin)).patch(
        reverse("resident-detail", args=[resident_b.pk]),
        {
            "id_number": resident_a.id_number,
            "sex": resident_a.sex,
            "birth_date": resident_a.birth_date.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["existing_id"] == resident_a.pk
    resident_b.refresh_from_db()
    assert resident_b.id_number != resident_a.id_number


def test_a_visited_resident_cannot_be_deleted(
    api_client_for, street_admin, grid_worker, resident_a
):
    from grids.models import Visit

    Visit.objects.create(household=resident_a.household, resident=resident_a, visitor=grid_worker)
    response = api_client_for(street_admin).delete(reverse("resident-detail", args=[resident_a.pk]))
    assert response.status_code == 409
    assert Resident.objects.filter(pk=resident_a.pk).exists()


def test_lists_filter_by_household_and_grid(api_client_for, community_cadre, grid_a):
    household = HouseholdFactory(grid=grid_a)
    members = {ResidentFactory(household=household).pk for _ in range(3)}
    client = api_client_for(community_cadre)
    assert ids(client, reverse("resident-list"), household=household.pk) == members
    assert ids(client, reverse("household-list"), grid=grid_a.pk) == {household.pk}


def test_street_roles_may_register_a_resident_without_a_household(api_client_for, street_admin):
    body = {
        "name": "赵新民",
        "id_number": NEW_ID_NUMBER,
        "sex": "female",
        "birth_date": "1949-12-31",
    }
    response = api_client_for(street_admin).post(reverse("resident-list"), body, format="json")
    assert response.status_code == 201
    assert (response.json()["household"], response.json()["grid"]) == (None, None)
    assert response.json()["tags"] == []
    assert response.json()["id_number_masked"] == "1101**********002X"
