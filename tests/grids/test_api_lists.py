"""The registry's list endpoints: scoped, and the same number of queries for 1 row and for 20."""

import pytest
from django.urls import reverse

from tests.factories import GridFactory, HouseholdFactory
from tests.helpers import assert_constant_queries

pytestmark = pytest.mark.django_db


def test_household_list_queries_are_constant(api_client_for, grid_worker, grid_a):
    client = api_client_for(grid_worker)
    assert_constant_queries(
        add_rows=lambda n: HouseholdFactory.create_batch(n, grid=grid_a),
        fetch=lambda: client.get(reverse("household-list")),
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
