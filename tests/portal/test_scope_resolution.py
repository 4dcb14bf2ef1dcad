"""Scope resolved to id lists once per request, and never stale (portal/scope_cache.py).

Every test keeps ONE user object across the change, as a Celery task or a long request does:
the memo on it must follow grants, assignments, new grids and shares at once, and a change
rolled back must not linger in it.
"""

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.urls import reverse

from grids import writes as grid_writes
from grids.models import Building, Dwelling, Grid, GridAssignment, Household, Region, Resident
from grids.querysets import registry_scope
from portal.roles import Role
from services.catalogue.writes import partner_staff_bind, partner_staff_unbind
from services.models import Referral
from tests.grids.factories import GridFactory, HouseholdFactory
from tests.helpers import count_queries, login
from tests.portal.factories import UserFactory
from tests.services.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def _households(user):
    return set(Household.objects.visible_to(user).values_list("pk", flat=True))


def _residents(user):
    return set(Resident.objects.visible_to(user).values_list("pk", flat=True))


def test_region_grant_and_revoke_change_the_scope_at_once(street_admin, community_a, resident_a):
    cadre = UserFactory(role=Role.COMMUNITY_CADRE)
    assert _households(cadre) == set()

    grid_writes.region_staff_grant(actor=street_admin, person=cadre, region=community_a)
    assert _households(cadre) == {resident_a.household_id}
    assert _residents(cadre) == {resident_a.pk}

    grid_writes.region_staff_revoke(actor=street_admin, person=cadre, region=community_a)
    assert _households(cadre) == set()
    assert _residents(cadre) == set()
    assert not Grid.objects.visible_to(cadre).exists()


def test_a_street_grant_reaches_a_community_created_afterwards(street_admin, street, resident_a):
    integration = UserFactory(role=Role.INTEGRATION)
    grid_writes.region_staff_grant(actor=street_admin, person=integration, region=street)
    assert _households(integration) == {resident_a.household_id}

    community = grid_writes.region_create(
        actor=street_admin, name="新社区", code="330381008009", parent=street
    )
    household = HouseholdFactory(grid=GridFactory(community=community))
    assert household.pk in _households(integration)
    assert community.pk in set(Region.objects.visible_to(integration).values_list("pk", flat=True))


def test_grid_assignment_start_and_end_change_the_scope_at_once(
    street_admin, grid_a, grid_b, resident_a, resident_b
):
    worker = UserFactory(role=Role.GRID_WORKER)
    grid_writes.grid_assign(
        actor=street_admin,
        person=worker,
        grid=grid_a,
        post="full_time",
        start_date=date(2025, 1, 1),
    )
    assert _households(worker) == {resident_a.household_id}

    second = grid_writes.grid_assign(
        actor=street_admin,
        person=worker,
        grid=grid_b,
        post="full_time",
        start_date=date(2025, 1, 1),
    )
    assert _households(worker) == {resident_a.household_id, resident_b.household_id}

    grid_writes.grid_assignment_end(
        actor=street_admin, assignment=second, end_date=date.today() - timedelta(days=1)
    )
    assert _households(worker) == {resident_a.household_id}
    assert set(GridAssignment.objects.visible_to(worker).values_list("grid", flat=True)) == {
        grid_a.pk
    }


def test_a_grid_created_in_a_granted_community_is_seen_at_once(
    street_admin, community_cadre, community_a, resident_a
):
    assert set(Grid.objects.visible_to(community_cadre)) == {resident_a.household.grid}
    grid = grid_writes.grid_create(
        actor=street_admin,
        community=community_a,
        code=community_a.code + "009",
        name="江滨第九网格",
    )
    household = HouseholdFactory(grid=grid)
    assert grid in set(Grid.objects.visible_to(community_cadre))
    assert household.pk in _households(community_cadre)


def test_a_grid_moved_out_of_a_granted_community_leaves_the_scope(
    community_cadre, community_b, grid_a, resident_a
):
    assert resident_a.pk in _residents(community_cadre)
    grid_a.community = community_b  # no write moves a grid; the admin could
    grid_a.save()
    assert _residents(community_cadre) == set()


def test_a_shared_resident_is_seen_at_once_and_only_for_the_shared_action(
    street_admin, other_grid_worker, resident_a, resident_b
):
    assert _residents(other_grid_worker) == {resident_b.pk}
    grid_writes.resident_share(actor=street_admin, resident=resident_a, person=other_grid_worker)
    assert _residents(other_grid_worker) == {resident_a.pk, resident_b.pk}
    assert resident_a not in Resident.objects.visible_to(other_grid_worker, "change")

    grid_writes.resident_share(
        actor=street_admin, resident=resident_a, person=other_grid_worker, change=True
    )
    assert resident_a in Resident.objects.visible_to(other_grid_worker, "change")


def test_ungridded_households_follow_their_grid_and_building(
    street_admin, community_cadre, other_community_cadre, community_a, grid_b
):
    building = Building.objects.create(community=community_a, name="1幢", address="1号")
    dwelling = Dwelling.objects.create(building=building, unit="1", room="101")
    household = HouseholdFactory(grid=None, dwelling=dwelling)
    # Not in any grid: the community of its building holds it.
    assert household.pk in _households(community_cadre)
    assert registry_scope(community_cadre).ungridded_households == (household.pk,)

    grid_writes.household_update(actor=street_admin, household=household, grid=grid_b)
    assert household.pk not in _households(community_cadre)
    assert household.pk in _households(other_community_cadre)

    grid_writes.household_update(actor=street_admin, household=household, grid=None)
    assert household.pk in _households(community_cadre)
    assert household.pk not in _households(other_community_cadre)


def test_a_change_rolled_back_leaves_no_trace_in_the_scope(street_admin, community_a, resident_a):
    cadre = UserFactory(role=Role.COMMUNITY_CADRE)
    with transaction.atomic():
        grid_writes.region_staff_grant(actor=street_admin, person=cadre, region=community_a)
        # Read inside the transaction: the memo now holds the grant ...
        assert _households(cadre) == {resident_a.household_id}
        transaction.set_rollback(True)
    # ... which the rollback took away.
    assert _households(cadre) == set()

    grid_writes.region_staff_grant(actor=street_admin, person=cadre, region=community_a)
    with transaction.atomic():
        grid_writes.region_staff_revoke(actor=street_admin, person=cadre, region=community_a)
        assert _households(cadre) == set()
        transaction.set_rollback(True)
    assert _households(cadre) == {resident_a.household_id}


def test_partner_bind_and_unbind_change_the_referrals_at_once(street_admin, partner_p):
    staff = UserFactory(role=Role.PARTNER_STAFF)
    referral = ReferralFactory(partner=partner_p)
    assert not Referral.objects.visible_to(staff).exists()

    partner_staff_bind(actor=street_admin, person=staff, partner=partner_p)
    assert list(Referral.objects.visible_to(staff)) == [referral]

    partner_staff_unbind(actor=street_admin, person=staff, partner=partner_p)
    assert not Referral.objects.visible_to(staff).exists()


def test_revoked_access_is_a_404_at_once_on_the_page_and_in_the_api(
    client, api_client_for, street_admin, community_a, resident_a
):
    cadre = UserFactory(role=Role.COMMUNITY_CADRE)
    grid_writes.region_staff_grant(actor=street_admin, person=cadre, region=community_a)
    login(client, cadre)
    api = api_client_for(cadre)  # the same user object on every request
    page = reverse("grids:household-detail", args=[resident_a.household_id])
    endpoint = reverse("resident-detail", args=[resident_a.pk])
    assert client.get(page).status_code == 200
    assert api.get(endpoint).status_code == 200

    grid_writes.region_staff_revoke(actor=street_admin, person=cadre, region=community_a)
    assert client.get(page).status_code == 404
    assert api.get(endpoint).status_code == 404


def test_scope_is_resolved_once_per_request(api_client_for, grid_worker, resident_a):
    api = api_client_for(grid_worker)
    url = reverse("resident-list")
    api.get(url)  # warm: content types, the token's lookups
    first, _sql = count_queries(lambda: api.get(url))
    # Within a request the memo serves every later scoped queryset without a query.
    registry_scope(grid_worker)
    resolved, _sql = count_queries(lambda: list(Resident.objects.visible_to(grid_worker)))
    assert resolved == 1  # the residents, and no resolution
    # A new request resolves again (the user object outlives its request here).
    assert count_queries(lambda: api.get(url))[0] == first


def test_scoped_list_queries_do_not_grow_with_the_grids_granted(
    api_client_for, street_admin, community_a
):
    worker = UserFactory(role=Role.GRID_WORKER)
    api = api_client_for(worker)
    url = reverse("household-list")

    def grant_grids(n):
        for _ in range(n):
            grid = GridFactory(community=community_a)
            HouseholdFactory(grid=grid)
            grid_writes.grid_assign(
                actor=street_admin,
                person=worker,
                grid=grid,
                post="full_time",
                start_date=date(2025, 1, 1),
            )

    grant_grids(1)
    api.get(url)
    one, sql_one = count_queries(lambda: api.get(url))
    grant_grids(19)
    twenty, sql_twenty = count_queries(lambda: api.get(url))
    assert api.get(url).json()["count"] == 20
    assert one == twenty, "\n".join(sql_twenty)
    # 3: the scope's resolution (one UNION of the grant reads), the count, the page.
    assert one == 3, "\n".join(sql_one)


def test_the_street_keeps_the_unfiltered_path(street_cadre, resident_a, resident_b):
    _count, sql = count_queries(lambda: list(Household.objects.visible_to(street_cadre)))
    assert len(sql) == 1
    assert "WHERE" not in sql[0]
