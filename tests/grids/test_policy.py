"""Every gate of grids/policy.py, once, with the named people of tests/conftest.py.

Each test lists who passes the gate (the system, actor=None, included where it does that work);
everyone else of the street is refused. Taking any condition out of a gate lets someone
through who is not in the list, or stops someone who is.

street ── community A ── grid A (grid_leader, grid_worker) ── building A, resident_a
       └─ community B ── grid B (other_grid_worker)          ── building B, resident_b
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from grids import policy, selectors, writes
from grids.models import Dwelling, GridAssignment, Household, ResidentTag, TagDef
from portal.policy import allowed
from portal.roles import Role
from tests.grids.factories import HouseholdFactory
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db

STREET = {"street_admin", "street_cadre"}
GRID_A = {"grid_leader", "grid_worker"}
REGISTRY = STREET | {"community_cadre"} | GRID_A | {"other_grid_worker"}
SYSTEM = {"system"}


@pytest.fixture
def everyone(people):
    """The named people; the anonymous visitor as Django has it, and the system (None)."""
    return {**people, "anonymous": AnonymousUser(), "system": None}


def who(everyone, gate, obj=None) -> set[str]:
    """The names of those the gate lets through for `obj`."""
    return {name for name, user in everyone.items() if allowed(gate, user, obj)}


@pytest.fixture
def tag_a(resident_a):
    tag = TagDef.objects.create(code="t_alone", name="独居老人", group=TagDef.Group.ELDERLY)
    return ResidentTag.objects.create(resident=resident_a, tag=tag)


# --- Read gates: a role without the permission gets 403 on the list ---------------------------


@pytest.mark.parametrize(
    "gate",
    [
        "access_grid_list",
        "access_building_list",
        "access_household_list",
        "access_resident_list",
        "access_visit_list",
        "access_visits_due_list",
        "access_coverage_view",
    ],
)
def test_read_gates_let_in_the_registry_roles(everyone, gate):
    assert who(everyone, getattr(policy, gate)) == REGISTRY


# --- Grids and micro-grids ---------------------------------------------------------------------


def test_grid_create(everyone):
    assert who(everyone, policy.access_grid_create) == STREET | SYSTEM


def test_grid_change(everyone, grid_a):
    assert who(everyone, policy.access_grid_change, grid_a) == STREET | SYSTEM


def test_micro_grid_create(everyone, grid_a, grid_b):
    cadres = STREET | {"community_cadre"}
    assert who(everyone, policy.access_micro_grid_create, grid_a) == cadres | SYSTEM
    assert who(everyone, policy.access_micro_grid_create, grid_b) == STREET | SYSTEM


# --- Buildings, dwellings, households ----------------------------------------------------------


def test_building_create(everyone, building_a, building_b):
    cadres = STREET | {"community_cadre"}
    assert who(everyone, policy.access_building_create) == cadres | SYSTEM
    # The written building, asked again: inside the writer's jurisdiction, or refused.
    assert who(everyone, policy.access_building_create, building_a) == cadres | SYSTEM
    assert who(everyone, policy.access_building_create, building_b) == STREET | SYSTEM


def test_building_change(everyone, building_a, building_b):
    cadres = STREET | {"community_cadre"}
    assert who(everyone, policy.access_building_change, building_a) == cadres | SYSTEM
    assert who(everyone, policy.access_building_change, building_b) == STREET | SYSTEM


def test_dwelling_create(everyone, building_a):
    assert who(everyone, policy.access_dwelling_create) == REGISTRY | SYSTEM
    in_a = STREET | {"community_cadre"} | GRID_A | SYSTEM
    assert who(everyone, policy.access_dwelling_create, building_a) == in_a


def test_household_create(everyone, resident_b):
    assert who(everyone, policy.access_household_create) == REGISTRY | SYSTEM
    in_b = STREET | {"other_grid_worker"} | SYSTEM
    assert who(everyone, policy.access_household_create, resident_b.household) == in_b


def test_household_change(everyone, resident_a):
    in_a = STREET | {"community_cadre"} | GRID_A | SYSTEM
    assert who(everyone, policy.access_household_change, resident_a.household) == in_a


def test_a_household_written_outside_the_writers_grid_is_refused_on_its_field(grid_worker):
    with pytest.raises(ValidationError) as caught:
        writes.household_create(actor=grid_worker, number="HH-NOWHERE")
    assert list(caught.value.message_dict) == ["grid"]
    assert not Household.objects.filter(number="HH-NOWHERE").exists()


# --- Residents and their tags ------------------------------------------------------------------


def test_resident_create(everyone, resident_b):
    assert who(everyone, policy.access_resident_create) == REGISTRY | SYSTEM
    in_b = STREET | {"other_grid_worker"} | SYSTEM
    assert who(everyone, policy.access_resident_create, resident_b) == in_b


def test_resident_change(everyone, resident_a):
    in_a = STREET | {"community_cadre"} | GRID_A | SYSTEM
    assert who(everyone, policy.access_resident_change, resident_a) == in_a


def test_resident_delete(everyone, resident_a):
    assert who(everyone, policy.access_resident_delete, resident_a) == {"street_admin", "system"}


def test_resident_share(everyone, resident_a, resident_b):
    # Cadres share a case they may change; grid staff, who may change it too, do not share.
    assert who(everyone, policy.access_resident_share, resident_a) == (
        STREET | {"community_cadre"} | SYSTEM
    )
    assert who(everyone, policy.access_resident_share, resident_b) == STREET | SYSTEM


def test_resident_tag_add(everyone, resident_a):
    assert who(everyone, policy.access_resident_tag_add) == REGISTRY | SYSTEM
    in_a = STREET | {"community_cadre"} | GRID_A | SYSTEM
    assert who(everyone, policy.access_resident_tag_add, resident_a) == in_a


def test_resident_tag_remove(everyone, tag_a):
    assert who(everyone, policy.access_resident_tag_remove) == REGISTRY | SYSTEM
    in_a = STREET | {"community_cadre"} | GRID_A | SYSTEM
    assert who(everyone, policy.access_resident_tag_remove, tag_a) == in_a


# --- Staffing ----------------------------------------------------------------------------------


def test_grid_assign(everyone, grid_a):
    assert who(everyone, policy.access_grid_assign, grid_a) == STREET | SYSTEM


def test_grid_assignment_end(everyone, grid_worker):
    assignment = GridAssignment.objects.get(person=grid_worker)
    assert who(everyone, policy.access_grid_assignment_end, assignment) == STREET | SYSTEM


def test_grid_assignments_expire(everyone):
    assert who(everyone, policy.access_grid_assignments_expire) == STREET | SYSTEM


def test_resident_change_of_a_shared_case(everyone, resident_b):
    """A share with grid A's worker is for viewing; a share with change lets them correct it."""
    worker = everyone["grid_worker"]
    writes.resident_share(actor=None, resident=resident_b, person=worker)
    assert "grid_worker" not in who(everyone, policy.access_resident_change, resident_b)
    writes.resident_share(actor=None, resident=resident_b, person=worker, change=True)
    assert "grid_worker" in who(everyone, policy.access_resident_change, resident_b)


def test_grid_handover(everyone, grid_a, grid_b, community_a):
    # An integration holding community A, and a street administrator no longer active.
    integration = UserFactory(username="t_integration", role=Role.INTEGRATION)
    writes.region_staff_grant(actor=None, person=integration, region=community_a)
    left = UserFactory(username="t_admin_left", role=Role.STREET_ADMIN, is_active=False)
    everyone = {**everyone, "integration": integration, "left": left}

    own = STREET | {"community_cadre"} | SYSTEM
    assert who(everyone, policy.access_grid_handover, grid_a) == own
    assert who(everyone, policy.access_grid_handover, grid_b) == STREET | SYSTEM


def test_region_staff_grant(everyone, community_a):
    assert who(everyone, policy.access_region_staff_grant, community_a) == STREET | SYSTEM


# --- Visits ------------------------------------------------------------------------------------


def test_visit_record(everyone, resident_a):
    # Never the system: a visit has a visitor.
    assert who(everyone, policy.access_visit_record) == REGISTRY
    in_a = STREET | {"community_cadre"} | GRID_A
    assert who(everyone, policy.access_visit_record, resident_a.household) == in_a


def test_visit_need_set_status(everyone, grid_worker, resident_a):
    visit = writes.visit_record(
        findings="身体尚好，无异常",
        actor=grid_worker,
        resident=resident_a,
        visited_at=None,
        needs=[{"category": "meal"}],
    )
    need = visit.needs.get()
    in_a = STREET | {"community_cadre"} | GRID_A | SYSTEM
    assert who(everyone, policy.access_visit_need_set_status, need) == in_a


# --- What a list counts beside each row is what the reader may see -----------------------------


def test_building_list_counts_only_the_households_the_reader_sees(
    street_admin, grid_worker, grid_a, grid_b, building_a
):
    # Building A lies in grid A, but one of its flats is a household of grid B.
    HouseholdFactory(grid=grid_a, dwelling=Dwelling.objects.create(building=building_a, room="1"))
    HouseholdFactory(grid=grid_b, dwelling=Dwelling.objects.create(building=building_a, room="2"))

    def count(user):
        return selectors.building_overview_list(actor=user).get(pk=building_a.pk).household_count

    assert count(street_admin) == 2
    assert count(grid_worker) == 1
