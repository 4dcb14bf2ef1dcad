"""The registry's list endpoints: scoped, and the same number of queries for 1 row and for 20."""

import itertools
from datetime import date

import pytest
from django.urls import reverse

from grids import writes as grid_writes
from grids.models import Building, Dwelling, ResidentTag
from tests.grids.factories import (
    GridFactory,
    HouseholdFactory,
    RegionFactory,
    ResidentFactory,
    TagDefFactory,
)
from tests.helpers import assert_constant_queries
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_household_list_queries_are_constant(api_client_for, grid_worker, grid_a):
    client = api_client_for(grid_worker)
    # 3: the scope's resolution (one query per request); the count; the page (household, grid, dwelling, building, community and
    # head in one join).
    assert_constant_queries(
        add_rows=lambda n: HouseholdFactory.create_batch(n, grid=grid_a),
        fetch=lambda: client.get(reverse("household-list")),
        expected=3,
    )


def test_grid_list_queries_are_constant(api_client_for, community_cadre, community_a):
    client = api_client_for(community_cadre)
    assert_constant_queries(
        add_rows=lambda n: GridFactory.create_batch(n, community=community_a),
        fetch=lambda: client.get(reverse("grid-list")),
    )


def test_household_list_holds_only_the_workers_grid(
    api_client_for, grid_worker, resident_a, resident_b
):
    rows = api_client_for(grid_worker).get(reverse("household-list")).json()["results"]
    assert [row["id"] for row in rows] == [resident_a.household_id]


def test_regions_show_the_workers_community_and_what_is_above_it(
    api_client_for, grid_worker, grid_a, community_b
):
    rows = api_client_for(grid_worker).get(reverse("region-list")).json()["results"]
    assert {row["code"] for row in rows} == {"330381", "330381008000", grid_a.community.code}


def test_partner_staff_see_nothing_of_the_registry(api_client_for, partner_staff, resident_a):
    client = api_client_for(partner_staff)
    for name in ("region", "grid", "household", "resident"):
        assert client.get(reverse(f"{name}-list")).status_code == 403
    assert (
        client.get(reverse("household-detail", args=[resident_a.household_id])).status_code == 404
    )
    assert (
        client.get(reverse("grid-detail", args=[resident_a.household.grid_id])).status_code == 404
    )


# --- Every list endpoint of the registry: the same queries for 1 row and for 20 -------------

_serial = itertools.count(1)


def _fetch(client, url):
    def fetch():
        response = client.get(url)
        assert response.status_code == 200, response.content
        assert response.json()["count"] >= 1

    return fetch


def test_region_list_queries_are_constant(api_client_for, grid_worker, grid_a):
    client = api_client_for(grid_worker)

    def add_rows(n):
        # Communities with a grid of the worker's, so that the worker sees them.
        for _ in range(n):
            community = RegionFactory(parent=grid_a.community.parent)
            grid = GridFactory(community=community)
            grid_writes.grid_assign(
                actor=None, person=grid_worker, grid=grid, post="full_time", start_date=date.today()
            )

    assert_constant_queries(add_rows=add_rows, fetch=_fetch(client, reverse("region-list")))


def test_grid_assignment_list_queries_are_constant(api_client_for, grid_leader, grid_a):
    client = api_client_for(grid_leader)

    def add_rows(n):
        for _ in range(n):
            grid_writes.grid_assign(
                actor=None,
                person=UserFactory(),
                grid=grid_a,
                post="part_time",
                start_date=date(2025, 1, 1),
            )

    assert_constant_queries(add_rows=add_rows, fetch=_fetch(client, reverse("gridassignment-list")))


def test_building_list_and_dwelling_list_queries_are_constant(api_client_for, grid_worker, grid_a):
    client = api_client_for(grid_worker)

    def add_buildings(n):
        for _ in range(n):
            number = next(_serial)
            Building.objects.create(
                community=grid_a.community, grid=grid_a, name=f"{number}幢", address=f"{number}号"
            )

    assert_constant_queries(add_rows=add_buildings, fetch=_fetch(client, reverse("building-list")))

    building = Building.objects.first()

    def add_dwellings(n):
        for _ in range(n):
            Dwelling.objects.create(building=building, room=str(next(_serial)))

    assert_constant_queries(
        add_rows=add_dwellings,
        fetch=_fetch(client, reverse("building-dwellings", args=[building.pk])),
    )


def test_resident_list_with_tags_queries_are_constant(api_client_for, grid_worker, grid_a):
    client = api_client_for(grid_worker)
    tags = [TagDefFactory(), TagDefFactory()]

    def add_rows(n):
        for resident in ResidentFactory.create_batch(n, household=HouseholdFactory(grid=grid_a)):
            for tag in tags:
                ResidentTag.objects.create(resident=resident, tag=tag)

    # 4: the scope's resolution (one query per request); the count; the page (resident and household in one
    # join); the page's tags with their definitions (one prefetch).
    assert_constant_queries(
        add_rows=add_rows, fetch=_fetch(client, reverse("resident-list")), expected=4
    )


def test_tag_list_queries_are_constant(api_client_for, grid_worker):
    client = api_client_for(grid_worker)
    assert_constant_queries(
        add_rows=lambda n: [TagDefFactory() for _ in range(n)],
        fetch=_fetch(client, reverse("tagdef-list")),
    )


def test_resident_tag_list_queries_are_constant(api_client_for, community_cadre, grid_a):
    client = api_client_for(community_cadre)
    tag = TagDefFactory()

    def add_rows(n):
        for resident in ResidentFactory.create_batch(n, household=HouseholdFactory(grid=grid_a)):
            ResidentTag.objects.create(resident=resident, tag=tag, source="department")

    assert_constant_queries(add_rows=add_rows, fetch=_fetch(client, reverse("residenttag-list")))
