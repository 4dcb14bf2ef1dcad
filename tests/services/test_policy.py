"""Every gate of services/ (services/<room>/policy.py), tested once with the named people of
tests/conftest.py: who is let through, who is refused.

Each table names, for every condition of the gate, someone refused by exactly that condition
(a partner's staff refused `submit` because they are not local staff, though the referral is in
their change scope; another partner's staff refused `accept` by the scope), so removing a
condition from a gate fails here. `None` is the system (a task, the demo loader): the tables say
where it may act. Pages and APIs are tested for what they show; here only who may act.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext

from portal.policy import allowed
from services.activities import policy as activities
from services.aid import policy as aid
from services.catalogue import policy as catalogue
from services.contracts import policy as contracts
from services.deliveries import policy as deliveries
from services.deliveries.models import MealImport
from services.models import Referral
from services.referrals import policy as referrals
from tests.grids.factories import HouseholdFactory
from tests.portal.factories import UserFactory
from tests.services.factories import (
    ActivityFactory,
    AidBundleLineFactory,
    AidCaseFactory,
    ContractFactory,
    MealItemFactory,
)

pytestmark = pytest.mark.django_db

Status = Referral.Status
SYSTEM = "system"  # actor None: a task, a management command, the demo loader


@pytest.fixture
def superuser(db):
    """A superuser has no role: the gates say where the street's work includes them."""
    return UserFactory(username="t_super", role="", is_superuser=True, full_name="超级管理员")


@pytest.fixture
def inactive_street_admin(db):
    return UserFactory(username="t_gone", role="street_admin", is_active=False)


@pytest.fixture
def person(request):
    """`person("grid_worker")` → that fixture's user; `person("system")` → None."""

    def get(name):
        return None if name == SYSTEM else request.getfixturevalue(name)

    return get


def assert_gate(person, gate, obj=None, *, allow, deny):
    """`gate` lets every name of `allow` act on `obj` and refuses every name of `deny`."""
    wrong = [f"{name} refused" for name in allow if not allowed(gate, person(name), obj)]
    wrong += [f"{name} let through" for name in deny if allowed(gate, person(name), obj)]
    assert not wrong, f"{gate.__name__}: " + ", ".join(wrong)


# --- Catalogue ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "gate",
    [
        catalogue.access_partner_create,
        catalogue.access_partner_staff_bind,
        catalogue.access_service_item_create,
        catalogue.access_service_item_update,
    ],
)
def test_the_street_and_the_system_keep_partners_and_the_catalogue(person, gate, partner_p):
    assert_gate(
        person,
        gate,
        partner_p,
        allow=[SYSTEM, "street_admin", "street_cadre"],
        deny=["grid_worker", "community_cadre", "partner_staff", "outsider"],
    )


def test_partner_pages_are_the_streets(person):
    assert_gate(
        person,
        catalogue.access_partner_list,
        allow=["street_admin", "street_cadre", "superuser"],
        deny=[SYSTEM, "inactive_street_admin", "community_cadre", "partner_staff", "outsider"],
    )


def test_the_catalogue_is_for_every_role_that_views_it(person):
    assert_gate(
        person,
        catalogue.access_service_item_list,
        allow=["street_cadre", "grid_worker", "community_cadre", "partner_staff"],
        deny=[SYSTEM, "party_officer", "outsider"],
    )


# --- Referrals ---------------------------------------------------------------------------------


def test_referral_list_needs_the_view_permission(person):
    assert_gate(
        person,
        referrals.access_referral_list,
        allow=["street_cadre", "grid_worker", "partner_staff"],
        deny=[SYSTEM, "party_officer", "outsider"],
    )


def test_referral_create_is_for_roles_that_raise_referrals(person):
    assert_gate(
        person,
        referrals.access_referral_create,
        allow=["street_admin", "community_cadre", "grid_worker"],
        deny=[SYSTEM, "partner_staff", "outsider"],
    )


@pytest.mark.parametrize(
    ("gate", "state"),
    [
        (referrals.access_referral_consent, Status.DRAFT),
        (referrals.access_referral_submit, Status.DRAFT),
        (referrals.access_referral_follow_up, Status.COMPLETED),
        (referrals.access_referral_close, Status.FOLLOWED_UP),
        (referrals.access_referral_cancel, Status.ASSIGNED),
    ],
)
def test_the_side_that_raised_it_or_the_street(person, gate, state, make_referral):
    """Partner staff have the referral in their change scope, and are still refused: the
    gate's local-staff line; other_grid_worker is a local staff member out of scope."""
    referral = make_referral(state)
    assert_gate(
        person,
        gate,
        referral,
        allow=["street_cadre", "grid_worker", "grid_leader", "community_cadre"],
        deny=[SYSTEM, "other_grid_worker", "partner_staff", "outsider"],
    )


@pytest.mark.parametrize(
    ("gate", "state"),
    [
        (referrals.access_referral_approve, Status.SUBMITTED),
        (referrals.access_referral_reject, Status.SUBMITTED),
        (referrals.access_referral_assign, Status.APPROVED),
    ],
)
def test_the_street_reviews_and_assigns(person, gate, state, make_referral):
    referral = make_referral(state)
    assert_gate(
        person,
        gate,
        referral,
        allow=["street_admin", "street_cadre"],
        deny=[SYSTEM, "grid_worker", "community_cadre", "partner_staff", "superuser"],
    )


@pytest.mark.parametrize(
    ("gate", "state"),
    [
        (referrals.access_referral_accept, Status.ASSIGNED),
        (referrals.access_referral_decline, Status.ASSIGNED),
        (referrals.access_referral_start, Status.ACCEPTED),
        (referrals.access_referral_complete, Status.IN_SERVICE),
    ],
)
def test_the_assigned_partner_serves(person, gate, state, make_referral):
    """The street has every referral in its change scope, and is still refused: the gate's
    partner-staff line; other_partner_staff is partner staff of another organisation."""
    referral = make_referral(state)
    assert_gate(
        person,
        gate,
        referral,
        allow=["partner_staff"],
        deny=[SYSTEM, "other_partner_staff", "street_admin", "grid_worker", "outsider"],
    )


def test_the_partner_gate_reads_the_referral_as_it_is_now(partner_staff, make_referral):
    """A copy read before the referral was declined still names partner P: the gate asks the
    database, so P's staff may no longer act on it."""
    stale = make_referral(Status.ASSIGNED)
    Referral.objects.filter(pk=stale.pk).update(status=Status.APPROVED, partner=None)

    assert not allowed(referrals.access_referral_accept, partner_staff, stale)


def test_escalation_is_the_deadline_tasks_or_the_streets(person, make_referral):
    referral = make_referral(Status.ASSIGNED)
    assert_gate(
        person,
        referrals.access_referral_escalate,
        referral,
        allow=[SYSTEM, "street_cadre"],
        deny=["grid_worker", "partner_staff", "outsider"],
    )


# --- Deliveries --------------------------------------------------------------------------------


def test_delivery_log_for_a_partner_one_acts_for(person, partner_p, partner_q):
    assert_gate(
        person,
        deliveries.access_delivery_log,
        partner_p,
        allow=["partner_staff", "street_cadre", "superuser"],
        deny=[SYSTEM, "inactive_street_admin", "other_partner_staff", "grid_worker", "outsider"],
    )
    assert_gate(
        person,
        deliveries.access_delivery_log,
        partner_q,
        allow=["street_admin", "other_partner_staff"],
        deny=["partner_staff"],
    )


@pytest.mark.parametrize(
    "gate", [deliveries.access_statement_close, deliveries.access_statement_adjust]
)
def test_closing_and_adjusting_statements_is_the_streets(person, gate, partner_p):
    assert_gate(
        person,
        gate,
        partner_p,
        allow=["street_admin", "street_cadre", "superuser"],
        deny=[
            SYSTEM,
            "inactive_street_admin",
            "partner_staff",
            "other_partner_staff",
            "community_cadre",
            "grid_worker",
            "outsider",
        ],
    )


def test_logging_on_a_referral_while_the_partner_serves(person, make_referral):
    serving = make_referral(Status.IN_SERVICE)
    assert_gate(
        person,
        deliveries.access_referral_delivery_log,
        serving,
        allow=["partner_staff", "street_cadre"],
        deny=[SYSTEM, "other_partner_staff", "grid_worker"],
    )
    completed = make_referral(Status.COMPLETED)
    # In service with no partner (the data says so; the page may not guess one for it).
    unassigned = make_referral(Status.IN_SERVICE, partner=None)
    assert_gate(
        person,
        deliveries.access_referral_delivery_log,
        completed,
        allow=[],
        deny=["partner_staff", "street_cadre"],
    )
    assert_gate(
        person, deliveries.access_referral_delivery_log, unassigned, allow=[], deny=["street_cadre"]
    )


def test_meal_import_upload_for_a_canteen_one_acts_for(person, partner_p, partner_q):
    assert_gate(
        person,
        deliveries.access_meal_import_create,
        allow=["partner_staff", "street_cadre"],
        deny=[SYSTEM, "grid_worker", "outsider"],
    )
    assert_gate(
        person,
        deliveries.access_meal_import_create,
        partner_q,
        allow=["other_partner_staff", "street_admin"],
        deny=["partner_staff"],
    )


@pytest.fixture
def checked(partner_p, partner_staff):
    """A canteen's meal log of partner P, checked and waiting to be imported."""
    return MealImport.objects.create(
        partner=partner_p,
        service_item=MealItemFactory(partners=[partner_p]),
        file="meal-imports/x.xlsx",
        original_name="x.xlsx",
        status=MealImport.Status.CHECKED,
        uploaded_by=partner_staff,
    )


def test_meal_import_commit_in_the_add_scope(person, checked):
    assert_gate(
        person,
        deliveries.access_meal_import_commit,
        checked,
        allow=["partner_staff", "street_cadre"],
        deny=[SYSTEM, "other_partner_staff", "grid_worker"],
    )


def test_a_refused_import_says_why(checked, grid_worker, other_partner_staff):
    """The refusal is the message the user reads (the API's 403 detail)."""
    with pytest.raises(PermissionDenied) as no_role:
        deliveries.access_meal_import_commit(grid_worker, checked)
    with pytest.raises(PermissionDenied) as not_theirs:
        deliveries.access_meal_import_commit(other_partner_staff, checked)

    assert str(no_role.value) == gettext("You may not import meal logs.")
    assert str(not_theirs.value) == gettext(
        "You may import meal logs only for your own organisation."
    )


def test_delivery_and_import_lists_need_their_view_permission(person):
    assert_gate(
        person,
        deliveries.access_delivery_list,
        allow=["grid_worker", "partner_staff", "street_cadre"],
        deny=[SYSTEM, "party_officer", "outsider"],
    )
    assert_gate(
        person,
        deliveries.access_meal_import_list,
        allow=["partner_staff", "street_cadre"],
        deny=[SYSTEM, "grid_worker", "outsider"],
    )


def test_a_statement_is_the_streets_and_the_partners_own(person, partner_p):
    assert_gate(
        person,
        deliveries.access_partner_statement,
        partner_p,
        allow=["street_cadre", "superuser", "partner_staff"],
        deny=[SYSTEM, "other_partner_staff", "grid_worker", "outsider"],
    )
    assert_gate(
        person,
        deliveries.access_partner_statement,
        allow=["partner_staff", "other_partner_staff"],
        deny=["grid_worker"],
    )


# --- Contracts ---------------------------------------------------------------------------------


@pytest.fixture
def contract_p(resident_a, partner_p):
    return ContractFactory(resident=resident_a, partner=partner_p)


def test_signing_is_for_the_street_and_clinics(person):
    """The superuser holds every permission but is neither: the gate's role line; a street
    administrator whose account was closed holds no permission: the gate's permission line."""
    assert_gate(
        person,
        contracts.access_family_doctor_contract_sign,
        allow=["street_admin", "partner_staff"],
        deny=[
            SYSTEM,
            "inactive_street_admin",
            "grid_worker",
            "community_cadre",
            "superuser",
            "outsider",
        ],
    )


@pytest.mark.parametrize(
    "gate",
    [contracts.access_family_doctor_contract_renew, contracts.access_family_doctor_contract_lapse],
)
def test_renew_and_lapse_in_the_change_scope(person, gate, contract_p):
    assert_gate(
        person,
        gate,
        contract_p,
        allow=["street_cadre", "partner_staff"],
        deny=["other_partner_staff", "grid_worker", "outsider"],
    )


def test_only_the_system_lapses_without_a_person_and_only_lapses(contract_p):
    assert allowed(contracts.access_family_doctor_contract_lapse, None, contract_p)
    assert not allowed(contracts.access_family_doctor_contract_renew, None, contract_p)


def test_switching_clinics_is_the_streets(person, contract_p):
    assert_gate(
        person,
        contracts.access_family_doctor_contract_switch,
        contract_p,
        allow=["street_admin"],
        deny=[SYSTEM, "partner_staff", "grid_worker"],
    )


@pytest.mark.parametrize(
    "gate",
    [
        contracts.access_family_doctor_contracts_lapse_expired,
        contracts.access_family_doctor_contract_reminders_send,
        contracts.access_family_doctor_contracts_daily,
    ],
)
def test_the_daily_run_is_the_systems(person, gate):
    assert_gate(person, gate, allow=[SYSTEM], deny=["street_admin", "superuser"])


def test_contract_list_needs_the_view_permission(person):
    assert_gate(
        person,
        contracts.access_family_doctor_contract_list,
        allow=["grid_worker", "partner_staff", "street_cadre"],
        deny=[SYSTEM, "party_officer", "outsider"],
    )


# --- Aid ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "gate",
    [aid.access_funder_create, aid.access_aid_bundle_create, aid.access_aid_bundle_line_add],
)
def test_funders_and_bundles_are_the_streets(person, gate):
    assert_gate(
        person,
        gate,
        allow=["street_admin", "street_cadre"],
        deny=[SYSTEM, "community_cadre", "grid_worker", "partner_staff"],
    )


def test_aid_cases_are_opened_by_the_street_and_community_cadres(person):
    assert_gate(
        person,
        aid.access_aid_case_open,
        allow=["street_cadre", "community_cadre"],
        deny=[SYSTEM, "grid_worker", "partner_staff"],
    )


@pytest.fixture
def case_a(grid_a):
    return AidCaseFactory(household=HouseholdFactory(grid=grid_a))


@pytest.mark.parametrize("gate", [aid.access_aid_case_close, aid.access_aid_case_cancel])
def test_a_case_is_closed_or_cancelled_in_the_change_scope(person, gate, case_a):
    assert_gate(
        person,
        gate,
        case_a,
        allow=["street_cadre", "community_cadre"],
        deny=[SYSTEM, "other_community_cadre", "grid_worker", "partner_staff"],
    )


def test_paying_is_the_streets(person, case_a):
    """Only the street holds the add permission and it sees every case, so the gate's scope
    line (a case the payer sees) refuses no named person today; it stays as a backstop."""
    AidBundleLineFactory(bundle=case_a.bundle)
    assert_gate(
        person,
        aid.access_disbursement_record,
        case_a,
        allow=["street_admin", "street_cadre"],
        deny=[SYSTEM, "community_cadre", "grid_worker"],
    )


def test_aid_lists_need_their_view_permission(person):
    for gate in (aid.access_aid_bundle_list, aid.access_aid_case_list):
        assert_gate(
            person,
            gate,
            allow=["street_cadre", "community_cadre", "grid_worker"],
            deny=[SYSTEM, "partner_staff", "outsider"],
        )


# --- Activities --------------------------------------------------------------------------------


def test_recording_an_activity_needs_the_add_permission(person):
    assert_gate(
        person,
        activities.access_activity_record,
        allow=["street_cadre", "community_cadre", "grid_worker", "partner_staff"],
        deny=[SYSTEM, "party_officer", "outsider"],
    )


@pytest.mark.parametrize(
    "gate", [activities.access_activity_update, activities.access_activity_attendees_set]
)
def test_an_activity_is_changed_in_the_change_scope(person, gate, community_a):
    activity = ActivityFactory(community=community_a, starts_at=timezone.now() - timedelta(days=1))
    assert_gate(
        person,
        gate,
        activity,
        allow=["street_cadre", "community_cadre", "grid_worker"],
        deny=[SYSTEM, "other_grid_worker", "partner_staff", "outsider"],
    )


def test_partner_staff_count_attendees_rather_than_name_them(person):
    assert_gate(
        person,
        activities.access_activity_attendees_name,
        allow=["street_cadre", "grid_worker"],
        deny=[SYSTEM, "partner_staff"],
    )


def test_activity_list_needs_the_view_permission(person):
    assert_gate(
        person,
        activities.access_activity_list,
        allow=["grid_worker", "partner_staff"],
        deny=[SYSTEM, "party_officer", "outsider"],
    )
