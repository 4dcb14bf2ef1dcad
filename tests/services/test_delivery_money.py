"""The money the street pays is decided by the street (issue 11, item 2).

- A delivery's subsidy is quantity × the catalogue item's subsidy per unit, whatever a partner
  (or anyone) sends: the API's `subsidy` is read-only, the page has no such field.
- Quantities are bounded per delivery by the catalogue item (its unit's default otherwise); the
  model says so, so the page, the API and the meal import give the same message.
- A delivery is not dated before its referral was created, nor after today.
- The street closes a partner's month: afterwards nothing in it is created, changed or deleted
  (writes refuse with a field error, the database refuses every other path), and a correction
  is an audited adjustment in the next open month, its own line on that statement.
"""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent
from services.deliveries.meal_import import meal_import_commit, meal_import_create
from services.deliveries.models import ClosedStatement, StatementAdjustment
from services.deliveries.statements import Month, partner_statement, statement_rows
from services.deliveries.writes import delivery_log, statement_adjust, statement_close
from services.models import Delivery, MealImport, Referral
from tests.helpers import login
from tests.services.factories import (
    DeliveryFactory,
    MealItemFactory,
    ServiceItemFactory,
    local_dt,
    meal_csv,
)

pytestmark = pytest.mark.django_db
Status = Referral.Status

CURRENT = Month.current()
LAST = CURRENT.previous()  # a month that has ended: it can be closed
BEFORE = LAST.previous()


def at(month: Month, day: int = 10, hour: int = 10):
    return local_dt(month.year, month.month, day, hour)


@pytest.fixture
def free_item(partner_p):
    """A service the street pays nothing for (the acceptance pass's 888.00 case)."""
    return ServiceItemFactory(
        name="探访关爱", unit="visit", subsidy=Decimal("0"), partners=[partner_p]
    )


@pytest.fixture
def meal_item(partner_p):
    return MealItemFactory(name="老年助餐", partners=[partner_p])


@pytest.fixture
def old_referral(make_referral):
    """In service at partner P (cleaning, 20 yuan an hour), created before the month before last."""
    return make_referral(Status.IN_SERVICE, created_at=at(BEFORE.previous(), 1))


def log(actor, referral, **overrides):
    arguments = {
        "actor": actor,
        "referral": referral,
        "partner": referral.partner,
        "service_item": referral.service_item,
        "resident": referral.resident,
        "delivered_at": at(LAST),
        "quantity": Decimal("2"),
        "staff_name": "李阿姨",
        "verification": Delivery.Verification.SIGNATURE,
    }
    return delivery_log(**(arguments | overrides))


def total_subsidy(partner, month, actor):
    return partner_statement(actor=actor, partner=partner, month=month).total.subsidy


# --- The subsidy is the street's -----------------------------------------------------------


def test_partner_posting_888_on_a_free_item_gets_the_streets_zero(
    api_client_for, partner_staff, street_cadre, make_referral, free_item, partner_p
):
    referral = make_referral(Status.IN_SERVICE, service_item=free_item)

    response = api_client_for(partner_staff).post(
        reverse("delivery-list"),
        {
            "referral": referral.pk,
            "delivered_at": timezone.localtime().replace(second=0, microsecond=0).isoformat(),
            "quantity": "1",
            "staff_name": "李阿姨",
            "verification": "card",
            "subsidy": "888.00",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["subsidy"] == "0.00"
    assert Delivery.objects.get().subsidy == Decimal("0.00")
    assert total_subsidy(partner_p, CURRENT, street_cadre) == Decimal("0.00")


def test_partner_posting_a_huge_quantity_and_subsidy_is_400_and_pays_nothing(
    api_client_for, partner_staff, street_cadre, make_referral, partner_p
):
    referral = make_referral(Status.IN_SERVICE)

    response = api_client_for(partner_staff).post(
        reverse("delivery-list"),
        {
            "referral": referral.pk,
            "delivered_at": timezone.localtime().replace(second=0, microsecond=0).isoformat(),
            "quantity": "999999.99",
            "staff_name": "李阿姨",
            "verification": "card",
            "subsidy": "99999999.99",
        },
        format="json",
    )

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["quantity"]
    assert not Delivery.objects.exists()
    assert total_subsidy(partner_p, CURRENT, street_cadre) == Decimal("0.00")


def test_the_street_sending_a_subsidy_through_the_api_is_ignored_too(
    api_client_for, street_admin, make_referral
):
    referral = make_referral(Status.IN_SERVICE)

    response = api_client_for(street_admin).post(
        reverse("delivery-list"),
        {
            "referral": referral.pk,
            "delivered_at": timezone.localtime().replace(second=0, microsecond=0).isoformat(),
            "quantity": "1.5",
            "staff_name": "李阿姨",
            "verification": "card",
            "subsidy": "5.00",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["subsidy"] == "30.00"  # 1.5 hours × 20 yuan


def test_the_page_ignores_a_posted_subsidy_even_from_the_street(
    client, street_admin, make_referral
):
    referral = make_referral(Status.IN_SERVICE)
    login(client, street_admin)

    response = client.post(
        reverse("services:delivery-create", args=[referral.pk]),
        {
            "delivered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "quantity": "1",
            "verification": "card",
            "staff_name": "李阿姨",
            "subsidy": "888.00",
        },
    )

    assert response.status_code == 302
    assert Delivery.objects.get().subsidy == Decimal("20.00")


# --- Quantities bounded per unit -----------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "limit"),
    [("hour", "24"), ("meal", "3"), ("visit", "10"), ("yuan", "5000")],
)
def test_each_unit_has_a_default_bound(street_cadre, make_referral, partner_p, unit, limit):
    item = ServiceItemFactory(
        name=f"按{unit}", unit=unit, subsidy=Decimal("0"), partners=[partner_p]
    )
    referral = make_referral(Status.IN_SERVICE, service_item=item)
    now = timezone.now() - timedelta(minutes=1)

    assert log(street_cadre, referral, quantity=Decimal(limit), delivered_at=now).pk
    with pytest.raises(ValidationError) as caught:
        log(street_cadre, referral, quantity=Decimal(limit) + Decimal("0.5"), delivered_at=now)

    assert list(caught.value.message_dict) == ["quantity"]
    assert Delivery.objects.count() == 1


def test_an_items_own_bound_wins_over_its_units(street_cadre, make_referral, cleaning):
    cleaning.max_quantity = Decimal("4")
    cleaning.save()
    referral = make_referral(Status.IN_SERVICE)
    now = timezone.now() - timedelta(minutes=1)

    with pytest.raises(ValidationError) as caught:
        log(street_cadre, referral, quantity=Decimal("4.5"), delivered_at=now)

    assert "quantity" in caught.value.message_dict


def test_page_api_and_import_give_the_same_quantity_message(
    client, api_client_for, partner_staff, make_referral, meal_item, partner_p, resident_a
):
    """Four portions of a meal (unsubsidised, so the one-portion rule is not what refuses)."""
    referral = make_referral(Status.IN_SERVICE, service_item=meal_item)
    now = timezone.localtime().replace(second=0, microsecond=0)

    login(client, partner_staff)
    page = client.post(
        reverse("services:delivery-create", args=[referral.pk]),
        {
            "delivered_at": now.strftime("%Y-%m-%dT%H:%M"),
            "quantity": "4",
            "verification": "card",
            "staff_name": "李阿姨",
        },
    )
    api = api_client_for(partner_staff).post(
        reverse("delivery-list"),
        {
            "referral": referral.pk,
            "delivered_at": now.isoformat(),
            "quantity": "4",
            "staff_name": "李阿姨",
            "verification": "card",
        },
        format="json",
    )
    job = meal_import_create(
        actor=partner_staff,
        partner=partner_p,
        service_item=meal_item,
        uploaded_file=meal_csv(
            [
                {
                    "id_number": resident_a.id_number,
                    "name": resident_a.name,
                    "date": f"{LAST}-05",
                    "quantity": "4",
                    "subsidised": "否",
                }
            ]
        ),
    )

    page_message = page.context["form"].errors["quantity"][0]
    assert page.status_code == 400
    assert api.status_code == 400
    assert api.json()["quantity"] == [page_message]
    assert job.status == MealImport.Status.FAILED
    [error] = job.report["errors"]
    assert (error["column"], error["message"]) == ("份数", page_message)
    assert not Delivery.objects.exists()


# --- Dates: not before the referral, not after today ---------------------------------------


def test_a_delivery_before_its_referral_was_created_is_refused(
    api_client_for, partner_staff, make_referral
):
    created = timezone.now() - timedelta(days=10)
    referral = make_referral(Status.IN_SERVICE, created_at=created)

    with pytest.raises(ValidationError) as caught:
        log(partner_staff, referral, delivered_at=created - timedelta(days=1))
    assert list(caught.value.message_dict) == ["delivered_at"]

    response = api_client_for(partner_staff).post(
        reverse("delivery-list"),
        {
            "referral": referral.pk,
            "delivered_at": (created - timedelta(days=40)).isoformat(),
            "quantity": "1",
            "staff_name": "李阿姨",
            "verification": "card",
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["delivered_at"]
    assert not Delivery.objects.exists()
    # The day it was created is fine.
    assert log(partner_staff, referral, delivered_at=created).pk


def test_the_model_refuses_a_date_after_today(partner_p, cleaning, resident_a):
    delivery = DeliveryFactory.build(
        partner=partner_p,
        service_item=cleaning,
        resident=resident_a,
        delivered_at=timezone.now() + timedelta(days=1),
    )

    with pytest.raises(ValidationError) as caught:
        delivery.full_clean(exclude=["recorded_by"])

    assert list(caught.value.message_dict) == ["delivered_at"]


# --- Closing a month -------------------------------------------------------------------------


def test_the_street_closes_an_ended_month_once_audited(street_cadre, partner_p, old_referral):
    log(street_cadre, old_referral)

    closure = statement_close(actor=street_cadre, partner=partner_p, month=LAST)
    again = statement_close(actor=street_cadre, partner=partner_p, month=LAST)

    assert again.pk == closure.pk
    event = AuditEvent.objects.get(action="statement.close")
    assert event.details["month"] == str(LAST)
    assert event.details["subsidy"] == "40.00"
    assert partner_statement(actor=street_cadre, partner=partner_p, month=LAST).closed
    with pytest.raises(ValidationError) as caught:
        statement_close(actor=street_cadre, partner=partner_p, month=CURRENT)
    assert list(caught.value.message_dict) == ["month"]


@pytest.mark.parametrize("who", ["partner_staff", "street_cadre", "street_admin"])
def test_a_closed_month_refuses_new_deliveries_for_everyone(
    request, street_admin, partner_p, old_referral, who
):
    statement_close(actor=street_admin, partner=partner_p, month=LAST)

    with pytest.raises(ValidationError) as caught:
        log(request.getfixturevalue(who), old_referral)

    assert list(caught.value.message_dict) == ["delivered_at"]
    assert not Delivery.objects.exists()
    # The month after is open.
    assert log(request.getfixturevalue(who), old_referral, delivered_at=timezone.now()).pk


def test_a_closed_month_refuses_through_the_api(
    api_client_for, partner_staff, street_admin, partner_p, old_referral
):
    statement_close(actor=street_admin, partner=partner_p, month=LAST)

    response = api_client_for(partner_staff).post(
        reverse("delivery-list"),
        {
            "referral": old_referral.pk,
            "delivered_at": at(LAST, 20).isoformat(),
            "quantity": "1",
            "staff_name": "李阿姨",
            "verification": "card",
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["delivered_at"]


def test_a_closed_month_refuses_the_meal_import(
    street_admin, partner_staff, partner_p, meal_item, resident_a
):
    statement_close(actor=street_admin, partner=partner_p, month=LAST)

    job = meal_import_create(
        actor=partner_staff,
        partner=partner_p,
        service_item=meal_item,
        uploaded_file=meal_csv(
            [{"id_number": resident_a.id_number, "name": resident_a.name, "date": f"{LAST}-05"}]
        ),
    )

    assert job.status == MealImport.Status.FAILED
    assert [e["column"] for e in job.report["errors"]] == ["日期"]


def test_a_closed_month_is_closed_at_commit_too(
    street_admin, partner_staff, partner_p, meal_item, resident_a
):
    job = meal_import_create(
        actor=partner_staff,
        partner=partner_p,
        service_item=meal_item,
        uploaded_file=meal_csv(
            [{"id_number": resident_a.id_number, "name": resident_a.name, "date": f"{LAST}-05"}]
        ),
    )
    assert job.status == MealImport.Status.CHECKED
    statement_close(actor=street_admin, partner=partner_p, month=LAST)

    job = meal_import_commit(actor=partner_staff, meal_import=job)

    assert job.status == MealImport.Status.FAILED
    assert not Delivery.objects.exists()


def test_the_database_refuses_changing_or_deleting_a_closed_months_delivery(
    street_admin, partner_p, partner_q, cleaning, resident_a
):
    inside = DeliveryFactory(
        partner=partner_p, service_item=cleaning, resident=resident_a, delivered_at=at(LAST)
    )
    outside = DeliveryFactory(
        partner=partner_p, service_item=cleaning, resident=resident_a, delivered_at=at(CURRENT, 1)
    )
    other_partner = DeliveryFactory(
        partner=partner_q, service_item=cleaning, resident=resident_a, delivered_at=at(LAST)
    )
    statement_close(actor=street_admin, partner=partner_p, month=LAST)

    def refused(action):
        with pytest.raises(IntegrityError), transaction.atomic():
            action()

    inside.quantity = Decimal("9")
    refused(inside.save)
    refused(inside.delete)
    refused(lambda: Delivery.objects.filter(pk=inside.pk).update(subsidy=Decimal("888")))
    refused(lambda: Delivery.objects.filter(pk=outside.pk).update(delivered_at=at(LAST, 3)))
    refused(
        lambda: DeliveryFactory(
            partner=partner_p, service_item=cleaning, resident=resident_a, delivered_at=at(LAST)
        )
    )
    inside.refresh_from_db()
    assert inside.quantity == Decimal("1")
    # Another partner's month, and this partner's open month, are not closed.
    other_partner.quantity = Decimal("2")
    other_partner.save()
    outside.delete()


# --- Adjustments -----------------------------------------------------------------------------


def test_an_adjustment_lands_in_the_next_open_month_audited(
    street_admin, street_cadre, partner_p, old_referral
):
    delivery = log(street_cadre, old_referral, delivered_at=at(BEFORE))  # 40 yuan
    statement_close(actor=street_admin, partner=partner_p, month=BEFORE)
    before_total = total_subsidy(partner_p, BEFORE, street_cadre)

    adjustment = statement_adjust(
        actor=street_cadre, delivery=delivery, amount=Decimal("-15.50"), reason="实际服务1小时"
    )

    assert (adjustment.month.year, adjustment.month.month) == (LAST.year, LAST.month)
    assert adjustment.delivery == delivery
    event = AuditEvent.objects.get(action="statement.adjust")
    assert event.object_id == str(adjustment.pk)
    assert event.details["amount"] == "-15.50"
    assert event.details["reason"] == "实际服务1小时"
    assert event.details["paid_before"] == "40.00"
    # The closed month is unchanged; the next shows the adjustment as its own line.
    assert total_subsidy(partner_p, BEFORE, street_cadre) == before_total == Decimal("40.00")
    statement = partner_statement(actor=street_cadre, partner=partner_p, month=LAST)
    assert [(a.delivery_id, a.amount) for a in statement.adjustments] == [
        (delivery.pk, Decimal("-15.50"))
    ]
    assert statement.total.subsidy == Decimal("-15.50")
    rows = statement_rows(statement)
    assert rows[-2][4] == Decimal("-15.50") and "实际服务1小时" in rows[-2][0]
    delivery.refresh_from_db()
    assert delivery.subsidy == Decimal("40.00")  # the delivery itself is never rewritten


def test_when_the_next_month_is_closed_too_the_adjustment_goes_further(
    street_admin, partner_p, old_referral
):
    delivery = log(street_admin, old_referral, delivered_at=at(BEFORE))
    statement_close(actor=street_admin, partner=partner_p, month=BEFORE)
    statement_close(actor=street_admin, partner=partner_p, month=LAST)

    adjustment = statement_adjust(
        actor=street_admin, delivery=delivery, amount=Decimal("5"), reason="补录加班"
    )

    assert (adjustment.month.year, adjustment.month.month) == (CURRENT.year, CURRENT.month)
    assert total_subsidy(partner_p, CURRENT, street_admin) == Decimal("5.00")
    # Adjustments in a closed month are frozen by the database as well.
    frozen = StatementAdjustment(
        partner=partner_p,
        delivery=delivery,
        month=adjustment.month.replace(year=LAST.year, month=LAST.month),
        amount=Decimal("1"),
        reason="x",
        created_by=street_admin,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        frozen.save()


def test_an_adjustment_cannot_pay_less_than_nothing_and_needs_a_reason(street_cadre, old_referral):
    delivery = log(street_cadre, old_referral)  # 40 yuan

    with pytest.raises(ValidationError) as caught:
        statement_adjust(actor=street_cadre, delivery=delivery, amount=Decimal("-40.01"), reason="")

    assert set(caught.value.message_dict) == {"amount", "reason"}
    with pytest.raises(ValidationError) as caught:
        statement_adjust(actor=street_cadre, delivery=delivery, amount="0", reason="无")
    assert list(caught.value.message_dict) == ["amount"]
    assert not StatementAdjustment.objects.exists()


def test_only_the_street_adjusts_and_closes_through_the_api(
    api_client_for, partner_staff, street_cadre, partner_p, old_referral
):
    delivery = log(street_cadre, old_referral)
    adjust = reverse("delivery-adjust", args=[delivery.pk])
    close = reverse("delivery-statement-close")
    body = {"amount": "-10.00", "reason": "重复记录"}

    assert api_client_for(partner_staff).post(adjust, body, format="json").status_code == 403
    month = {"partner": partner_p.pk, "month": str(LAST)}
    assert api_client_for(partner_staff).post(close, month, format="json").status_code == 403
    assert not ClosedStatement.objects.exists()

    closed = api_client_for(street_cadre).post(close, month, format="json")
    assert closed.status_code == 200, closed.content
    assert closed.json()["closed"] is True
    adjusted = api_client_for(street_cadre).post(adjust, body, format="json")
    assert adjusted.status_code == 201, adjusted.content
    assert adjusted.json()["month"] == f"{CURRENT}-01"
    statement = api_client_for(partner_staff).get(
        reverse("delivery-statement"), {"partner": partner_p.pk, "month": str(CURRENT)}
    )
    assert statement.json()["adjustments"][0]["amount"] == "-10.00"
    assert statement.json()["total"]["subsidy"] == "-10.00"


def test_the_statement_page_closes_and_the_adjust_page_corrects(
    client, partner_staff, street_cadre, partner_p, old_referral
):
    delivery = log(street_cadre, old_referral)
    page = reverse("services:partner-statement", args=[partner_p.pk]) + f"?month={LAST}"

    login(client, partner_staff)
    assert b'data-testid="statement-close"' not in client.get(page).content
    close = reverse("services:partner-statement-close", args=[partner_p.pk]) + f"?month={LAST}"
    assert client.post(close).status_code == 403
    assert client.get(reverse("services:delivery-adjust", args=[delivery.pk])).status_code == 403

    login(client, street_cadre)
    assert b'data-testid="statement-close"' in client.get(page).content
    assert client.post(close).status_code == 302
    shown = client.get(page).content
    assert b'data-testid="statement-closed"' in shown
    assert b'data-testid="statement-close"' not in shown

    response = client.post(
        reverse("services:delivery-adjust", args=[delivery.pk]),
        {"amount": "12.00", "reason": "漏记半小时"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?month={CURRENT}")
    following = client.get(response["Location"]).content.decode()
    assert 'data-testid="statement-adjustment"' in following
    assert "漏记半小时" in following


# --- Closing while a delivery is written ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_delivery_written_while_the_month_closes_does_not_slip_in(
    street_admin, partner_staff, partner_p, old_referral
):
    """The close holds the partner's row; the delivery waits for it, then sees the month
    closed. Without the lock the delivery would be written into the closed month."""
    outcome = {}

    def write():
        try:
            log(partner_staff, old_referral)
            outcome["written"] = True
        except ValidationError as exc:
            outcome["refused"] = exc.message_dict
        finally:
            connection.close()

    with transaction.atomic():
        statement_close(actor=street_admin, partner=partner_p, month=LAST)
        writer = threading.Thread(target=write)
        writer.start()
        writer.join(timeout=1.5)
        assert writer.is_alive(), outcome  # waiting for the close to commit
    writer.join(timeout=10)

    assert list(outcome) == ["refused"]
    assert list(outcome["refused"]) == ["delivered_at"]
    assert not Delivery.objects.exists()
