"""The services dashboard: every number is scoped, the arithmetic is right, the page is cheap."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from services.dashboards import selectors as dashboards
from services.models import Delivery, Referral, ReferralEvent, ServiceItem
from services.referrals import writes
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.helpers import count_queries, login

Status = Referral.Status
TODAY = date(2026, 11, 28)


@pytest.fixture
def make(make_referral):
    """`make(resident, status, partner, deadline)` → a referral of `resident`, submitted and not
    yet given to a partner unless told otherwise."""

    def referral(resident, status=Status.SUBMITTED, partner=None, deadline=None):
        return make_referral(status, resident=resident, partner=partner, stage_deadline=deadline)

    return referral


def born(age_years, today=TODAY):
    return today.replace(year=today.year - age_years) - timedelta(days=1)


def test_stage_and_age_counts_follow_the_scope(make, grid_a, grid_b, street_cadre, grid_worker):
    child = ResidentFactory(birth_date=born(8), household=HouseholdFactory(grid=grid_a))
    elder = ResidentFactory(birth_date=born(85), household=HouseholdFactory(grid=grid_a))
    other = ResidentFactory(birth_date=born(70), household=HouseholdFactory(grid=grid_b))
    make(child)
    make(elder, Status.APPROVED)
    make(elder, Status.APPROVED)
    make(other, Status.APPROVED)

    street = dashboards.referrals_by_stage_and_age(actor=street_cadre, today=TODAY)
    worker = dashboards.referrals_by_stage_and_age(actor=grid_worker, today=TODAY)

    assert street["total"] == 4 and worker["total"] == 3
    bands = street["bands"]
    assert bands == ["14岁以下", "14–17岁", "18–59岁", "60–79岁", "80岁及以上"]
    approved = street["statuses"].index(str(Status.APPROVED.label))
    submitted = street["statuses"].index(str(Status.SUBMITTED.label))
    assert street["by_band"][0][submitted] == 1  # the child
    assert street["by_band"][4][approved] == 2  # the 85-year-old, twice
    assert street["by_band"][3][approved] == 1  # the 70-year-old of grid B
    assert worker["by_band"][3] == [0] * len(worker["statuses"])  # grid B is not the worker's


def test_overdue_counts_open_referrals_past_their_deadline_only(
    make, resident_a, street_cadre, partner_p
):
    now = timezone.now()
    make(resident_a, Status.ASSIGNED, partner_p, deadline=now - timedelta(hours=1))
    make(resident_a, Status.ASSIGNED, partner_p, deadline=now + timedelta(hours=1))
    make(resident_a, Status.CLOSED, deadline=now - timedelta(days=9))

    overdue = dashboards.referrals_overdue(actor=street_cadre, now=now)

    assert overdue["total"] == 1
    assert overdue["counts"] == [1]


def test_partner_response_times_measure_assignment_to_answer(
    make, resident_a, street_cadre, partner_staff, other_partner_staff, partner_p, partner_q
):
    referral = make(resident_a, Status.APPROVED)
    writes.referral_assign(actor=street_cadre, referral=referral, partner=partner_q)
    writes.referral_decline(
        actor=other_partner_staff, referral=referral, reason=writes.DeclineReason.CAPACITY
    )
    writes.referral_assign(actor=street_cadre, referral=referral, partner=partner_p)
    writes.referral_accept(actor=partner_staff, referral=referral)
    # Make the times known: Q answered 2 h after its assignment, P 6 h after its own.
    events = list(ReferralEvent.objects.filter(referral=referral).order_by("at", "pk"))
    start = timezone.now() - timedelta(days=1)
    for event, hours in zip(events[-4:], (0, 2, 10, 16), strict=True):
        ReferralEvent.objects.filter(pk=event.pk).update(at=start + timedelta(hours=hours))

    rows = {row["partner"]: row for row in dashboards.partner_response_times(actor=street_cadre)}

    assert rows[partner_q.name] | {} == {
        "partner": partner_q.name,
        "answers": 1,
        "declined": 1,
        "mean_hours": 2.0,
        "median_hours": 2.0,
    }
    assert rows[partner_p.name]["median_hours"] == 6.0
    assert rows[partner_p.name]["declined"] == 0
    mine = dashboards.partner_response_times(actor=partner_staff)
    assert [row["partner"] for row in mine] == [partner_p.name]  # a partner sees only itself


def test_partner_response_times_read_the_answers_and_assignments_from_their_indexes(
    make, resident_a, street_cadre, partner_staff, partner_p
):
    """The answers come from `referralevent_answers` and each one's assignment from
    `referralevent_assignments`, in order: neither the whole history nor a sort per answer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.helpers import plan_when_only_indexes

    referral = make(resident_a, Status.APPROVED)
    writes.referral_assign(actor=street_cadre, referral=referral, partner=partner_p)
    writes.referral_accept(actor=partner_staff, referral=referral)
    with CaptureQueriesContext(connection) as captured:
        dashboards.partner_response_times(actor=street_cadre)
    [sql] = [q["sql"] for q in captured.captured_queries if "services_referralevent" in q["sql"]]
    plan = plan_when_only_indexes(sql)
    assert "referralevent_answers" in plan and "referralevent_assignments" in plan, plan
    assert "Sort" not in plan, plan


def test_deliveries_per_group_per_month(cleaning, resident_a, partner_p, street_cadre):
    now = timezone.now()
    for days, quantity in ((0, 2), (0, 1), (40, 3)):
        Delivery.objects.create(
            partner=partner_p,
            service_item=cleaning,
            resident=resident_a,
            delivered_at=now - timedelta(days=days),
            quantity=Decimal(quantity),
            staff_name="张阿姨",
            verification=Delivery.Verification.SIGNATURE,
            subsidy=Decimal("5.00"),
            recorded_by=street_cadre,
        )

    result = dashboards.deliveries_per_group_per_month(actor=street_cadre)

    elderly = next(
        group for group in result["groups"] if group["label"] == ServiceItem.Group.ELDERLY.label
    )
    assert len(result["months"]) == 12
    assert elderly["counts"][-1] == 2
    assert sum(elderly["counts"]) == 3
    assert sum(result["subsidy"]) == 15.0


def test_dashboard_page_is_scoped_and_its_queries_do_not_grow(
    make, grid_a, street_cadre, party_officer
):
    client = login(Client(), street_cadre)
    make(ResidentFactory(household=HouseholdFactory(grid=grid_a)))
    client.get("/services/dashboard/")  # the first page after the login saves the session
    one, _sql = count_queries(lambda: client.get("/services/dashboard/"))
    for _ in range(20):
        make(ResidentFactory(household=HouseholdFactory(grid=grid_a)), Status.APPROVED)
    response = client.get("/services/dashboard/")
    twenty, sql = count_queries(lambda: client.get("/services/dashboard/"))

    assert response.status_code == 200
    assert 'data-testid="total-referrals">21<' in response.content.decode()
    assert one == twenty, "\n".join(sql)
    assert login(Client(), party_officer).get("/services/dashboard/").status_code == 403
