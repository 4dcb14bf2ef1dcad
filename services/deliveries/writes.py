"""Deliveries (服务记录): what a partner delivered, to whom, when, how much and how verified.

`delivery_log()` is the one way a delivery is written by hand (the page under a referral and
the API); meal-log spreadsheets are written by services/deliveries/meal_import.py. Who may log
is its gate, `access_delivery_log()` (services/deliveries/policy.py): street roles for any
partner, partner staff only for their own organisation. With a referral, it must be assigned
to that partner and accepted or in service — checked on the locked referral, as field errors.

A delivery of a meal item also records its MealLog (the slot from the time of day), so the
database constraint "one subsidised meal per resident, date and slot" holds however a meal is
recorded: by hand, twice at once, or in a spreadsheet.

The money is the street's: a delivery's subsidy is always `default_subsidy()` (quantity × the
catalogue item's subsidy per unit), never a number from the request. The street closes a
partner's month (`statement_close`); from then on nothing in it is created, changed or deleted
— every write here locks the partner's row first and checks the month under that lock, so a
delivery written while the month is being closed either lands before the close or is refused.
A correction is `statement_adjust`: an audited adjustment in the first open month from the
delivery's on, shown on that month's statement.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.audit import audit_record
from services.catalogue.models import Partner, ServiceItem
from services.deliveries.models import (
    LOGGABLE_REFERRAL_STATES,
    MEAL_TAKEN,
    MONTH_CLOSED,
    ClosedStatement,
    Delivery,
    MealLog,
    StatementAdjustment,
    default_subsidy,
    month_bounds,
    month_start,
)
from services.deliveries.policy import (
    access_delivery_log,
    access_statement_adjust,
    access_statement_close,
)
from services.deliveries.statements import Month
from services.referrals.models import Referral
from services.referrals.plans import plan_check

# Deliveries are logged after the fact; a few minutes of clock skew between phone and server.
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)
# No single correction moves a hundred thousand yuan (the amount field holds ten digits).
ADJUSTMENT_LIMIT = Decimal("100000")


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
    subsidised: bool = True,
    feedback: str = "",
) -> Delivery:
    """Record one delivery by `partner` to `resident`, audited as `delivery.log`.

    Partner staff log only for their own organisation (PermissionDenied otherwise). With a
    referral, it must be assigned to `partner`, be accepted or in service, and be the
    resident's; the item must be one the partner provides. The subsidy is quantity × the
    item's subsidy per unit (nothing when `subsidised` is False: a meal the resident paid in
    full); the quantity within the item's bound; the date not before the referral was created,
    not after today, not in a month whose statement is closed. A meal item also records its
    MealLog; a second subsidised meal for the same resident, date and meal is refused. Bad
    input: ValidationError by field.
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
    subsidy = Decimal("0.00")
    if subsidised and quantity_value is not None and quantity_value > 0:
        subsidy = default_subsidy(service_item=service_item, quantity=quantity_value)
    if delivered_at is not None and delivered_at > timezone.now() + FUTURE_TOLERANCE:
        errors.setdefault("delivered_at", []).append(_("A delivery cannot lie in the future."))
    if not service_item.partners.filter(pk=partner.pk).exists():
        errors.setdefault("service_item", []).append(
            _("This partner does not provide this service.")
        )
    with transaction.atomic():
        _lock_statements(partner)
        if delivered_at is not None and _closed(partner, delivered_at):
            errors.setdefault("delivered_at", []).append(_closed_message(delivered_at))
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
            if "referral" not in errors:
                # The service plan, if any: within its days and its period's quantity.
                for field, messages in plan_check(
                    referral, delivered_at=delivered_at, quantity=quantity_value
                ).items():
                    errors.setdefault(field, []).extend(messages)
        delivery = Delivery(
            partner=partner,
            service_item=service_item,
            resident=resident,
            referral=referral,
            delivered_at=delivered_at,
            quantity=quantity_value,
            staff_name=(staff_name or "").strip(),
            verification=verification,
            subsidy=subsidy,
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


# --- Closed statements and adjustments --------------------------------------------------------


def statement_close(*, actor, partner: Partner, month: Month) -> ClosedStatement:
    """Close `partner`'s statement of `month` (a month that has ended), audited as
    `statement.close` with the totals it closed on. Closing a closed month again changes
    nothing and returns the closure."""
    access_statement_close(actor, partner)
    if not month < Month.current():
        raise ValidationError(
            {"month": [_("Only a month that has ended can be closed.")]}, code="month_open"
        )
    first = datetime.date(month.year, month.month, 1)
    with transaction.atomic():
        _lock_statements(partner)
        existing = ClosedStatement.objects.filter(partner=partner, month=first).first()
        if existing is not None:
            return existing
        closure = ClosedStatement(partner=partner, month=first, closed_by=actor)
        closure.full_clean(exclude=["period_start", "period_end"])
        closure.save()
        start, end = month_bounds(first)
        deliveries = Delivery.objects.filter(
            partner=partner, delivered_at__gte=start, delivered_at__lt=end
        ).aggregate(n=Count("pk"), subsidy=Sum("subsidy"))
        adjustments = StatementAdjustment.objects.filter(partner=partner, month=first).aggregate(
            n=Count("pk"), amount=Sum("amount")
        )
        audit_record(
            actor=actor,
            action="statement.close",
            obj=closure,
            details={
                "partner": partner.pk,
                "month": str(month),
                "deliveries": deliveries["n"],
                "subsidy": str(deliveries["subsidy"] or Decimal("0.00")),
                "adjustments": adjustments["n"],
                "adjusted": str(adjustments["amount"] or Decimal("0.00")),
            },
        )
    return closure


def statement_adjust(*, actor, delivery: Delivery, amount, reason: str) -> StatementAdjustment:
    """Correct what the street pays for `delivery` by `amount` (yuan, + or −), with the reason:
    recorded in the first open month from the delivery's month on (the next open month when
    the delivery's is closed), audited as `statement.adjust`. What the street pays for the
    delivery never goes below nothing. Bad input: ValidationError by field."""
    access_statement_adjust(actor, delivery)
    errors: dict[str, list] = {}
    value = _amount(amount, errors)
    reason = (reason or "").strip()
    if not reason:
        errors.setdefault("reason", []).append(_("Reason: say why the amount is corrected."))
    with transaction.atomic():
        _lock_statements(delivery.partner)
        delivery = Delivery.objects.select_for_update(of=("self",)).get(pk=delivery.pk)
        paid = delivery.subsidy + (
            delivery.adjustments.aggregate(total=Sum("amount"))["total"] or Decimal("0")
        )
        if value is not None and paid + value < 0:
            errors.setdefault("amount", []).append(
                _(
                    "Amount: the street would pay less than nothing for this delivery (it pays "
                    "%(paid)s yuan now)."
                )
                % {"paid": paid}
            )
        adjustment = StatementAdjustment(
            partner_id=delivery.partner_id,
            delivery=delivery,
            month=_first_open_month(delivery.partner_id, month_start(delivery.delivered_at)),
            amount=value,
            reason=reason,
            created_by=actor,
        )
        try:
            adjustment.full_clean(exclude=[*errors, "delivery", "partner", "created_by"])
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
        adjustment.save()
        audit_record(
            actor=actor,
            action="statement.adjust",
            obj=adjustment,
            details={
                "delivery": delivery.pk,
                "partner": delivery.partner_id,
                "delivery_month": month_start(delivery.delivered_at).strftime("%Y-%m"),
                "month": adjustment.month.strftime("%Y-%m"),
                "amount": str(value),
                "paid_before": str(paid),
                "reason": reason,
            },
        )
    return adjustment


def _amount(amount, errors: dict) -> Decimal | None:
    try:
        value = Decimal(str(amount)) if amount not in (None, "") else None
    except ArithmeticError:
        value = None
    if value is None or not value.is_finite() or value != value.quantize(Decimal("0.01")):
        errors.setdefault("amount", []).append(_("Amount: enter yuan, e.g. -12.50 or 8."))
        return None
    if value == 0 or abs(value) >= ADJUSTMENT_LIMIT:
        errors.setdefault("amount", []).append(
            _("Amount: not zero, and less than %(limit)s yuan either way.")
            % {"limit": ADJUSTMENT_LIMIT}
        )
        return None
    return value


def _lock_statements(partner: Partner) -> None:
    """Lock the partner's row: closing a month, adjusting, logging and importing deliveries of
    one partner run one after the other, so a close cannot slip between a write's check of the
    month and its insert (the meal import takes the same lock)."""
    Partner.objects.select_for_update(no_key=True).filter(pk=partner.pk).first()


def _closed(partner: Partner, moment: datetime.datetime) -> bool:
    return ClosedStatement.objects.filter(partner=partner, month=month_start(moment)).exists()


def _closed_message(moment: datetime.datetime) -> str:
    return MONTH_CLOSED % {"month": month_start(moment).strftime("%Y-%m")}


def _first_open_month(partner_id: int, first: datetime.date) -> datetime.date:
    """The first month from `first` on whose statement is open (the current month always is:
    only months that have ended are closed)."""
    closed = set(
        ClosedStatement.objects.filter(partner_id=partner_id, month__gte=first).values_list(
            "month", flat=True
        )
    )
    while first in closed:
        first = (first + datetime.timedelta(days=32)).replace(day=1)
    return first
