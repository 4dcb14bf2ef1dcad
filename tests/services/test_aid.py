"""Bundled aid (包裹式专项资助): who sees what, double funding both ways, payments, totals.

street ── community A ── grid A (grid_leader, grid_worker) ── household A (resident_a) ── case A
       └─ community B ── grid B (other_grid_worker)          ── household B (resident_b) ── case B

The bundle used throughout pays living costs (民政局, 1200) and education (慈善总会, 800).
"""

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from portal.models import AuditEvent, Notification
from services.aid import selectors
from services.aid import writes as aid_services
from services.models import AidBundle, AidCase, AidItem, Disbursement, Funder
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.helpers import Call, assert_access_matrix, assert_constant_queries, login, page_call
from tests.services.factories import (
    AidCaseFactory,
    DisbursementFactory,
    FunderFactory,
    bundle_with_lines,
)

pytestmark = pytest.mark.django_db

LIVING, EDUCATION, MEDICAL, HEATING = (
    AidItem.LIVING,
    AidItem.EDUCATION,
    AidItem.MEDICAL,
    AidItem.HEATING,
)
Status = AidCase.Status


@pytest.fixture
def firm(db):
    return FunderFactory(name="南滨爱心企业", kind=Funder.Kind.ENTERPRISE)


@pytest.fixture
def household_a(resident_a):
    return resident_a.household


@pytest.fixture
def household_b(resident_b):
    return resident_b.household


@pytest.fixture
def case_a(bundle, household_a, community_cadre):
    return AidCaseFactory(household=household_a, bundle=bundle, created_by=community_cadre)


@pytest.fixture
def case_b(bundle, household_b):
    return AidCaseFactory(household=household_b, bundle=bundle)


def living_line(bundle):
    return bundle.lines.get(item=LIVING)


def flagged(*cases):
    """The `double_funded` column of the list, for these cases."""
    rows = AidCase.objects.filter(pk__in=[c.pk for c in cases]).annotate(
        double_funded=selectors.double_funded_expression()
    )
    return {row.pk: row.double_funded for row in rows}


def u(name, *args):
    return reverse(name, args=args)


# --- Who sees what: the API ---------------------------------------------------------------------


def test_api_cases_matrix(request, case_a, case_b, bundle, household_a, street_admin):
    actions = {
        "list": Call("get", u("aidcase-list")),
        "mine": Call("get", u("aidcase-detail", case_a.pk)),
        "theirs": Call("get", u("aidcase-detail", case_b.pk)),
        "create": Call(
            "post", u("aidcase-list"), {"household": household_a.pk, "bundle": bundle.pk}
        ),
        "close": Call("post", u("aidcase-close", case_a.pk), {}),
        "disburse": Call(
            "post",
            u("aidcase-disburse", case_a.pk),
            {"line": living_line(bundle).pk, "amount": "100.00", "paid_on": "2025-02-01"},
        ),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  mine  theirs  create  close  disburse
        street_admin       200   200   200     201     200    201
        street_cadre       200   200   200     201     200    201
        # The community applies for and closes its households' aid; only the street pays.
        community_cadre    200   200   404     201     200    403
        grid_leader        200   200   404     403     403    403
        grid_worker        200   200   404     403     403    403
        other_grid_worker  200   404   200     403     404    404
        partner_staff      403   404   404     403     404    404
        party_officer      403   404   404     403     404    404
        outsider           403   404   404     403     404    404
        anonymous          401   401   401     401     401    401
        """,
    )


def test_api_bundles_and_funders_matrix(request, bundle, civil):
    actions = {
        "bundles": Call("get", u("aidbundle-list")),
        "bundle": Call("get", u("aidbundle-detail", bundle.pk)),
        "new_bundle": Call(
            "post",
            u("aidbundle-list"),
            {
                "name": "新包",
                "period_start": "2025-01-01",
                "period_end": "2025-12-31",
                "lines": [{"item": MEDICAL, "amount": "500.00", "funder": civil.pk}],
            },
        ),
        "add_line": Call(
            "post",
            u("aidbundle-lines", bundle.pk),
            {"item": MEDICAL, "amount": "300", "funder": civil.pk},
        ),
        "totals": Call("get", u("aidbundle-totals")),
        "funders": Call("get", u("funder-list")),
        "funder": Call("get", u("funder-detail", civil.pk)),
        "new_funder": Call("post", u("funder-list"), {"name": "新资助方", "kind": "other"}),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           bundles  bundle  new_bundle  add_line  totals  funders  funder  new_funder
        street_admin       200      200     201         201       200     200      200     201
        street_cadre       200      200     201         201       200     200      200     201
        community_cadre    200      200     403         403       200     200      200     403
        grid_leader        200      200     403         403       200     200      200     403
        grid_worker        200      200     403         403       200     200      200     403
        other_grid_worker  200      200     403         403       200     200      200     403
        partner_staff      403      404     403         404       403     403      404     403
        party_officer      403      404     403         404       403     403      404     403
        outsider           403      404     403         404       403     403      404     403
        anonymous          401      401     401         401       401     401      401     401
        """,
    )


def test_lists_hold_only_the_cases_in_scope(
    case_a, case_b, grid_worker, other_grid_worker, community_cadre, street_admin, api_client_for
):
    def ids(user):
        return [row["id"] for row in api_client_for(user).get(u("aidcase-list")).json()["results"]]

    assert ids(grid_worker) == [case_a.pk]
    assert ids(community_cadre) == [case_a.pk]
    assert ids(other_grid_worker) == [case_b.pk]
    assert sorted(ids(street_admin)) == sorted([case_a.pk, case_b.pk])


def test_a_filter_on_a_household_out_of_scope_is_refused(
    case_a, case_b, household_b, grid_worker, api_client_for
):
    response = api_client_for(grid_worker).get(u("aidcase-list"), {"household": household_b.pk})
    assert response.status_code == 400
    assert "household" in response.json()


# --- Who sees what: the pages ----------------------------------------------------------------


def test_pages_matrix(request, case_a, case_b, bundle, household_a):
    actions = {
        "cases": Call("get", u("services:aid-case-list")),
        "mine": Call("get", u("services:aid-case-detail", case_a.pk)),
        "theirs": Call("get", u("services:aid-case-detail", case_b.pk)),
        "open": Call("get", u("services:aid-case-create") + f"?household={household_a.pk}"),
        "bundles": Call("get", u("services:aid-bundle-list")),
        "bundle": Call("get", u("services:aid-bundle-detail", bundle.pk)),
        "new_bundle": Call("get", u("services:aid-bundle-create")),
        "totals": Call("get", u("services:aid-totals")),
        "disburse": Call(
            "post",
            u("services:aid-case-disburse", case_a.pk),
            {
                "pay-line": living_line(bundle).pk,
                "pay-amount": "100",
                "pay-paid_on": "2025-02-01",
            },
        ),
        "close": Call("post", u("services:aid-case-close", case_a.pk), {"note": "期满"}),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           cases  mine  theirs  open  bundles  bundle  new_bundle  totals  disburse  close
        street_admin       200    200   200     200   200      200     200         200     302       302
        street_cadre       200    200   200     200   200      200     200         200     302       302
        community_cadre    200    200   404     200   200      200     403         200     403       302
        grid_leader        200    200   404     403   200      200     403         200     403       403
        grid_worker        200    200   404     403   200      200     403         200     403       403
        other_grid_worker  200    404   200     403   200      200     403         200     404       404
        partner_staff      403    404   404     403   403      404     403         403     404       404
        party_officer      403    404   404     403   403      404     403         403     404       404
        outsider           403    404   404     403   403      404     403         403     404       404
        anonymous          302    302   302     302   302      302     302         302     302       302
        """,
        perform=page_call,
    )


def test_open_case_page_for_a_household_out_of_scope_is_404(client, community_cadre, household_b):
    login(client, community_cadre)
    response = client.get(u("services:aid-case-create") + f"?household={household_b.pk}")
    assert response.status_code == 404


# --- Double funding ---------------------------------------------------------------------------


def test_an_item_twice_in_one_bundle_flags_its_cases(civil, charity, household_a, street_admin):
    shared = bundle_with_lines((LIVING, "600", civil), (LIVING, "400", charity), name="重复包")
    case = AidCaseFactory(household=household_a, bundle=shared)
    assert flagged(case) == {case.pk: True}
    [conflict] = selectors.aid_double_funding(actor=street_admin, household=household_a)
    assert conflict.kind == "same_bundle"
    assert conflict.case == case
    assert conflict.item == LIVING
    assert conflict.other_case is None
    assert len(conflict.lines) == 2
    assert conflict.funders == sorted([civil, charity], key=lambda f: f.name)


def test_an_item_twice_from_the_same_funder_is_double_funding_too(civil, household_a):
    shared = bundle_with_lines((MEDICAL, "600", civil), (MEDICAL, "600", civil))
    case = AidCaseFactory(household=household_a, bundle=shared)
    assert flagged(case) == {case.pk: True}


def test_two_open_overlapping_cases_sharing_an_item_flag_each_other(
    bundle, civil, firm, household_a, street_admin
):
    medical = bundle_with_lines((LIVING, "500", firm), (MEDICAL, "900", civil), name="医疗包")
    first = AidCaseFactory(
        household=household_a,
        bundle=bundle,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 6, 30),
    )
    second = AidCaseFactory(
        household=household_a,
        bundle=medical,
        period_start=date(2025, 4, 1),
        period_end=date(2025, 12, 31),
    )
    assert flagged(first, second) == {first.pk: True, second.pk: True}
    conflicts = selectors.aid_double_funding(actor=street_admin, household=household_a)
    assert {(c.case.pk, c.other_case.pk, c.item) for c in conflicts} == {
        (first.pk, second.pk, LIVING),
        (second.pk, first.pk, LIVING),
    }
    conflict = next(c for c in conflicts if c.case == first)
    assert (conflict.period_start, conflict.period_end) == (date(2025, 4, 1), date(2025, 6, 30))
    assert [f.name for f in conflict.funders] == sorted([civil.name, firm.name])
    assert conflict.as_dict()["other_case"] == second.pk


def test_the_same_bundle_twice_for_one_household_is_double_funding(bundle, household_a):
    first = AidCaseFactory(household=household_a, bundle=bundle)
    second = AidCaseFactory(household=household_a, bundle=bundle)
    assert flagged(first, second) == {first.pk: True, second.pk: True}


@pytest.mark.parametrize(
    "situation", ["periods_apart", "other_items", "other_household", "cancelled"]
)
def test_no_false_flag(situation, bundle, civil, firm, household_a, street_admin):
    """Back-to-back periods, different items, another household, or a cancelled case."""
    other_bundle = (
        bundle_with_lines((MEDICAL, "900", civil), name="医疗包")
        if situation == "other_items"
        else bundle_with_lines((LIVING, "500", firm), name="生活包")
    )
    first = AidCaseFactory(
        household=household_a,
        bundle=bundle,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 6, 30),
    )
    second = AidCaseFactory(
        household=HouseholdFactory(grid=household_a.grid)
        if situation == "other_household"
        else household_a,
        bundle=other_bundle,
        period_start=date(2025, 7, 1) if situation == "periods_apart" else date(2025, 3, 1),
        period_end=date(2025, 12, 31),
        status=Status.CANCELLED if situation == "cancelled" else Status.OPEN,
    )
    assert flagged(first, second) == {first.pk: False, second.pk: False}
    assert selectors.aid_double_funding(actor=street_admin) == []


def test_a_closed_case_still_counts_for_its_period(bundle, firm, household_a, street_admin):
    """Closed means paid and done, not undone: living costs for the same months twice."""
    paid = AidCaseFactory(
        household=household_a,
        bundle=bundle,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 6, 30),
        status=Status.CLOSED,
    )
    again = AidCaseFactory(
        household=household_a,
        bundle=bundle_with_lines((LIVING, "500", firm), name="生活包"),
        period_start=date(2025, 3, 1),
        period_end=date(2025, 12, 31),
    )
    assert flagged(paid, again) == {paid.pk: True, again.pk: True}
    conflicts = selectors.aid_double_funding(actor=street_admin, cases=[again])
    assert [(c.case.pk, c.item) for c in conflicts] == [(again.pk, LIVING)]


def test_opening_a_case_that_double_funds_is_allowed_and_recorded(
    bundle, civil, household_a, community_cadre
):
    first = aid_services.aid_case_open(actor=community_cadre, household=household_a, bundle=bundle)
    assert first.double_funding == []
    other = bundle_with_lines((EDUCATION, "300", civil), name="学费包")
    second = aid_services.aid_case_open(
        actor=community_cadre,
        household=household_a,
        bundle=other,
        period_start=date(2025, 9, 1),
        period_end=date(2025, 12, 31),
    )
    assert second.status == Status.OPEN
    assert [(c.case.pk, c.other_case.pk, c.item) for c in second.double_funding] == [
        (second.pk, first.pk, EDUCATION)
    ]
    event = AuditEvent.objects.get(action="aid_case.open", object_id=str(second.pk))
    assert event.details["double_funding"][0]["other_case"] == first.pk
    assert event.actor == community_cadre


def test_api_shows_the_warning_and_filters_on_it(
    bundle, civil, household_a, household_b, community_cadre, street_admin, api_client_for
):
    quiet = AidCaseFactory(household=household_b, bundle=bundle)
    AidCaseFactory(household=household_a, bundle=bundle, period_end=date(2025, 3, 31))
    response = api_client_for(community_cadre).post(
        u("aidcase-list"),
        {"household": household_a.pk, "bundle": bundle.pk, "period_start": "2025-03-01"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["double_funded"] is True
    assert {w["item"] for w in body["double_funding"]} == {LIVING, EDUCATION}
    assert body["double_funding"][0]["period_end"] == "2025-03-31"

    street = api_client_for(street_admin)
    flagged_rows = street.get(u("aidcase-list"), {"double_funded": "true"}).json()["results"]
    assert quiet.pk not in [row["id"] for row in flagged_rows]
    assert len(flagged_rows) == 2
    clean_rows = street.get(u("aidcase-list"), {"double_funded": "false"}).json()["results"]
    assert [row["id"] for row in clean_rows] == [quiet.pk]
    assert clean_rows[0]["double_funding"] == []


def test_pages_show_the_red_flag(bundle, household_a, household_b, client, street_admin):
    quiet = AidCaseFactory(household=household_b, bundle=bundle)
    first = AidCaseFactory(household=household_a, bundle=bundle)
    AidCaseFactory(household=household_a, bundle=bundle)
    login(client, street_admin)
    page = client.get(u("services:aid-case-list")).content.decode()
    assert page.count('data-testid="double-funded"') == 2
    only = client.get(u("services:aid-case-list"), {"double_funded": "on"})
    assert quiet.household.number not in only.content.decode()
    detail = client.get(u("services:aid-case-detail", first.pk)).content.decode()
    assert 'data-testid="double-funding"' in detail
    assert (
        'data-testid="double-funding"'
        not in client.get(u("services:aid-case-detail", quiet.pk)).content.decode()
    )


def test_open_case_page_warns_but_opens(bundle, household_a, client, community_cadre):
    AidCaseFactory(household=household_a, bundle=bundle)
    login(client, community_cadre)
    response = client.post(
        u("services:aid-case-create") + f"?household={household_a.pk}",
        {"bundle": bundle.pk, "household": household_a.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert AidCase.objects.filter(household=household_a).count() == 2
    body = response.content.decode()
    assert "alert-warning" in body
    assert 'data-testid="double-funding"' in body


# --- Cases: opening and the state changes ------------------------------------------------------


def test_case_period_defaults_to_the_bundle_and_stays_within_it(
    bundle, household_a, community_cadre
):
    case = aid_services.aid_case_open(actor=community_cadre, household=household_a, bundle=bundle)
    assert (case.period_start, case.period_end) == (bundle.period_start, bundle.period_end)
    with pytest.raises(ValidationError) as outside:
        aid_services.aid_case_open(
            actor=community_cadre,
            household=household_a,
            bundle=bundle,
            period_start=date(2024, 12, 1),
            period_end=date(2026, 1, 31),
        )
    assert set(outside.value.message_dict) == {"period_start", "period_end"}


def test_open_refuses_a_household_out_of_scope_and_a_stranger(
    bundle, household_a, household_b, resident_b, community_cadre, grid_worker
):
    with pytest.raises(ValidationError) as out:
        aid_services.aid_case_open(actor=community_cadre, household=household_b, bundle=bundle)
    assert "household" in out.value.message_dict
    with pytest.raises(PermissionDenied):
        aid_services.aid_case_open(actor=grid_worker, household=household_a, bundle=bundle)
    assert not AidCase.objects.exists()


def test_close_and_cancel(bundle, household_a, case_a, community_cadre, street_admin):
    closed = aid_services.aid_case_close(actor=community_cadre, case=case_a, note="期满")
    assert closed.status == Status.CLOSED
    assert "期满" in closed.note
    with pytest.raises(aid_services.AidCaseConflict):
        aid_services.aid_case_cancel(actor=street_admin, case=case_a, reason="重复")
    other = AidCaseFactory(household=household_a, bundle=bundle)
    with pytest.raises(ValidationError) as no_reason:
        aid_services.aid_case_cancel(actor=street_admin, case=other, reason=" ")
    assert "reason" in no_reason.value.message_dict
    DisbursementFactory(case=other, line=living_line(bundle))
    with pytest.raises(ValidationError):
        aid_services.aid_case_cancel(actor=street_admin, case=other, reason="错开")
    assert AuditEvent.objects.filter(action="aid_case.close", object_id=str(case_a.pk)).exists()


def test_api_conflict_is_409_and_cancel_needs_a_reason(case_a, street_admin, api_client_for):
    client = api_client_for(street_admin)
    no_reason = client.post(u("aidcase-cancel", case_a.pk), {}, format="json")
    assert no_reason.status_code == 400
    assert list(no_reason.json()) == ["reason"]
    assert client.post(u("aidcase-close", case_a.pk), {}, format="json").status_code == 200
    response = client.post(u("aidcase-close", case_a.pk), {}, format="json")
    assert response.status_code == 409
    assert "detail" in response.json()


# --- Disbursements ------------------------------------------------------------------------------


def test_payments_never_exceed_the_line(bundle, case_a, street_admin):
    line = living_line(bundle)  # 1200

    def pay(amount):
        return aid_services.disbursement_record(
            actor=street_admin,
            case=case_a,
            line=line,
            amount=Decimal(amount),
            paid_on=date(2025, 3, 1),
        )

    pay("1000")
    with pytest.raises(ValidationError) as over:
        pay("200.01")
    assert list(over.value.message_dict) == ["amount"]
    assert "199.99" not in over.value.messages[0]  # the message names what is left: 200.00
    assert "200.00" in over.value.messages[0]
    pay("200")
    with pytest.raises(ValidationError):
        pay("0.01")
    assert Disbursement.objects.filter(case=case_a).count() == 2
    assert AuditEvent.objects.filter(action="disbursement.record").count() == 2


def test_each_case_has_its_own_line_budget(bundle, case_a, case_b, street_admin):
    line = living_line(bundle)
    for case in (case_a, case_b):
        aid_services.disbursement_record(
            actor=street_admin,
            case=case,
            line=line,
            amount=Decimal("1200"),
            paid_on=date(2025, 3, 1),
        )
    assert Disbursement.objects.count() == 2


def test_payment_refused_for_a_line_of_another_bundle_or_a_cancelled_case(
    bundle, case_a, civil, street_admin, household_a
):
    stranger = bundle_with_lines((LIVING, "5000", civil), name="他包").lines.get()
    with pytest.raises(ValidationError) as wrong_line:
        aid_services.disbursement_record(
            actor=street_admin,
            case=case_a,
            line=stranger,
            amount=Decimal("10"),
            paid_on=date(2025, 3, 1),
        )
    assert "line" in wrong_line.value.message_dict
    cancelled = AidCaseFactory(household=household_a, bundle=bundle, status=Status.CANCELLED)
    with pytest.raises(ValidationError) as cancelled_error:
        aid_services.disbursement_record(
            actor=street_admin,
            case=cancelled,
            line=living_line(bundle),
            amount=Decimal("10"),
            paid_on=date(2025, 3, 1),
        )
    assert "case" in cancelled_error.value.message_dict
    assert not Disbursement.objects.exists()


def test_only_the_street_pays_and_the_applicant_hears_of_it(
    bundle, case_a, community_cadre, street_admin
):
    with pytest.raises(PermissionDenied):
        aid_services.disbursement_record(
            actor=community_cadre,
            case=case_a,
            line=living_line(bundle),
            amount=Decimal("10"),
            paid_on=date(2025, 3, 1),
        )
    aid_services.disbursement_record(
        actor=street_admin,
        case=case_a,
        line=living_line(bundle),
        amount=Decimal("10"),
        paid_on=date(2025, 3, 1),
    )
    assert Notification.objects.filter(recipient=community_cadre).count() == 1


def test_api_payment_errors_are_400_with_fields(
    bundle, case_a, civil, street_admin, api_client_for
):
    client = api_client_for(street_admin)
    url = u("aidcase-disburse", case_a.pk)
    line = living_line(bundle).pk
    over = client.post(
        url, {"line": line, "amount": "1200.01", "paid_on": "2025-03-01"}, format="json"
    )
    assert over.status_code == 400
    assert list(over.json()) == ["amount"]
    stranger = bundle_with_lines((LIVING, "5000", civil), name="他包").lines.get().pk
    wrong = client.post(
        url, {"line": stranger, "amount": "1", "paid_on": "2025-03-01"}, format="json"
    )
    assert wrong.status_code == 400
    assert list(wrong.json()) == ["line"]
    bad = client.post(url, {"line": line, "amount": "0", "paid_on": "soon"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"amount", "paid_on"}
    ok = client.post(url, {"line": line, "amount": "1200", "paid_on": "2025-03-01"}, format="json")
    assert ok.status_code == 201, ok.content
    case = client.get(u("aidcase-detail", case_a.pk)).json()
    assert case["disbursed"] == "1200.00"
    assert {row["item"]: row["remaining"] for row in case["lines"]} == {
        LIVING: "0.00",
        EDUCATION: "800.00",
    }


def test_disburse_page_shows_the_error_on_the_amount(bundle, case_a, client, street_admin):
    login(client, street_admin)
    response = client.post(
        u("services:aid-case-disburse", case_a.pk),
        {"pay-line": living_line(bundle).pk, "pay-amount": "5000", "pay-paid_on": "2025-03-01"},
    )
    assert response.status_code == 400
    assert 'data-testid="error-amount"' in response.content.decode()
    assert not Disbursement.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_payments_at_once_cannot_overdraw_a_line(civil):
    """Two clerks pay 700 on a 1200 line at the same moment: the case lock lets one through."""
    from portal.roles import Role
    from tests.grids.factories import GridFactory
    from tests.portal.factories import UserFactory

    clerks = [UserFactory(username=f"t_pay{n}", role=Role.STREET_ADMIN) for n in range(2)]
    bundle = bundle_with_lines((LIVING, "1200", civil))
    case = AidCaseFactory(household=HouseholdFactory(grid=GridFactory()), bundle=bundle)
    line = bundle.lines.get()
    barrier = threading.Barrier(2)
    results = []

    def pay(user):
        try:
            barrier.wait(timeout=10)
            aid_services.disbursement_record(
                actor=user, case=case, line=line, amount=Decimal("700"), paid_on=date(2025, 3, 1)
            )
            results.append("paid")
        except ValidationError as exc:
            results.append("refused" if "amount" in exc.message_dict else repr(exc))
        except Exception as exc:
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(user,)) for user in clerks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["paid", "refused"]
    assert Disbursement.objects.filter(case=case).count() == 1


# --- Bundles --------------------------------------------------------------------------------------


def test_bundle_needs_a_line_and_valid_lines(civil, street_admin):
    with pytest.raises(ValidationError) as empty:
        aid_services.aid_bundle_create(
            actor=street_admin,
            name="空包",
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            lines=[],
        )
    assert "lines" in empty.value.message_dict
    with pytest.raises(ValidationError) as backwards:
        aid_services.aid_bundle_create(
            actor=street_admin,
            name="倒包",
            period_start=date(2025, 12, 31),
            period_end=date(2025, 1, 1),
            lines=[{"item": LIVING, "amount": Decimal("0"), "funder": civil}],
        )
    assert set(backwards.value.message_dict) == {"period_end", "lines"}
    assert not AidBundle.objects.exists()


def test_bundle_create_and_add_line(civil, charity, street_admin, community_cadre):
    bundle = aid_services.aid_bundle_create(
        actor=street_admin,
        name="综合包",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        lines=[
            {"item": LIVING, "amount": Decimal("1000"), "funder": civil},
            {"item": MEDICAL, "amount": Decimal("500"), "funder": charity},
        ],
    )
    assert bundle.lines.count() == 2
    with pytest.raises(PermissionDenied):
        aid_services.aid_bundle_line_add(
            actor=community_cadre, bundle=bundle, item=EDUCATION, amount=Decimal("1"), funder=civil
        )
    aid_services.aid_bundle_line_add(
        actor=street_admin, bundle=bundle, item=EDUCATION, amount=Decimal("300"), funder=civil
    )
    assert bundle.lines.count() == 3
    assert AuditEvent.objects.filter(action__startswith="aid_bundle.").count() == 2


def test_api_bundle_errors_are_400_with_fields(civil, street_admin, api_client_for):
    client = api_client_for(street_admin)
    base = {"name": "包", "period_start": "2025-01-01", "period_end": "2025-12-31"}
    empty = client.post(u("aidbundle-list"), {**base, "lines": []}, format="json")
    assert empty.status_code == 400
    assert list(empty.json()) == ["lines"]
    zero = client.post(
        u("aidbundle-list"),
        {**base, "lines": [{"item": LIVING, "amount": "0", "funder": civil.pk}]},
        format="json",
    )
    assert zero.status_code == 400
    assert "amount" in zero.json()["lines"]["0"]  # DRF keys a list's errors by position
    backwards = client.post(
        u("aidbundle-list"),
        {
            **base,
            "period_end": "2024-01-01",
            "lines": [{"item": LIVING, "amount": "10", "funder": civil.pk}],
        },
        format="json",
    )
    assert backwards.status_code == 400
    assert list(backwards.json()) == ["period_end"]
    created = client.post(
        u("aidbundle-list"),
        {
            **base,
            "lines": [
                {"item": LIVING, "amount": "10", "funder": civil.pk},
                {"item": LIVING, "amount": "20", "funder": civil.pk},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["repeated_items"] == [LIVING]
    assert len(created.json()["lines"]) == 2


def test_api_case_errors_are_400_with_fields(
    bundle, household_a, household_b, resident_b, community_cadre, api_client_for
):
    client = api_client_for(community_cadre)
    outside = client.post(
        u("aidcase-list"),
        {"household": household_a.pk, "bundle": bundle.pk, "period_start": "2024-06-01"},
        format="json",
    )
    assert outside.status_code == 400
    assert list(outside.json()) == ["period_start"]
    out_of_scope = client.post(
        u("aidcase-list"), {"household": household_b.pk, "bundle": bundle.pk}, format="json"
    )
    assert out_of_scope.status_code == 400
    assert list(out_of_scope.json()) == ["household"]
    stranger = ResidentFactory(household=HouseholdFactory(grid=household_a.grid))
    wrong_member = client.post(
        u("aidcase-list"),
        {"household": household_a.pk, "bundle": bundle.pk, "beneficiary": stranger.pk},
        format="json",
    )
    assert wrong_member.status_code == 400
    assert list(wrong_member.json()) == ["beneficiary"]
    assert not AidCase.objects.exists()


def test_bundle_create_page_with_lines(civil, charity, client, street_admin):
    login(client, street_admin)
    data = {
        "name": "春节慰问包",
        "description": "",
        "period_start": "2025-01-01",
        "period_end": "2025-02-28",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "20",
        "lines-0-item": LIVING,
        "lines-0-amount": "500",
        "lines-0-funder": civil.pk,
        "lines-1-item": HEATING,
        "lines-1-amount": "200",
        "lines-1-funder": charity.pk,
        "lines-2-item": "",
        "lines-2-amount": "",
        "lines-2-funder": "",
    }
    response = client.post(u("services:aid-bundle-create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    bundle = AidBundle.objects.get(name="春节慰问包")
    assert sorted(bundle.lines.values_list("item", flat=True)) == sorted([LIVING, HEATING])
    empty = client.post(
        u("services:aid-bundle-create"),
        {**data, "name": "空包", "lines-0-item": "", "lines-0-amount": "", "lines-0-funder": "",
         "lines-1-item": "", "lines-1-amount": "", "lines-1-funder": ""},
    )  # fmt: skip
    assert empty.status_code == 400
    assert 'data-testid="error-lines"' in empty.content.decode()


# --- Totals ---------------------------------------------------------------------------------------


@pytest.fixture
def ledger(bundle, civil, charity, firm, household_a, household_b, grid_a):
    """Two bundles, cases open, closed and cancelled in both grids, and some payments."""
    medical = bundle_with_lines(
        (MEDICAL, "900", civil), (LIVING, "300", firm), name="医疗包", period_start=date(2025, 7, 1)
    )
    other_a = HouseholdFactory(grid=grid_a)
    cases = {
        "a_open": AidCaseFactory(household=household_a, bundle=bundle),
        "b_open": AidCaseFactory(household=household_b, bundle=bundle),
        "a_closed": AidCaseFactory(household=other_a, bundle=medical, status=Status.CLOSED),
        "b_medical": AidCaseFactory(household=household_b, bundle=medical),
        "a_cancelled": AidCaseFactory(household=other_a, bundle=bundle, status=Status.CANCELLED),
    }
    pays = [
        ("a_open", bundle, LIVING, "600"),
        ("a_open", bundle, EDUCATION, "800"),
        ("b_open", bundle, LIVING, "1200"),
        ("a_closed", medical, MEDICAL, "450"),
        ("a_closed", medical, LIVING, "300"),
    ]
    for key, which, item, amount in pays:
        DisbursementFactory(
            case=cases[key], line=which.lines.get(item=item), amount=Decimal(amount)
        )
    return cases


def expected_totals(cases):
    """The totals computed the slow way, row by row, from the cases given."""
    funders, bundles = {}, {}
    for case in cases:
        if case.status == Status.CANCELLED:
            continue
        b = bundles.setdefault(case.bundle.name, [0, Decimal(0), Decimal(0)])
        b[0] += 1
        for line in case.bundle.lines.all():
            f = funders.setdefault(line.funder.name, [Decimal(0), Decimal(0)])
            f[0] += line.amount
            b[1] += line.amount
        for d in case.disbursements.all():
            funders[d.line.funder.name][1] += d.amount
            b[2] += d.amount
    return funders, bundles


def as_tables(totals):
    funders = {r.funder.name: [r.committed, r.disbursed] for r in totals.funders}
    bundles = {r.bundle.name: [r.cases, r.committed, r.disbursed] for r in totals.bundles}
    return funders, bundles


def test_totals_reconcile_with_the_rows(ledger, street_admin):
    totals = selectors.aid_totals(actor=street_admin)
    assert as_tables(totals) == expected_totals(ledger.values())
    assert totals.committed == sum(r.committed for r in totals.bundles) == Decimal("6400.00")
    assert totals.disbursed == sum(r.disbursed for r in totals.bundles) == Decimal("3350.00")
    assert totals.disbursed == sum(d.amount for d in Disbursement.objects.all())
    assert totals.outstanding == Decimal("3050.00")
    assert totals.cases == 4
    for row in totals.funders:
        assert row.outstanding == row.committed - row.disbursed


def test_totals_follow_scope_and_period(ledger, grid_a, grid_worker, partner_staff, street_admin):
    mine = [c for c in ledger.values() if c.household.grid_id == grid_a.pk]
    assert as_tables(selectors.aid_totals(actor=grid_worker)) == expected_totals(mine)
    assert selectors.aid_totals(actor=partner_staff).funders == []
    first_half = selectors.aid_totals(actor=street_admin, period=(None, date(2025, 6, 30)))
    early = [c for c in ledger.values() if c.period_start <= date(2025, 6, 30)]
    assert as_tables(first_half) == expected_totals(early)


def test_api_and_page_totals_agree(ledger, street_admin, api_client_for, client):
    body = api_client_for(street_admin).get(u("aidbundle-totals")).json()
    assert (body["committed"], body["disbursed"], body["outstanding"]) == (
        "6400.00",
        "3350.00",
        "3050.00",
    )
    assert sum(Decimal(r["committed"]) for r in body["funders"]) == Decimal(body["committed"])
    bad = api_client_for(street_admin).get(
        u("aidbundle-totals"), {"from": "2025-12-01", "to": "2025-01-01"}
    )
    assert bad.status_code == 400
    assert list(bad.json()) == ["to"]
    login(client, street_admin)
    page = client.get(u("services:aid-totals")).content.decode()
    assert 'data-testid="committed">6400.00<' in page


# --- Query counts: 1 row and 20 rows -----------------------------------------------------------


@pytest.fixture
def add_double_funded_cases(civil, charity, grid_a):
    """Each new case is in grid A and double funded (its bundle pays living costs twice),
    so the lists also fetch the conflicts."""
    shared = bundle_with_lines((LIVING, "600", civil), (LIVING, "400", charity), name="重复包")

    def add(n):
        for _ in range(n):
            household = HouseholdFactory(grid=grid_a)
            case = AidCaseFactory(household=household, bundle=shared)
            DisbursementFactory(case=case, line=shared.lines.first(), amount=Decimal("10"))

    return add


@pytest.mark.parametrize("person", ["street_admin", "grid_worker"])
def test_case_lists_constant_queries(
    person, request, add_double_funded_cases, api_client_for, client
):
    user = request.getfixturevalue(person)
    api = api_client_for(user)
    login(client, user)
    # 7: the count, the page (flag and sums as columns), the bundles' lines with funders, the
    # payments; then the conflicts: the flagged ids, their households' open cases, their lines.
    # The grid worker's scope is resolved first (one query per request).
    assert_constant_queries(
        add_rows=add_double_funded_cases,
        fetch=lambda: api.get(u("aidcase-list")),
        expected={"street_admin": 7, "grid_worker": 8}[person],
    )
    # 2: the funders with their sums, the bundles with theirs (the grid worker's scope resolved
    # first: 3).
    assert_constant_queries(
        add_rows=add_double_funded_cases,
        fetch=lambda: api.get(u("aidbundle-totals")),
        expected={"street_admin": 2, "grid_worker": 3}[person],
    )
    # Pages: the user; for the street admin their second-factor device; then the
    # case list — the count, the bundles' choice, the page (case, bundle, household, grid and
    # beneficiary in one join, flag and sums as columns) — or the totals — the funders' and
    # the bundles' sums; the bell; for the grid worker the scope's resolution (one query per
    # request). No permission queries: the role answers them (portal/backends.py).
    cases, totals = {"street_admin": (6, 5), "grid_worker": (6, 5)}[person]
    assert_constant_queries(
        add_rows=add_double_funded_cases,
        fetch=lambda: client.get(u("services:aid-case-list")),
        expected=cases,
    )
    assert_constant_queries(
        add_rows=add_double_funded_cases,
        fetch=lambda: client.get(u("services:aid-totals")),
        expected=totals,
    )


def test_bundle_lists_constant_queries(civil, street_admin, api_client_for, client):
    api = api_client_for(street_admin)
    login(client, street_admin)

    def add(n):
        for _ in range(n):
            bundle_with_lines((LIVING, "100", FunderFactory()), (MEDICAL, "50", civil))

    counts = [
        assert_constant_queries(add_rows=add, fetch=lambda: api.get(u("aidbundle-list"))),
        assert_constant_queries(
            add_rows=add, fetch=lambda: client.get(u("services:aid-bundle-list"))
        ),
        assert_constant_queries(add_rows=add, fetch=lambda: api.get(u("funder-list"))),
    ]
    print("queries: api bundles, page bundles, api funders =", counts)


# --- Payments dated where they can be true ------------------------------------------------------


def test_a_payment_before_the_case_opened_or_in_the_future_is_refused(bundle, case_a, street_admin):
    """The case runs from its period start (2025-01-01): a payment years before it, or one
    dated tomorrow, cannot be true; the first day of the case can."""
    line = living_line(bundle)
    for paid_on, message in [
        (date(2021, 3, 1), "before its case opened (2025-01-01)"),
        (timezone.localdate() + timedelta(days=1), "cannot be in the future"),
    ]:
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            aid_services.disbursement_record(
                actor=street_admin, case=case_a, line=line, amount=Decimal("10"), paid_on=paid_on
            )
        assert message in " ".join(exc.value.message_dict["paid_on"])
    assert not Disbursement.objects.exists()
    aid_services.disbursement_record(
        actor=street_admin, case=case_a, line=line, amount=Decimal("10"), paid_on=date(2025, 1, 1)
    )
    assert Disbursement.objects.count() == 1


def test_a_case_recorded_before_its_period_takes_payments_from_the_day_it_was_recorded(
    bundle, household_a, street_admin
):
    case = AidCaseFactory(household=household_a, bundle=bundle)
    AidCase.objects.filter(pk=case.pk).update(
        created_at=timezone.make_aware(datetime(2024, 12, 20, 10, 0))
    )
    case.refresh_from_db()
    aid_services.disbursement_record(
        actor=street_admin,
        case=case,
        line=living_line(bundle),
        amount=Decimal("10"),
        paid_on=date(2024, 12, 20),
    )
    with pytest.raises(ValidationError):
        aid_services.disbursement_record(
            actor=street_admin,
            case=case,
            line=living_line(bundle),
            amount=Decimal("10"),
            paid_on=date(2024, 12, 19),
        )
