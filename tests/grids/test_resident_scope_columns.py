"""The resident's jurisdiction columns (`scope_grid`, `scope_community`; grids migration 0010),
kept by database triggers, and the scope that reads them (`RegistryScope.residents_q`).

The rows are written here the rawest ways the code has — model saves, queryset updates, bulk
creates in an order the deferred foreign keys allow — because the triggers must keep the
columns true whatever writes them. Each test then checks what the people see, not only the
columns: a stale column is a resident shown to the wrong grid worker.
"""

from datetime import date

import pytest
from django.db import connection, transaction
from django.db.models import Q

from grids import writes as grid_writes
from grids.models import Building, Dwelling, Grid, Household, Resident
from grids.querysets import registry_scope
from portal.roles import Role
from tests.grids.factories import GridFactory, HouseholdFactory, RegionFactory, ResidentFactory
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db


def _columns(resident):
    return tuple(
        Resident.objects.filter(pk=resident.pk).values_list("scope_grid", "scope_community").get()
    )


def _visible(user):
    return set(Resident.objects.visible_to(user).values_list("pk", flat=True))


def _through_households(user):
    """The same scope the slow way: through the households (what the columns replace)."""
    scope = registry_scope(user)
    shared = scope.shared_residents.get("view", ())
    q = scope.households_q("household")
    if shared:
        q |= Q(pk__in=shared)
    return set(Resident.objects.filter(q).values_list("pk", flat=True))


def _worker(street_admin, grid, worker=None):
    worker = worker or UserFactory(role=Role.GRID_WORKER)
    grid_writes.grid_assign(
        actor=street_admin, person=worker, grid=grid, post="full_time", start_date=date(2025, 1, 1)
    )
    return worker


def _community_cadre(street_admin, community):
    cadre = UserFactory(role=Role.COMMUNITY_CADRE)
    grid_writes.region_staff_grant(actor=street_admin, person=cadre, region=community)
    return cadre


def _ungridded_household(community, number="UG0001"):
    building = Building.objects.create(community=community, name="1幢", address="江滨路1号")
    dwelling = Dwelling.objects.create(building=building, room="101")
    return Household.objects.create(number=number, dwelling=dwelling, grid=None)


def test_a_new_resident_carries_its_households_grid_and_community(grid_a, community_a):
    resident = ResidentFactory(household=HouseholdFactory(grid=grid_a))
    assert _columns(resident) == (grid_a.pk, community_a.pk)


def test_python_cannot_write_the_columns(grid_a, grid_b, community_a):
    """Whatever a save sends (a stale instance, a hand-set value), the database recomputes."""
    resident = ResidentFactory(household=HouseholdFactory(grid=grid_a))
    resident.scope_grid = grid_b.pk
    resident.scope_community = None
    resident.save()
    assert _columns(resident) == (grid_a.pk, community_a.pk)
    Resident.objects.filter(pk=resident.pk).update(scope_grid=grid_b.pk)
    assert _columns(resident) == (grid_a.pk, community_a.pk)


def test_a_household_moved_to_another_grid_takes_its_residents_along(
    street_admin, grid_a, grid_b, community_b
):
    household = HouseholdFactory(grid=grid_a)
    first, second = ResidentFactory(household=household), ResidentFactory(household=household)
    worker_a, worker_b = _worker(street_admin, grid_a), _worker(street_admin, grid_b)
    assert _visible(worker_a) == {first.pk, second.pk}

    Household.objects.filter(pk=household.pk).update(grid=grid_b)  # a queryset update

    assert _columns(first) == _columns(second) == (grid_b.pk, community_b.pk)
    assert _visible(worker_a) == set()
    assert _visible(worker_b) == {first.pk, second.pk}


def test_a_resident_moved_to_another_household_follows_it(street_admin, grid_a, grid_b):
    resident = ResidentFactory(household=HouseholdFactory(grid=grid_a))
    worker_b = _worker(street_admin, grid_b)
    resident.household = HouseholdFactory(grid=grid_b)
    resident.save()
    assert _visible(worker_b) == {resident.pk}


def test_an_ungridded_household_belongs_to_its_buildings_community_until_placed(
    street_admin, community_a, grid_b, community_b
):
    household = _ungridded_household(community_a)
    resident = ResidentFactory(household=household)
    cadre_a, worker_b = _community_cadre(street_admin, community_a), _worker(street_admin, grid_b)
    assert _columns(resident) == (None, community_a.pk)
    assert _visible(cadre_a) == {resident.pk}
    assert _visible(worker_b) == set()

    household.grid = grid_b  # placed in a grid of another community: the grid decides
    household.save()
    assert _columns(resident) == (grid_b.pk, community_b.pk)
    assert _visible(cadre_a) == set()
    assert _visible(worker_b) == {resident.pk}


def test_a_grid_moved_to_another_community_moves_its_residents(
    street_admin, grid_a, community_a, community_b
):
    resident = ResidentFactory(household=HouseholdFactory(grid=grid_a))
    cadre_a, cadre_b = (_community_cadre(street_admin, c) for c in (community_a, community_b))
    Grid.objects.filter(pk=grid_a.pk).update(community=community_b)
    assert _columns(resident) == (grid_a.pk, community_b.pk)
    assert _visible(cadre_a) == set()
    assert _visible(cadre_b) == {resident.pk}


def test_a_building_or_dwelling_moved_moves_the_ungridded_residents_only(
    street_admin, grid_a, community_a, community_b
):
    ungridded = ResidentFactory(household=_ungridded_household(community_a))
    dwelling = ungridded.household.dwelling
    gridded = ResidentFactory(
        household=Household.objects.create(number="G0001", dwelling=dwelling, grid=grid_a)
    )
    Building.objects.filter(pk=dwelling.building_id).update(community=community_b)
    assert _columns(ungridded) == (None, community_b.pk)
    assert _columns(gridded) == (grid_a.pk, community_a.pk)  # its grid decides, not the building

    elsewhere = Building.objects.create(community=community_a, name="2幢", address="江滨路2号")
    Dwelling.objects.filter(pk=dwelling.pk).update(building=elsewhere)
    assert _columns(ungridded) == (None, community_a.pk)


def test_rows_written_before_their_parents_in_one_transaction(community_a):
    """The foreign keys are deferred: residents may be written before their household, a
    household before its grid. The columns are right by the end of the statement that writes
    the parent."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        grid_id = Grid.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        grid_id += 1000
        household = Household(number="LATE0001", grid_id=grid_id)
        household.pk = 900_001
        resident = ResidentFactory.build(household=household)
        resident.household_id = household.pk
        resident.save()
        assert _columns(resident) == (None, None)
        household.save(force_insert=True)
        assert _columns(resident) == (grid_id, None)  # the grid row is not there yet
        GridFactory(pk=grid_id, community=community_a)
        assert _columns(resident) == (grid_id, community_a.pk)


def test_bulk_create_and_bulk_update_keep_the_columns(grid_a, grid_b, community_b):
    households = Household.objects.bulk_create(
        [Household(number=f"B{n:04d}", grid=grid_a) for n in range(3)]
    )
    residents = Resident.objects.bulk_create(
        [ResidentFactory.build(household=household) for household in households]
    )
    for household in households:
        household.grid = grid_b
    Household.objects.bulk_update(households, ["grid"])
    for resident in residents:
        assert _columns(resident) == (grid_b.pk, community_b.pk)


@pytest.mark.parametrize("role", ["grid_worker", "community_cadre", "integration", "both"])
def test_the_columns_give_the_same_people_as_the_households(
    role, street_admin, street, grid_a, grid_b, community_a, community_b
):
    """Whatever the grants, the columns select exactly the residents the households did."""
    other_grid = GridFactory(community=community_b)
    people = [
        ResidentFactory(household=HouseholdFactory(grid=grid))
        for grid in (grid_a, grid_b, other_grid)
    ]
    people.append(ResidentFactory(household=_ungridded_household(community_a, "UG1")))
    people.append(ResidentFactory(household=_ungridded_household(community_b, "UG2")))
    people.append(ResidentFactory(household=None))
    stranger_community = RegionFactory(parent=street)
    people.append(
        ResidentFactory(household=HouseholdFactory(grid=GridFactory(community=stranger_community)))
    )

    user = UserFactory(role=Role.INTEGRATION if role == "integration" else Role.GRID_WORKER)
    if role in ("grid_worker", "both"):
        _worker(street_admin, grid_b, user)
    if role in ("community_cadre", "both"):
        user.role = Role.COMMUNITY_CADRE
        user.save()
        grid_writes.region_staff_grant(actor=street_admin, person=user, region=community_a)
    if role == "integration":
        grid_writes.region_staff_grant(actor=street_admin, person=user, region=street)

    expected = _through_households(user)
    assert _visible(user) == expected
    assert expected  # every case sees someone
    assert people[5].pk not in expected  # no household: the street's only


def test_a_bulk_update_of_households_compares_its_rows_once_not_pairwise(grid_a, grid_b):
    """The UPDATE trigger finds the households whose grid or dwelling changed in the statement
    (grids 0011). Its plan is made once and kept; made on a one-row statement, a join of the
    old and new rows was a nested loop, and every later UPDATE of n households compared n × n
    rows (10,000 households: 15 s). Read off the trigger's own plan (auto_explain): no row
    pairs thrown away by a join filter, whatever the size — and the one household moved is
    still seen."""
    households = Household.objects.bulk_create(
        [Household(number=f"BULK-{n:04d}", grid=grid_a) for n in range(300)]
    )
    moved = ResidentFactory(household=households[7])
    with connection.cursor() as cursor:
        cursor.execute("LOAD 'auto_explain'")
        for setting, value in (
            ("log_min_duration", "0"),
            ("log_nested_statements", "on"),
            ("log_analyze", "on"),
            ("log_level", "notice"),
        ):
            cursor.execute(f"SET LOCAL auto_explain.{setting} = {value}")
        # One row first: the trigger's statement is planned for a one-row transition table.
        cursor.execute(
            "UPDATE grids_household SET updated_at = now() WHERE id = %s", [households[0].pk]
        )
        notices = connection.connection.notices
        notices.clear()
        cursor.execute(
            "UPDATE grids_household SET updated_at = now(),"
            " grid_id = CASE WHEN id = %s THEN %s ELSE grid_id END WHERE number LIKE 'BULK-%%'",
            [households[7].pk, grid_b.pk],
        )
    plans = [notice for notice in notices if "WITH changed AS" in notice]
    assert plans, "auto_explain showed no plan of the trigger"
    assert not any("Rows Removed by Join Filter" in plan for plan in plans), plans[0]
    assert _columns(moved) == (grid_b.pk, grid_b.community_id)
