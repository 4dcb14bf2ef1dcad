"""Deliveries: who may log one and on which referral, the meal rule, the lists, the API and the
monthly statement (which must reconcile with the Delivery rows, also in its Excel export)."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from portal.models import AuditEvent
from services.deliveries.selectors import referral_deliveries_context
from services.deliveries.statements import Month, partner_statement, statement_headers
from services.deliveries.writes import delivery_log
from services.models import Delivery, MealLog, Referral
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.helpers import Call, assert_access_matrix, assert_constant_queries, login, page_call
from tests.services.factories import (
    DeliveryFactory,
    MealItemFactory,
    MealLogFactory,
    ServiceItemFactory,
    local_dt,
)

pytestmark = pytest.mark.django_db
Status = Referral.Status


def this_minute():
    """Now, local, to the minute: a delivery time after the test's referral was created (a
    delivery may not be dated before its referral existed)."""
    return timezone.localtime().replace(second=0, microsecond=0)


@pytest.fixture
def meal_item(partner_p):
    return MealItemFactory(name="老年助餐", partners=[partner_p])


@pytest.fixture
def delivery_p(partner_p, cleaning, resident_a, referral_p):
    return DeliveryFactory(
        partner=partner_p, service_item=cleaning, resident=resident_a, referral=referral_p
    )


@pytest.fixture
def delivery_q(partner_q, cleaning, resident_b):
    return DeliveryFactory(partner=partner_q, service_item=cleaning, resident=resident_b)


def log(actor, referral=None, **overrides):
    """delivery_log with sensible defaults for the referral's partner, item and resident."""
    arguments = {
        "actor": actor,
        "referral": referral,
        "partner": referral.partner if referral else None,
        "service_item": referral.service_item if referral else None,
        "resident": referral.resident if referral else None,
        "delivered_at": timezone.now() - timezone.timedelta(hours=1),
        "quantity": Decimal("2"),
        "staff_name": "李阿姨",
        "verification": Delivery.Verification.SIGNATURE,
        "feedback": "打扫得很干净",
    }
    return delivery_log(**(arguments | overrides))


# --- delivery_log ----------------------------------------------------------------------------


def test_partner_staff_log_on_their_referral_with_the_default_subsidy(partner_staff, referral_p):
    delivery = log(partner_staff, referral_p)

    delivery.refresh_from_db()
    assert delivery.partner == referral_p.partner
    assert delivery.resident == referral_p.resident
    assert delivery.subsidy == Decimal("40.00")  # 2 hours × 20 yuan
    assert delivery.recorded_by == partner_staff
    event = AuditEvent.objects.get(action="delivery.log")
    assert event.object_id == str(delivery.pk)
    assert event.details["referral"] == referral_p.pk


def test_a_delivery_logged_as_not_subsidised_pays_nothing(street_cadre, referral_p):
    delivery = log(street_cadre, referral_p, subsidised=False)

    assert delivery.subsidy == Decimal("0.00")


@pytest.mark.parametrize("status", [Status.ACCEPTED, Status.IN_SERVICE])
def test_loggable_states(partner_staff, referral_p, status):
    Referral.objects.filter(pk=referral_p.pk).update(status=status)
    referral_p.refresh_from_db()

    assert log(partner_staff, referral_p).pk


@pytest.mark.parametrize(
    "status",
    [Status.ASSIGNED, Status.COMPLETED, Status.CLOSED, Status.CANCELLED, Status.APPROVED],
)
def test_no_delivery_on_a_referral_not_in_service(partner_staff, referral_p, status):
    Referral.objects.filter(pk=referral_p.pk).update(status=status)
    referral_p.refresh_from_db()

    with pytest.raises(ValidationError) as caught:
        log(partner_staff, referral_p)

    assert set(caught.value.message_dict) == {"referral"}
    assert not Delivery.objects.exists()


def test_partner_staff_may_not_log_for_another_organisation(partner_staff, referral_q):
    with pytest.raises(PermissionDenied):
        log(partner_staff, referral_q)
    with pytest.raises(PermissionDenied):
        log(
            partner_staff,
            None,
            partner=referral_q.partner,
            service_item=referral_q.service_item,
            resident=referral_q.resident,
        )
    assert not Delivery.objects.exists()


def test_a_referral_of_another_partner_is_refused(partner_staff, partner_p, referral_q):
    with pytest.raises(ValidationError) as caught:
        log(partner_staff, referral_q, partner=partner_p)

    assert "referral" in caught.value.message_dict


def test_the_resident_and_item_must_be_the_referrals(street_cadre, referral_p, resident_b):
    other_item = ServiceItemFactory(name="陪诊", partners=[referral_p.partner])
    with pytest.raises(ValidationError) as caught:
        log(street_cadre, referral_p, resident=resident_b, service_item=other_item)

    assert {"resident", "service_item"} <= set(caught.value.message_dict)


def test_the_item_must_be_provided_by_the_partner(street_cadre, partner_q, resident_a):
    item = ServiceItemFactory(name="上门理发", partners=[])
    with pytest.raises(ValidationError) as caught:
        log(street_cadre, None, partner=partner_q, service_item=item, resident=resident_a)

    assert "service_item" in caught.value.message_dict


def test_street_roles_log_without_a_referral(street_admin, partner_q, cleaning, resident_a):
    delivery = log(
        street_admin, None, partner=partner_q, service_item=cleaning, resident=resident_a
    )

    assert delivery.referral is None


@pytest.mark.parametrize("who", ["grid_worker", "community_cadre", "party_officer", "outsider"])
def test_roles_without_add_delivery_are_refused(request, who, referral_p):
    with pytest.raises(PermissionDenied):
        log(request.getfixturevalue(who), referral_p)


def test_bad_values_are_field_errors_and_nothing_is_written(partner_staff, referral_p):
    with pytest.raises(ValidationError) as caught:
        log(
            partner_staff,
            referral_p,
            quantity=Decimal("0"),
            staff_name=" ",
            verification="telepathy",
            delivered_at=timezone.now() + timezone.timedelta(days=2),
        )

    assert {"quantity", "staff_name", "verification", "delivered_at"} <= set(
        caught.value.message_dict
    )
    assert not Delivery.objects.exists()
    assert not AuditEvent.objects.filter(action="delivery.log").exists()


# --- Meals: one subsidised meal per resident, date and slot ----------------------------------


def test_a_meal_delivery_records_its_meal_log(street_cadre, partner_p, meal_item, resident_a):
    lunch = local_dt(2025, 3, 5, 11, 40)
    delivery = log(
        street_cadre,
        None,
        partner=partner_p,
        service_item=meal_item,
        resident=resident_a,
        delivered_at=lunch,
        quantity=1,
    )

    meal = MealLog.objects.get(delivery=delivery)
    assert (meal.resident, meal.date, meal.slot, meal.subsidised) == (
        resident_a,
        lunch.date(),
        MealLog.Slot.LUNCH,
        True,
    )
    assert delivery.subsidy == meal_item.subsidy


def test_a_second_subsidised_meal_in_the_same_slot_is_refused(
    street_cadre, partner_p, meal_item, resident_a
):
    common = {
        "partner": partner_p,
        "service_item": meal_item,
        "resident": resident_a,
        "quantity": 1,
    }
    log(street_cadre, None, delivered_at=local_dt(2025, 3, 5, 11, 0), **common)

    with pytest.raises(ValidationError) as caught:
        log(street_cadre, None, delivered_at=local_dt(2025, 3, 5, 12, 30), **common)

    assert "delivered_at" in caught.value.message_dict
    # Dinner the same day and an unsubsidised second lunch are fine.
    log(street_cadre, None, delivered_at=local_dt(2025, 3, 5, 17, 30), **common)
    log(street_cadre, None, delivered_at=local_dt(2025, 3, 5, 12, 30), subsidised=False, **common)
    assert MealLog.objects.filter(subsidised=True).count() == 2
    assert Delivery.objects.count() == 3


def test_a_subsidised_meal_is_one_portion(street_cadre, partner_p, meal_item, resident_a):
    with pytest.raises(ValidationError) as caught:
        log(
            street_cadre,
            None,
            partner=partner_p,
            service_item=meal_item,
            resident=resident_a,
            delivered_at=local_dt(2025, 3, 5, 11, 0),
            quantity=2,
        )

    assert "quantity" in caught.value.message_dict


def test_the_database_refuses_a_second_subsidised_meal_log(resident_a):
    first = MealLogFactory(resident=resident_a, delivery__resident=resident_a)
    second_delivery = DeliveryFactory(
        resident=resident_a,
        partner=first.delivery.partner,
        service_item=first.delivery.service_item,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        MealLog.objects.create(
            delivery=second_delivery,
            resident=resident_a,
            date=first.date,
            slot=first.slot,
            subsidised=True,
        )
    # Unsubsidised, the same slot is allowed.
    MealLog.objects.create(
        delivery=second_delivery,
        resident=resident_a,
        date=first.date,
        slot=first.slot,
        subsidised=False,
    )


# --- Access --------------------------------------------------------------------------------


def test_api_matrix(request, partner_p, partner_q, delivery_p, delivery_q):
    statement = reverse("delivery-statement")
    actions = {
        "list": Call("get", reverse("delivery-list")),
        "read_p": Call("get", reverse("delivery-detail", args=[delivery_p.pk])),
        "read_q": Call("get", reverse("delivery-detail", args=[delivery_q.pk])),
        "stmt_p": Call("get", f"{statement}?partner={partner_p.pk}&month=2025-03"),
        "stmt_q": Call("get", f"{statement}?partner={partner_q.pk}&month=2025-03"),
        "update": Call("patch", reverse("delivery-detail", args=[delivery_p.pk]), {"quantity": 3}),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  read_p  read_q  stmt_p  stmt_q  update
        street_admin       200   200     200     200     200     405
        street_cadre       200   200     200     200     200     405
        # Local staff: deliveries to their residents; partners' statements are not theirs.
        community_cadre    200   200     404     404     404     405
        grid_leader        200   200     404     404     404     405
        grid_worker        200   200     404     404     404     405
        other_grid_worker  200   404     200     404     404     405
        partner_staff      200   200     404     200     404     405
        party_officer      403   404     404     403     403     405
        outsider           403   404     404     403     403     405
        anonymous          401   401     401     401     401     401
        """,
    )


def test_pages_matrix(request, partner_p, partner_q, referral_p, referral_q, delivery_p):
    actions = {
        "list": Call("get", reverse("services:delivery-list")),
        "log_p": Call("get", reverse("services:delivery-create", args=[referral_p.pk])),
        "log_q": Call("get", reverse("services:delivery-create", args=[referral_q.pk])),
        "stmt_p": Call("get", reverse("services:partner-statement", args=[partner_p.pk])),
        "stmt_q": Call("get", reverse("services:partner-statement", args=[partner_q.pk])),
        "export_q": Call("get", reverse("services:partner-statement-export", args=[partner_q.pk])),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  log_p  log_q  stmt_p  stmt_q  export_q
        street_admin       200   200    200    200     200     200
        street_cadre       200   200    200    200     200     200
        # They see the referral of their resident but do not deliver: 403; the other grid's: 404.
        community_cadre    200   403    404    404     404     404
        grid_leader        200   403    404    404     404     404
        grid_worker        200   403    404    404     404     404
        other_grid_worker  200   404    403    404     404     404
        partner_staff      200   200    404    200     404     404
        party_officer      403   404    404    404     404     404
        outsider           403   404    404    404     404     404
        anonymous          302   302    302    302     302     302
        """,
        perform=page_call,
    )


def test_grid_worker_lists_only_deliveries_of_own_grid_residents(
    client, api_client_for, grid_worker, delivery_p, delivery_q
):
    rows = api_client_for(grid_worker).get(reverse("delivery-list")).json()["results"]
    assert [row["id"] for row in rows] == [delivery_p.pk]

    login(client, grid_worker)
    page = client.get(reverse("services:delivery-list"))
    assert page.status_code == 200
    assert [d.pk for d in page.context["page"]] == [delivery_p.pk]
    assert "李建国" not in page.content.decode()  # resident_b, of grid B


def test_partner_staff_list_only_their_organisations_deliveries(
    api_client_for, partner_staff, delivery_p, delivery_q
):
    rows = api_client_for(partner_staff).get(reverse("delivery-list")).json()["results"]

    assert [row["id"] for row in rows] == [delivery_p.pk]


# --- API -----------------------------------------------------------------------------------


def test_api_create_on_a_referral(api_client_for, partner_staff, referral_p):
    response = api_client_for(partner_staff).post(
        reverse("delivery-list"),
        {
            "referral": referral_p.pk,
            "delivered_at": this_minute().isoformat(),
            "quantity": "1.5",
            "staff_name": "李阿姨",
            "verification": "face",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["partner"] == referral_p.partner_id
    assert "resident" not in body  # partner staff get the name, never the registry id
    assert body["resident_name"] == referral_p.resident.name
    assert body["subsidy"] == "30.00"
    assert Delivery.objects.get().referral == referral_p


def test_api_create_bad_input_is_400_with_field_errors(api_client_for, partner_staff, referral_p):
    response = api_client_for(partner_staff).post(
        reverse("delivery-list"),
        {"referral": referral_p.pk, "quantity": "0", "staff_name": ""},
        format="json",
    )

    assert response.status_code == 400
    assert {"quantity", "staff_name", "verification", "delivered_at"} <= set(response.json())
    assert not Delivery.objects.exists()


def test_api_create_for_another_organisation_is_400(
    api_client_for, partner_staff, partner_q, referral_q, cleaning, resident_a
):
    client = api_client_for(partner_staff)
    base = {
        "delivered_at": "2025-03-05T09:30:00+08:00",
        "quantity": "1",
        "staff_name": "甲",
        "verification": "card",
    }

    on_their_referral = client.post(
        reverse("delivery-list"), base | {"referral": referral_q.pk}, format="json"
    )
    for_their_partner = client.post(
        reverse("delivery-list"),
        base | {"partner": partner_q.pk, "service_item": cleaning.pk},
        format="json",
    )

    assert on_their_referral.status_code == 400
    assert "referral" in on_their_referral.json()
    assert for_their_partner.status_code == 400
    assert "partner" in for_their_partner.json()  # "does not exist", like a missing one
    assert not Delivery.objects.exists()


def test_api_create_service_errors_are_400(api_client_for, partner_staff, referral_p):
    Referral.objects.filter(pk=referral_p.pk).update(status=Status.COMPLETED)
    response = api_client_for(partner_staff).post(
        reverse("delivery-list"),
        {
            "referral": referral_p.pk,
            "delivered_at": this_minute().isoformat(),
            "quantity": "1",
            "staff_name": "甲",
            "verification": "card",
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["referral"]


def test_api_filters(api_client_for, street_cadre, partner_p, cleaning, resident_a, delivery_p):
    march = DeliveryFactory(
        partner=partner_p,
        service_item=cleaning,
        resident=resident_a,
        delivered_at=local_dt(2025, 3, 31, 23, 30),
    )
    DeliveryFactory(
        partner=partner_p,
        service_item=cleaning,
        resident=resident_a,
        delivered_at=local_dt(2025, 4, 1, 0, 10),
    )
    client = api_client_for(street_cadre)

    def ids(**params):
        response = client.get(reverse("delivery-list"), params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(month="2025-03") == {delivery_p.pk, march.pk}
    assert ids(referral=delivery_p.referral_id) == {delivery_p.pk}
    assert ids(partner=partner_p.pk, resident=resident_a.pk, service_item=cleaning.pk) == (
        ids() - set()
    )
    assert client.get(reverse("delivery-list"), {"month": "2025-13"}).status_code == 400


def test_api_list_queries_are_constant(
    api_client_for, street_cadre, partner_staff, grid_a, partner_p, cleaning, referral_p
):
    def add_rows(n):
        for _ in range(n):
            resident = ResidentFactory(household=HouseholdFactory(grid=grid_a))
            DeliveryFactory(
                partner=partner_p, service_item=cleaning, resident=resident, referral=referral_p
            )

    for user, expected in ((street_cadre, 2), (partner_staff, 3)):
        Delivery.objects.all().delete()
        client = api_client_for(user)
        # 2: the count; the page (delivery, partner, service, resident, referral and meal log in
        # one join). Partner staff 3: their partners resolved first (one query per request).
        assert_constant_queries(
            add_rows=add_rows,
            fetch=lambda client=client: client.get(reverse("delivery-list")),
            expected=expected,
        )


def test_page_list_queries_are_constant(
    client,
    street_cadre,
    partner_staff,
    grid_worker,
    grid_a,
    partner_p,
    cleaning,
    meal_item,
    referral_p,
):
    def add_rows(n):
        for _ in range(n):
            resident = ResidentFactory(household=HouseholdFactory(grid=grid_a))
            DeliveryFactory(
                partner=partner_p,
                service_item=cleaning,
                resident=resident,
                referral=referral_p,
                feedback="好",
            )
            MealLogFactory(
                delivery__partner=partner_p,
                delivery__service_item=meal_item,
                delivery__resident=resident,
                resident=resident,
            )

    # street cadre 6: the user; the count; the bell; the filter's partners and
    # services; the page (delivery, partner, service, resident, referral and meal log in one
    # join). Partner staff and grid worker 7: their scope's resolution besides (one query per
    # request). Nobody's permissions: the role answers them (portal/backends.py).
    for user, expected in ((street_cadre, 6), (partner_staff, 7), (grid_worker, 7)):
        Delivery.objects.all().delete()
        login(client, user)
        url = reverse("services:delivery-list") + "?month=2025-03"
        assert_constant_queries(
            add_rows=add_rows, fetch=lambda url=url: client.get(url), expected=expected
        )


# --- The "log a delivery" page and the referral's deliveries --------------------------------


def test_log_a_delivery_page(client, partner_staff, referral_p):
    login(client, partner_staff)
    url = reverse("services:delivery-create", args=[referral_p.pk])

    form = client.get(url)
    assert form.status_code == 200
    assert "subsidy" not in form.context["form"].fields  # the street's rate decides
    assert 'type="datetime-local"' in form.content.decode()

    response = client.post(
        url,
        {
            "delivered_at": this_minute().strftime("%Y-%m-%dT%H:%M"),
            "quantity": "2",
            "verification": "card",
            "staff_name": "李阿姨",
            "feedback": "满意",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("services:referral-detail", args=[referral_p.pk])
    delivery = Delivery.objects.get()
    assert (delivery.quantity, delivery.subsidy, delivery.recorded_by) == (
        Decimal("2"),
        Decimal("40.00"),
        partner_staff,
    )
    assert timezone.localtime(delivery.delivered_at).strftime(
        "%Y-%m-%d %H:%M"
    ) == this_minute().strftime("%Y-%m-%d %H:%M")


def test_log_a_delivery_page_shows_errors(client, partner_staff, referral_p):
    login(client, partner_staff)
    response = client.post(
        reverse("services:delivery-create", args=[referral_p.pk]),
        {"delivered_at": "", "quantity": "0", "staff_name": "甲"},
    )

    assert response.status_code == 400
    assert {"delivered_at", "quantity", "verification"} <= set(response.context["form"].errors)
    assert not Delivery.objects.exists()


def test_log_a_delivery_page_is_403_once_the_referral_is_completed(
    client, partner_staff, referral_p
):
    Referral.objects.filter(pk=referral_p.pk).update(status=Status.COMPLETED)
    login(client, partner_staff)

    response = client.get(reverse("services:delivery-create", args=[referral_p.pk]))

    assert response.status_code == 403


def test_not_even_the_street_sets_the_subsidy_on_the_page(client, street_cadre, referral_p):
    login(client, street_cadre)
    client.post(
        reverse("services:delivery-create", args=[referral_p.pk]),
        {
            "delivered_at": this_minute().strftime("%Y-%m-%dT%H:%M"),
            "quantity": "2",
            "verification": "phone",
            "staff_name": "李阿姨",
            "subsidy": "12.5",
        },
    )

    # The catalogue's 20 yuan per hour × 2; the street corrects by an adjustment instead.
    assert Delivery.objects.get().subsidy == Decimal("40.00")


def test_the_referral_snippet_lists_deliveries_and_the_button(
    partner_staff, grid_worker, referral_p, delivery_p
):
    def render(user):
        context = referral_deliveries_context(actor=user, referral=referral_p)
        return context, render_to_string(
            context["partner_actions_extra_template"], {"referral": referral_p, **context}
        )

    context, html = render(partner_staff)
    assert context["can_log_delivery"] is True
    assert [d.pk for d in context["referral_deliveries"]] == [delivery_p.pk]
    assert reverse("services:delivery-create", args=[referral_p.pk]) in html
    assert 'data-testid="referral-delivery"' in html

    context, html = render(grid_worker)  # sees the deliveries, may not log one
    assert context["can_log_delivery"] is False
    assert reverse("services:delivery-create", args=[referral_p.pk]) not in html
    assert 'data-testid="referral-delivery"' in html


# --- The monthly statement ------------------------------------------------------------------


@pytest.fixture
def month_of_deliveries(partner_p, partner_q, cleaning, meal_item, grid_a):
    """March 2025 for partner P (with its edges), plus noise: February, April and partner Q."""
    residents = [ResidentFactory(household=HouseholdFactory(grid=grid_a)) for _ in range(4)]
    rows = [
        (partner_p, cleaning, residents[0], local_dt(2025, 3, 1, 0, 0), "2", None),
        (partner_p, cleaning, residents[0], local_dt(2025, 3, 15, 9), "1.5", None),
        (partner_p, cleaning, residents[1], local_dt(2025, 3, 31, 23, 59), "3", "10"),
        (partner_p, meal_item, residents[0], local_dt(2025, 3, 2, 12), "1", None),
        (partner_p, meal_item, residents[2], local_dt(2025, 3, 2, 12), "1", None),
        (partner_p, meal_item, residents[2], local_dt(2025, 3, 3, 18), "2", "0"),
        (partner_p, cleaning, residents[3], local_dt(2025, 2, 28, 23, 59), "1", None),
        (partner_p, cleaning, residents[3], local_dt(2025, 4, 1, 0, 0), "1", None),
        (partner_q, cleaning, residents[3], local_dt(2025, 3, 10), "5", None),
    ]
    for partner, item, resident, at, quantity, subsidy in rows:
        quantity = Decimal(quantity)
        DeliveryFactory(
            partner=partner,
            service_item=item,
            resident=resident,
            delivered_at=at,
            quantity=quantity,
            subsidy=Decimal(subsidy) if subsidy is not None else quantity * item.subsidy,
        )


def direct_sums(partner, month="2025-03"):
    """From the Delivery rows themselves, in Python: item id → (count, quantity, subsidy, residents)."""
    chosen = [
        d
        for d in Delivery.objects.filter(partner=partner)
        if timezone.localtime(d.delivered_at).strftime("%Y-%m") == month
    ]
    sums = {}
    for item_id in {d.service_item_id for d in chosen}:
        mine = [d for d in chosen if d.service_item_id == item_id]
        sums[item_id] = (
            len(mine),
            sum(d.quantity for d in mine),
            sum(d.subsidy for d in mine),
            len({d.resident_id for d in mine}),
        )
    total = (
        len(chosen),
        sum(d.quantity for d in chosen),
        sum(d.subsidy for d in chosen),
        len({d.resident_id for d in chosen}),
    )
    return sums, total


def figures(line):
    return (line.deliveries, line.quantity, line.subsidy, line.residents)


def test_the_statement_reconciles_with_the_deliveries(street_cadre, partner_p, month_of_deliveries):
    statement = partner_statement(actor=street_cadre, partner=partner_p, month="2025-03")

    sums, total = direct_sums(partner_p)
    assert {line.service_item_id: figures(line) for line in statement.lines} == sums
    assert figures(statement.total) == total
    assert total == (6, Decimal("10.5"), Decimal("96.00"), 3)  # edges of the month included


def test_partner_staff_see_their_statement_in_full(
    partner_staff, street_cadre, partner_p, month_of_deliveries
):
    mine = partner_statement(actor=partner_staff, partner=partner_p, month=Month(2025, 3))
    street = partner_statement(actor=street_cadre, partner=partner_p, month=Month(2025, 3))

    assert mine == street


def test_statement_page(client, partner_staff, partner_p, month_of_deliveries):
    login(client, partner_staff)
    response = client.get(
        reverse("services:partner-statement", args=[partner_p.pk]), {"month": "2025-03"}
    )

    assert response.status_code == 200
    assert figures(response.context["statement"].total) == direct_sums(partner_p)[1]
    assert 'type="month"' in response.content.decode()

    bad = client.get(reverse("services:partner-statement", args=[partner_p.pk]), {"month": "03/25"})
    assert bad.status_code == 400


def test_statement_index_sends_partner_staff_to_theirs(client, partner_staff, partner_p):
    login(client, partner_staff)

    response = client.get(reverse("services:statement-index"))

    assert response.status_code == 302
    assert response["Location"] == reverse("services:partner-statement", args=[partner_p.pk])


def test_the_excel_export_opens_and_its_totals_equal_the_deliveries(
    client, street_cadre, partner_p, month_of_deliveries
):
    login(client, street_cadre)
    response = client.get(
        reverse("services:partner-statement-export", args=[partner_p.pk]), {"month": "2025-03"}
    )

    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == statement_headers()
    sums, total = direct_sums(partner_p)
    *lines, totals = rows[1:]
    assert len(lines) == len(sums)

    def numbers(row):
        _item, _unit, count, quantity, subsidy, residents = row
        return (count, Decimal(str(quantity)), Decimal(str(subsidy)), residents)

    assert numbers(totals) == total
    assert sum(numbers(r)[0] for r in lines) == total[0]
    assert sum(numbers(r)[2] for r in lines) == total[2]
    event = AuditEvent.objects.get(action="export")
    assert event.details["rows"] == len(sums) + 1
    assert event.details["filters"] == {"partner": partner_p.pk, "month": "2025-03"}


def test_api_statement(api_client_for, partner_staff, partner_p, month_of_deliveries):
    client = api_client_for(partner_staff)
    url = reverse("delivery-statement")

    body = client.get(url, {"partner": partner_p.pk, "month": "2025-03"}).json()

    sums, total = direct_sums(partner_p)
    assert body["month"] == "2025-03"
    assert body["partner"]["id"] == partner_p.pk
    assert {
        item["service_item"]: (
            item["deliveries"],
            Decimal(item["quantity"]),
            Decimal(item["subsidy"]),
            item["residents"],
        )
        for item in body["items"]
    } == sums
    assert body["total"]["deliveries"] == total[0]
    assert Decimal(body["total"]["subsidy"]) == total[2]
    assert client.get(url, {"partner": partner_p.pk, "month": "March"}).status_code == 400
    assert client.get(url, {"month": "2025-03"}).status_code == 400
