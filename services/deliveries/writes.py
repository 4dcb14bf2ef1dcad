"""Deliveries (服务记录): what a partner delivered, to whom, when, how much and how verified.

`delivery_log()` is the one way a delivery is written by hand (the page under a referral and
the API); meal-log spreadsheets are written by services/deliveries/meal_import.py. Who may log
is its gate, `access_delivery_log()` (services/deliveries/policy.py): street roles for any
partner, partner staff only for their own organisation. With a referral, it must be assigned
to that partner and accepted or in service — checked on the locked referral, as field errors.

A delivery of a meal item also records its MealLog (the slot from the time of day), so the
database constraint "one subsidised meal per resident, date and slot" holds however a meal is
recorded: by hand, twice at once, or in a spreadsheet.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.audit import audit_record
from services.catalogue.models import Partner, ServiceItem
from services.deliveries.models import (
    LOGGABLE_REFERRAL_STATES,
    MEAL_TAKEN,
    Delivery,
    MealLog,
    default_subsidy,
)
from services.deliveries.policy import access_delivery_log
from services.referrals.models import Referral

# Deliveries are logged after the fact; a few minutes of clock skew between phone and server.
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)


def delivery_log(
    *,
    actor,
    referral: Referral | None = None,
    partner: Partner,
    service_item: ServiceItem,
    resident,
    delivered_at: datetime.datetime,
    quantity,
    staff_name: str,
    verification: str,
    subsidy=None,
    feedback: str = "",
) -> Delivery:
    """Record one delivery by `partner` to `resident`, audited as `delivery.log`.

    Partner staff log only for their own organisation (PermissionDenied otherwise). With a
    referral, it must be assigned to `partner`, be accepted or in service, and be the
    resident's; the item must be one the partner provides. `subsidy` defaults to quantity ×
    the item's subsidy per unit. A meal item also records its MealLog; a second subsidised
    meal for the same resident, date and meal is refused. Bad input: ValidationError by field.
    """
    access_delivery_log(actor, partner)
    errors: dict[str, list] = {}
    if quantity is None:
        quantity_value = None
    else:
        try:
            quantity_value = Decimal(str(quantity))
        except ArithmeticError:
            quantity_value = None
            errors.setdefault("quantity", []).append(_("Enter a number."))
    if subsidy is None and quantity_value is not None and quantity_value > 0:
        subsidy = default_subsidy(service_item=service_item, quantity=quantity_value)
    if delivered_at is not None and delivered_at > timezone.now() + FUTURE_TOLERANCE:
        errors.setdefault("delivered_at", []).append(_("A delivery cannot lie in the future."))
    if not service_item.partners.filter(pk=partner.pk).exists():
        errors.setdefault("service_item", []).append(
            _("This partner does not provide this service.")
        )
    with transaction.atomic():
        if referral is not None:
            # Locked, so the referral cannot be completed or cancelled while this is written.
            referral = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
            _check_referral(
                referral,
                partner=partner,
                service_item=service_item,
                resident=resident,
                errors=errors,
            )
        delivery = Delivery(
            partner=partner,
            service_item=service_item,
            resident=resident,
            referral=referral,
            delivered_at=delivered_at,
            quantity=quantity_value,
            staff_name=(staff_name or "").strip(),
            verification=verification,
            subsidy=subsidy if subsidy is not None else Decimal("0"),
            feedback=(feedback or "").strip(),
            recorded_by=actor,
        )
        try:
            delivery.full_clean(exclude=list(errors))
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        meal = None
        if not errors and service_item.category == ServiceItem.Category.MEAL:
            meal = _meal_for(delivery, errors)
        if errors:
            raise ValidationError(errors)
        delivery.save()
        if meal is not None:
            _save_meal(meal, delivery)
        audit_record(
            actor=actor,
            action="delivery.log",
            obj=delivery,
            details={
                "partner": partner.pk,
                "referral": referral.pk if referral is not None else None,
                "quantity": str(delivery.quantity),
                "subsidy": str(delivery.subsidy),
            },
        )
    return delivery


def _check_referral(referral, *, partner, service_item, resident, errors) -> None:
    if referral.partner_id != partner.pk:
        errors.setdefault("referral", []).append(
            _("This referral is not assigned to this partner.")
        )
    elif referral.status not in LOGGABLE_REFERRAL_STATES:
        errors.setdefault("referral", []).append(
            _(
                "Deliveries are logged while a referral is accepted or in service; it is now “%(status)s”."
            )
            % {"status": referral.get_status_display()}
        )
    if resident is not None and referral.resident_id != resident.pk:
        errors.setdefault("resident", []).append(_("This is not the referral's resident."))
    if referral.service_item_id != service_item.pk:
        errors.setdefault("service_item", []).append(_("This is not the referral's service."))


def _meal_for(delivery: Delivery, errors: dict) -> MealLog | None:
    """The MealLog of a meal delivery; a subsidised meal is one portion, once per slot."""
    subsidised = delivery.subsidy > 0
    if subsidised and delivery.quantity != 1:
        errors.setdefault("quantity", []).append(
            _("A subsidised meal is one portion; log further portions without a subsidy.")
        )
        return None
    meal = MealLog(
        resident=delivery.resident,
        date=timezone.localdate(delivery.delivered_at),
        slot=MealLog.slot_at(delivery.delivered_at),
        subsidised=subsidised,
    )
    if subsidised and (
        MealLog.objects.filter(
            resident=delivery.resident, date=meal.date, slot=meal.slot, subsidised=True
        ).exists()
    ):
        errors.setdefault("delivered_at", []).append(MEAL_TAKEN)
        return None
    return meal


def _save_meal(meal: MealLog, delivery: Delivery) -> None:
    """Two clicks at once pass the check above; the database constraint stops the second."""
    meal.delivery = delivery
    try:
        with transaction.atomic():
            meal.save(force_insert=True)
    except IntegrityError:
        raise ValidationError({"delivered_at": [MEAL_TAKEN]}) from None
