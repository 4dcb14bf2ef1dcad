"""A referral's copy of its resident's jurisdiction (`scope_grid`, `scope_community`; services
migration 0012), kept by database triggers, and the referral lists that read it.

Each test moves the resident (or what places it) the rawest way the code has and then asks
what people see, not only the columns: a stale copy is a referral shown to the wrong grid
worker, or hidden from the right one.
"""

from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids import writes as grid_writes
from grids.models import Building, Dwelling, Grid, Household
from portal.roles import Role
from services.models import Referral
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.helpers import login
from tests.portal.factories import UserFactory
from tests.scope_copies import grid_worker_of, scope_columns, through_residents, visible_ids
from tests.services.factories import ReferralFactory

pytestmark = pytest.mark.django_db


_columns = scope_columns
_visible = partial(visible_ids, Referral)
_through_residents = partial(through_residents, Referral)  # the slow way the copy replaces
_worker = grid_worker_of


def test_a_new_referral_carries_its_residents_jurisdiction(grid_a, community_a):
    referral = ReferralFactory(resident=ResidentFactory(household=HouseholdFactory(grid=grid_a)))
    assert _columns(referral) == (grid_a.pk, community_a.pk)


def test_python_cannot_write_the_copy(grid_a, grid_b, community_a):
    referral = ReferralFactory(resident=ResidentFactory(household=HouseholdFactory(grid=grid_a)))
    referral.scope_grid, referral.scope_community = grid_b.pk, None
    referral.save()
    assert _columns(referral) == (grid_a.pk, community_a.pk)
    Referral.objects.filter(pk=referral.pk).update(scope_grid=grid_b.pk)
    assert _columns(referral) == (grid_a.pk, community_a.pk)


def test_a_household_moved_to_another_grid_takes_the_referrals_along(
    street_admin, grid_a, grid_b, community_b
):
    household = HouseholdFactory(grid=grid_a)
    referral = ReferralFactory(resident=ResidentFactory(household=household))
    stale = Referral.objects.get(pk=referral.pk)  # loaded before the move
    worker_a, worker_b = _worker(street_admin, grid_a), _worker(street_admin, grid_b)
    assert _visible(worker_a) == {referral.pk} and _visible(worker_b) == set()

    Household.objects.filter(pk=household.pk).update(grid=grid_b)

    assert _columns(referral) == (grid_b.pk, community_b.pk)
    assert _visible(worker_a) == set() and _visible(worker_b) == {referral.pk}
    # A save of the instance loaded before the move does not put the old grid back.
    stale.description = "改为每周三次"
    stale.save()
    assert _columns(referral) == (grid_b.pk, community_b.pk)


def test_a_resident_moved_to_another_household_and_a_referral_to_another_resident(
    street_admin, grid_a, grid_b, community_b
):
    resident = ResidentFactory(household=HouseholdFactory(grid=grid_a))
    referral = ReferralFactory(resident=resident)
    worker_b = _worker(street_admin, grid_b)
    resident.household = HouseholdFactory(grid=grid_b)
    resident.save()
    assert _columns(referral) == (grid_b.pk, community_b.pk)
    assert _visible(worker_b) == {referral.pk}

    other = ReferralFactory(resident=ResidentFactory(household=HouseholdFactory(grid=grid_b)))
    Referral.objects.filter(pk=other.pk).update(resident=ResidentFactory(household=None))
    assert _columns(other) == (None, None)  # no household: the street's alone
    assert _visible(worker_b) == {referral.pk}


def test_a_grid_moved_to_another_community_and_an_ungridded_household_placed(
    street_admin, grid_a, community_a, community_b
):
    cadre_b = UserFactory(role=Role.COMMUNITY_CADRE)
    grid_writes.region_staff_grant(actor=street_admin, person=cadre_b, region=community_b)
    referral = ReferralFactory(resident=ResidentFactory(household=HouseholdFactory(grid=grid_a)))
    Grid.objects.filter(pk=grid_a.pk).update(community=community_b)
    assert _columns(referral) == (grid_a.pk, community_b.pk)
    assert _visible(cadre_b) == {referral.pk}

    building = Building.objects.create(community=community_a, name="1幢", address="江滨路1号")
    household = Household.objects.create(
        number="UG0001", dwelling=Dwelling.objects.create(building=building, room="101")
    )
    ungridded = ReferralFactory(resident=ResidentFactory(household=household))
    assert _columns(ungridded) == (None, community_a.pk)
    Building.objects.filter(pk=building.pk).update(community=community_b)
    assert _columns(ungridded) == (None, community_b.pk)
    assert _visible(cadre_b) == {referral.pk, ungridded.pk}


def test_the_copy_gives_the_same_referrals_as_the_residents(
    street_admin, grid_a, grid_b, community_a, resident_a, resident_b
):
    """Grid workers, a community cadre, a case shared across the boundary: the same rows."""
    ReferralFactory.create_batch(2, resident=resident_a)
    ReferralFactory(resident=resident_b)
    ReferralFactory(resident=ResidentFactory(household=None))
    worker_a, worker_b = _worker(street_admin, grid_a), _worker(street_admin, grid_b)
    cadre = UserFactory(role=Role.COMMUNITY_CADRE)
    grid_writes.region_staff_grant(actor=street_admin, person=cadre, region=community_a)
    grid_writes.resident_share(actor=street_admin, person=worker_a, resident=resident_b)
    for user in (worker_a, worker_b, cadre):
        assert _visible(user) == _through_residents(user)
    assert len(_visible(worker_a)) == 3  # their two, and the shared case's one


def test_history_and_follow_ups_are_seen_through_the_referrals_copy(
    street_admin, grid_a, grid_b, community_a, resident_a, resident_b, grid_worker
):
    """A referral's events and its follow-up are seen by whoever sees the referral: the same
    rows as through the residents, read from the referral's columns (no residents' semi-join)."""
    from django.utils import timezone

    from services.referrals.models import FollowUpTask, ReferralEvent

    referrals = [
        ReferralFactory(resident=resident_a),
        ReferralFactory(resident=resident_b),
        ReferralFactory(resident=ResidentFactory(household=None)),
    ]
    for referral in referrals:
        ReferralEvent.objects.create(
            referral=referral, from_status="draft", to_status="submitted", actor=grid_worker
        )
        FollowUpTask.objects.create(referral=referral, due_on=timezone.localdate())
    worker_a, worker_b = _worker(street_admin, grid_a), _worker(street_admin, grid_b)
    cadre = UserFactory(role=Role.COMMUNITY_CADRE)
    grid_writes.region_staff_grant(actor=street_admin, person=cadre, region=community_a)
    grid_writes.resident_share(actor=street_admin, person=worker_a, resident=resident_b)
    for model in (ReferralEvent, FollowUpTask):
        for user in (worker_a, worker_b, cadre):
            seen = set(model.objects.visible_to(user).values_list("referral_id", flat=True))
            assert seen == _through_residents(user), (model, user)
        sql = str(model.objects.visible_to(worker_b).query)
        assert "scope_grid" in sql and '"grids_resident"' not in sql, sql
    seen_by_a = ReferralEvent.objects.visible_to(worker_a).values_list("referral_id", flat=True)
    assert set(seen_by_a) == {referrals[0].pk, referrals[1].pk}  # their own, and the shared case


def test_a_grid_workers_list_reads_the_referrals_own_index(client, street_admin, grid_a):
    worker = _worker(street_admin, grid_a)
    ReferralFactory(resident=ResidentFactory(household=HouseholdFactory(grid=grid_a)))
    login(client, worker)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("services:referral-list")).status_code == 200
    listing = [q["sql"] for q in queries.captured_queries if 'FROM "services_referral"' in q["sql"]]
    assert listing, "no referral query"
    for sql in listing:
        assert '"services_referral"."scope_grid"' in sql or "scope_community" in sql, sql
        assert 'FROM "grids_resident" U0' not in sql, sql  # no semi-join over the residents
