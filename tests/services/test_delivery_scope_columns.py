"""A delivery's copy of its resident's jurisdiction (`scope_grid`, `scope_community`; services
migration 0015), kept by database triggers as the referrals' is (0012), and the delivery reads
that use it. Each test moves the resident the rawest way the code has and then asks who sees
the delivery: a stale copy is a delivery shown to the wrong grid worker, or hidden from the
right one, and a wrong count on the community's dashboard."""

from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids import writes as grid_writes
from grids.models import Building, Dwelling, Grid, Household
from portal.roles import Role
from services.dashboards import selectors as dashboards
from services.models import Delivery
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.helpers import login
from tests.portal.factories import UserFactory
from tests.scope_copies import grid_worker_of, scope_columns, through_residents, visible_ids
from tests.services.factories import DeliveryFactory

pytestmark = pytest.mark.django_db


_columns = scope_columns
_visible = partial(visible_ids, Delivery)
_through_residents = partial(through_residents, Delivery)  # the slow way the copy replaces
_worker = grid_worker_of


def test_a_delivery_carries_its_residents_jurisdiction_and_python_cannot_write_it(
    grid_a, grid_b, community_a
):
    delivery = DeliveryFactory(resident=ResidentFactory(household=HouseholdFactory(grid=grid_a)))
    assert _columns(delivery) == (grid_a.pk, community_a.pk)
    delivery.scope_grid = grid_b.pk
    delivery.save()
    Delivery.objects.filter(pk=delivery.pk).update(scope_community=None)
    assert _columns(delivery) == (grid_a.pk, community_a.pk)
    bulk = Delivery.objects.bulk_create(  # a meal import's path
        [DeliveryFactory.build(resident=delivery.resident, recorded_by=delivery.recorded_by,
                               partner=delivery.partner, service_item=delivery.service_item)]
    )  # fmt: skip
    assert _columns(bulk[0]) == (grid_a.pk, community_a.pk)


def test_moves_of_household_grid_and_building_take_the_deliveries_along(
    street_admin, grid_a, grid_b, community_a, community_b
):
    household = HouseholdFactory(grid=grid_a)
    delivery = DeliveryFactory(resident=ResidentFactory(household=household))
    stale = Delivery.objects.get(pk=delivery.pk)
    worker_a, worker_b = _worker(street_admin, grid_a), _worker(street_admin, grid_b)
    assert _visible(worker_a) == {delivery.pk} and _visible(worker_b) == set()

    Household.objects.filter(pk=household.pk).update(grid=grid_b)
    assert _columns(delivery) == (grid_b.pk, community_b.pk)
    assert _visible(worker_a) == set() and _visible(worker_b) == {delivery.pk}
    stale.feedback = "很满意"
    stale.save()  # loaded before the move: does not put the old grid back
    assert _columns(delivery) == (grid_b.pk, community_b.pk)

    Grid.objects.filter(pk=grid_b.pk).update(community=community_a)
    assert _columns(delivery) == (grid_b.pk, community_a.pk)

    building = Building.objects.create(community=community_a, name="1幢", address="江滨路1号")
    ungridded = Household.objects.create(
        number="UG0001", dwelling=Dwelling.objects.create(building=building, room="101")
    )
    resident = delivery.resident
    resident.household = ungridded
    resident.save()
    assert _columns(delivery) == (None, community_a.pk)
    Building.objects.filter(pk=building.pk).update(community=community_b)
    assert _columns(delivery) == (None, community_b.pk)


def test_the_copy_gives_the_same_deliveries_as_the_residents(
    street_admin, grid_a, grid_b, community_a, resident_a, resident_b
):
    """Grid workers, a community cadre, a case shared across the boundary: the same rows."""
    DeliveryFactory.create_batch(2, resident=resident_a)
    DeliveryFactory(resident=resident_b)
    DeliveryFactory(resident=ResidentFactory(household=None))
    worker_a, worker_b = _worker(street_admin, grid_a), _worker(street_admin, grid_b)
    cadre = UserFactory(role=Role.COMMUNITY_CADRE)
    grid_writes.region_staff_grant(actor=street_admin, person=cadre, region=community_a)
    grid_writes.resident_share(actor=street_admin, person=worker_a, resident=resident_b)
    for user in (worker_a, worker_b, cadre):
        assert _visible(user) == _through_residents(user)
    assert len(_visible(worker_a)) == 3  # their two, and the shared case's one


def test_the_list_and_the_dashboard_read_the_deliveries_own_index(client, street_admin, grid_a):
    from django.utils import timezone

    worker = _worker(street_admin, grid_a)
    resident = ResidentFactory(household=HouseholdFactory(grid=grid_a))
    DeliveryFactory(resident=resident, delivered_at=timezone.now())
    login(client, worker)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("services:delivery-list")).status_code == 200
        months = dashboards.deliveries_per_group_per_month(actor=worker)
    assert sum(sum(group["counts"]) for group in months["groups"]) == 1
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "services_delivery"' in q["sql"]]
    assert reads, "no delivery query"
    for sql in reads:
        assert '"services_delivery"."scope_grid"' in sql, sql
        assert 'FROM "grids_resident" U0' not in sql, sql  # no semi-join over the residents
