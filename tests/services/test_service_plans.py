"""Service plans on referrals (issue 12, item 7): "2 hours a week for three months".

The street sets the plan (page and API); a delivery beyond the period's planned quantity, or
outside the plan's days, is refused; the shortfall (planned − delivered over the periods that
have ended) shows on the referral page and on the partner's monthly statement.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from services.deliveries.models import Delivery
from services.deliveries.statements import Month, partner_statement
from services.deliveries.writes import delivery_log
from services.models import Referral
from services.referrals.plans import plan_period_of, plan_progress
from services.referrals.writes import referral_plan_set
from tests.helpers import login
from tests.services.factories import DeliveryFactory

pytestmark = pytest.mark.django_db
Status = Referral.Status


def _today():
    return timezone.localdate()


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    tz = timezone.get_current_timezone()
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=tz)


@pytest.fixture
def serving(make_referral):
    """In service at partner P since 60 days ago, no plan yet."""
    return make_referral(Status.IN_SERVICE, created_at=timezone.now() - datetime.timedelta(days=60))


@pytest.fixture
def planned(serving, street_cadre):
    """2 hours a week, from 21 days ago (three weeks ended) for 90 days."""
    start = _today() - datetime.timedelta(days=21)
    return referral_plan_set(
        actor=street_cadre,
        referral=serving,
        quantity=Decimal("2"),
        period=Referral.PlanPeriod.WEEK,
        start=start,
        end=start + datetime.timedelta(days=90),
    )


def _log(actor, referral, *, when, quantity):
    return delivery_log(
        actor=actor,
        referral=referral,
        partner=referral.partner,
        service_item=referral.service_item,
        resident=referral.resident,
        delivered_at=when,
        quantity=quantity,
        staff_name="李阿姨",
        verification=Delivery.Verification.SIGNATURE,
    )


# --- Periods ---------------------------------------------------------------------------------


def test_periods_count_from_the_plan_start(serving):
    serving.plan_quantity, serving.plan_period = Decimal("2"), Referral.PlanPeriod.WEEK
    serving.plan_start, serving.plan_end = datetime.date(2026, 3, 4), datetime.date(2026, 6, 3)
    assert plan_period_of(serving, datetime.date(2026, 3, 10)) == (
        datetime.date(2026, 3, 4),
        datetime.date(2026, 3, 10),
    )
    assert plan_period_of(serving, datetime.date(2026, 3, 11))[0] == datetime.date(2026, 3, 11)
    assert plan_period_of(serving, datetime.date(2026, 3, 3)) is None
    assert plan_period_of(serving, datetime.date(2026, 6, 3)) == (
        datetime.date(2026, 6, 3),
        datetime.date(2026, 6, 3),
    )
    serving.plan_period = Referral.PlanPeriod.MONTH
    serving.plan_start = datetime.date(2026, 1, 15)
    assert plan_period_of(serving, datetime.date(2026, 2, 14)) == (
        datetime.date(2026, 1, 15),
        datetime.date(2026, 2, 14),
    )
    assert plan_period_of(serving, datetime.date(2026, 2, 15))[0] == datetime.date(2026, 2, 15)


# --- Setting the plan --------------------------------------------------------------------------


def test_the_street_sets_the_plan_by_api_and_partners_may_not(
    serving, street_cadre, partner_staff, api_client_for
):
    url = f"/api/v1/referrals/{serving.pk}/plan/"
    body = {"quantity": "2", "period": "week", "start": "2026-01-05", "end": "2026-04-04"}
    assert api_client_for(partner_staff).post(url, body, format="json").status_code == 403
    response = api_client_for(street_cadre).post(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["plan_quantity"] == "2.00"
    assert response.json()["plan_period"] == "week"
    serving.refresh_from_db()
    assert (serving.plan_start, serving.plan_end) == (
        datetime.date(2026, 1, 5),
        datetime.date(2026, 4, 4),
    )
    bad = api_client_for(street_cadre).post(url, {**body, "end": "2025-12-31"}, format="json")
    assert bad.status_code == 400
    assert "end" in bad.json()
    half = api_client_for(street_cadre).post(url, {"quantity": "2"}, format="json")
    assert half.status_code == 400
    assert {"period", "start", "end"} <= set(half.json())
    cleared = api_client_for(street_cadre).post(url, {}, format="json")
    assert cleared.status_code == 200
    assert cleared.json()["plan_quantity"] is None


def test_the_plan_form_on_the_referral_page(serving, street_cadre, grid_worker, client):
    login(client, grid_worker)
    page = client.get(reverse("services:referral-detail", args=[serving.pk]))
    assert b'data-testid="action-plan"' not in page.content
    login(client, street_cadre)
    page = client.get(reverse("services:referral-detail", args=[serving.pk]))
    assert b'data-testid="action-plan"' in page.content
    response = client.post(
        reverse("services:referral-act", args=[serving.pk, "plan"]),
        {
            "plan-quantity": "3",
            "plan-period": "month",
            "plan-start": "2026-02-01",
            "plan-end": "2026-04-30",
        },
    )
    assert response.status_code == 302
    serving.refresh_from_db()
    assert serving.plan_quantity == Decimal("3")
    assert serving.plan_period == "month"


def test_only_the_street_may_set_a_plan(serving, grid_worker):
    with pytest.raises(PermissionDenied):
        referral_plan_set(
            actor=grid_worker,
            referral=serving,
            quantity=Decimal("1"),
            period="week",
            start=_today(),
            end=_today(),
        )


# --- Deliveries against the plan ----------------------------------------------------------------


def test_a_delivery_beyond_the_period_quantity_is_refused(planned, partner_staff):
    # Last week's period: wholly in the past whatever the hour the test runs at.
    this_period = plan_period_of(planned, _today() - datetime.timedelta(days=7))
    assert this_period[1] < _today()
    first = _log(partner_staff, planned, when=_at(this_period[0], 9), quantity=Decimal("1.5"))
    assert first.subsidy == Decimal("1.5") * planned.service_item.subsidy  # the catalogue rate
    with pytest.raises(ValidationError) as refused:
        _log(partner_staff, planned, when=_at(this_period[0], 11), quantity=Decimal("1"))
    assert "quantity" in refused.value.message_dict
    # Up to the plan is fine.
    _log(partner_staff, planned, when=_at(this_period[0], 11), quantity=Decimal("0.5"))
    assert Delivery.objects.filter(referral=planned).count() == 2


def test_a_delivery_outside_the_plan_days_is_refused(planned, partner_staff):
    before = planned.plan_start - datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as refused:
        _log(partner_staff, planned, when=_at(before), quantity=Decimal("1"))
    assert "delivered_at" in refused.value.message_dict


def test_a_referral_without_a_plan_is_not_limited(serving, partner_staff):
    _log(partner_staff, serving, when=timezone.now() - datetime.timedelta(hours=2), quantity=8)
    _log(partner_staff, serving, when=timezone.now() - datetime.timedelta(hours=1), quantity=8)
    assert Delivery.objects.filter(referral=serving).count() == 2


# --- Shortfall -----------------------------------------------------------------------------------


@pytest.fixture
def delivered(planned):
    """Week 1: 2 hours, week 2: 0.5, week 3: nothing; this week: 1 — shortfall 6 − 2.5 = 3.5."""
    start = planned.plan_start
    for offset, quantity in ((1, "2"), (8, "0.5"), (_today_offset(start), "1")):
        DeliveryFactory(
            partner=planned.partner,
            service_item=planned.service_item,
            resident=planned.resident,
            referral=planned,
            delivered_at=_at(start + datetime.timedelta(days=offset)),
            quantity=Decimal(quantity),
        )
    return planned


def _today_offset(start):
    return (_today() - start).days


def test_the_shortfall_counts_the_periods_that_have_ended(delivered):
    progress = plan_progress(delivered)
    assert progress.periods_ended == 3
    assert progress.planned == Decimal("6")
    assert progress.delivered == Decimal("2.5")
    assert progress.shortfall == Decimal("3.5")
    assert progress.current_delivered == Decimal("1")


def test_the_api_gives_the_shortfall(delivered, street_cadre, api_client_for):
    body = api_client_for(street_cadre).get(f"/api/v1/referrals/{delivered.pk}/").json()
    assert body["plan_shortfall"] == "3.50"


def test_the_shortfall_shows_on_the_referral_pages(
    delivered, street_cadre, partner_staff, client, english
):
    with translation.override("en"):
        for user in (street_cadre, partner_staff):
            login(client, user)
            html = client.get(
                reverse("services:referral-detail", args=[delivered.pk]),
                HTTP_ACCEPT_LANGUAGE="en",
            ).content.decode()
            assert 'data-testid="service-plan"' in html
            assert "Shortfall" in html
            assert ">3.5<" in html


def test_the_shortfall_shows_on_the_partner_statement(
    delivered, partner_staff, street_cadre, client, make_referral
):
    statement = partner_statement(
        actor=partner_staff, partner=delivered.partner, month=Month.current()
    )
    assert [(p.referral_id, p.planned, p.delivered, p.shortfall) for p in statement.plans] == [
        (delivered.pk, Decimal("6"), Decimal("2.5"), Decimal("3.5"))
    ]
    login(client, street_cadre)
    html = client.get(
        reverse("services:partner-statement", args=[delivered.partner_id]),
        {"month": str(Month.current())},
    ).content.decode()
    assert 'data-testid="statement-plan"' in html
    assert ">3.50<" in html
    # A month before the plan ran lists no plan.
    earlier = Month.parse((delivered.plan_start - datetime.timedelta(days=40)).strftime("%Y-%m"))
    assert (
        partner_statement(actor=street_cadre, partner=delivered.partner, month=earlier).plans == []
    )
