"""Deliveries (服务记录) logged by partners, the meal logs of canteens, and meal-log imports."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import SyncedModel
from services.catalogue.models import Partner, ServiceItem
from services.deliveries.querysets import DeliveryQuerySet, MealImportQuerySet, MealLogQuerySet
from services.referrals.models import Referral

CENT = Decimal("0.01")
# Referral states in which the partner is serving the resident, so deliveries may be logged.
LOGGABLE_REFERRAL_STATES = frozenset({Referral.Status.ACCEPTED, Referral.Status.IN_SERVICE})
# A meal delivered before this local hour is lunch, from it on dinner.
DINNER_FROM_HOUR = 15
MEAL_TAKEN = _("This resident already has a subsidised meal for this date and meal.")
MONTH_CLOSED = _(
    "The statement of %(month)s is closed: nothing in it changes; a correction is an "
    "adjustment in the next open month."
)


def month_start(moment: datetime.datetime | datetime.date) -> datetime.date:
    """The first day of the month `moment` falls in (local time for a datetime)."""
    if isinstance(moment, datetime.datetime):
        moment = timezone.localdate(moment)
    return moment.replace(day=1)


def month_bounds(first: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[first moment, first moment of the next month) of the month starting `first`, local."""
    tz = timezone.get_current_timezone()
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return (
        datetime.datetime(first.year, first.month, 1, tzinfo=tz),
        datetime.datetime(following.year, following.month, 1, tzinfo=tz),
    )


def default_subsidy(*, service_item: ServiceItem, quantity) -> Decimal:
    """Quantity × the item's subsidy per unit, to the cent: the street's rate decides the money."""
    return (Decimal(quantity) * service_item.subsidy).quantize(CENT, rounding=ROUND_HALF_UP)


class Delivery(SyncedModel):
    """服务记录 — one service a partner delivered to one resident: when, how much, verified how."""

    class Verification(models.TextChoices):
        CARD = "card", _("Card swipe")
        FACE = "face", _("Face recognition")
        SIGNATURE = "signature", _("Signature")
        PHONE = "phone", _("Phone confirmation")

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="deliveries"
    )
    service_item = models.ForeignKey(
        ServiceItem, verbose_name=_("service"), on_delete=models.PROTECT, related_name="deliveries"
    )
    resident = models.ForeignKey(
        "grids.Resident",
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    referral = models.ForeignKey(
        "services.Referral",
        verbose_name=_("referral"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    delivered_at = models.DateTimeField(_("delivered at"))
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    staff_name = models.CharField(_("delivered by (staff)"), max_length=64)
    verification = models.CharField(_("verified by"), max_length=16, choices=Verification.choices)
    subsidy = models.DecimalField(
        _("subsidy (yuan)"),
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(Decimal("0"))],
    )
    feedback = models.TextField(_("resident's feedback"), blank=True)
    meal_import = models.ForeignKey(
        "services.MealImport",
        verbose_name=_("imported from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    # The resident's jurisdiction columns (grids.Resident.scope_grid / scope_community), copied
    # by database triggers whenever the delivery is written or its resident's jurisdiction
    # changes (migration 0015), as referrals carry them: a community's or a grid's deliveries
    # are read from their own index range instead of joining every delivery to the residents.
    # Never set or read them in code — scope reads them through `RegistryScope.residents_q`.
    scope_grid = models.BigIntegerField(null=True, editable=False)
    scope_community = models.BigIntegerField(null=True, editable=False)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-delivered_at", "-id"]
        indexes = [
            models.Index(fields=["partner", "delivered_at"], name="delivery_partner_month"),
            models.Index(fields=["-delivered_at", "-id"], name="delivery_newest_first"),
            # The same order within a grid or a community (the scoped lists, the dashboard's
            # months: an index range instead of every delivery of the district).
            models.Index(
                fields=["scope_grid", "-delivered_at", "-id"], name="delivery_grid_newest"
            ),
            models.Index(
                fields=["scope_community", "-delivered_at", "-id"],
                name="delivery_community_newest",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="delivery_quantity"),
            models.CheckConstraint(condition=models.Q(subsidy__gte=0), name="delivery_subsidy"),
        ]

    def __str__(self):
        return f"{self.service_item} · {self.resident} · {self.delivered_at:%Y-%m-%d}"

    def clean(self):
        """What the street's rules bound, whoever records the delivery (page, API, import):
        the quantity within the catalogue item's bound per delivery; the date not after today
        and not before the referral it is logged on was created. (Whether the month's statement
        is still open is checked by the writes, on the locked partner row.)"""
        errors: dict[str, list] = {}
        item = self.service_item if self.service_item_id else None
        if item is not None and isinstance(self.quantity, Decimal):
            limit = item.quantity_limit
            if self.quantity > limit:
                errors.setdefault("quantity", []).append(
                    ValidationError(
                        _("Quantity: at most %(limit)s %(unit)s per delivery of this service."),
                        code="quantity_limit",
                        params={"limit": limit.normalize(), "unit": item.get_unit_display()},
                    )
                )
        if isinstance(self.delivered_at, datetime.datetime):
            day = timezone.localdate(self.delivered_at)
            if day > timezone.localdate():
                errors.setdefault("delivered_at", []).append(
                    ValidationError(
                        _("Delivered at: the date cannot be after today."), code="future"
                    )
                )
            if self.referral_id is not None:
                created = timezone.localdate(self.referral.created_at)
                if day < created:
                    errors.setdefault("delivered_at", []).append(
                        ValidationError(
                            _(
                                "Delivered at: the date cannot be before the referral was "
                                "created (%(date)s)."
                            ),
                            code="before_referral",
                            params={"date": created.isoformat()},
                        )
                    )
        if errors:
            raise ValidationError(errors)


class MealLog(models.Model):
    """助餐记录 — the meal behind a meal delivery: one resident, one date, one slot.

    A subsidised meal is unique per resident, date and slot (a database constraint, so two
    imports or two clicks at once cannot both pay the subsidy).
    """

    class Slot(models.TextChoices):
        LUNCH = "lunch", _("Lunch")
        DINNER = "dinner", _("Dinner")

    delivery = models.OneToOneField(
        Delivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="meal",
    )
    resident = models.ForeignKey(
        "grids.Resident", verbose_name=_("resident"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    slot = models.CharField(_("meal"), max_length=8, choices=Slot.choices)
    subsidised = models.BooleanField(_("subsidised"), default=True)

    objects = MealLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("meal log")
        verbose_name_plural = _("meal logs")
        ordering = ["-date", "slot"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "date", "slot"],
                condition=models.Q(subsidised=True),
                name="meal_subsidised_once_per_slot",
                violation_error_message=MEAL_TAKEN,
            )
        ]

    def __str__(self):
        return f"{self.resident_id} · {self.date} · {self.get_slot_display()}"

    @classmethod
    def slot_at(cls, moment: datetime.datetime) -> str:
        """The meal a delivery at `moment` (local time) counts as."""
        local = timezone.localtime(moment)
        return cls.Slot.LUNCH if local.hour < DINNER_FROM_HOUR else cls.Slot.DINNER


class MealImport(models.Model):
    """助餐导入 — one canteen's meal-log spreadsheet: checked (dry run), then imported whole."""

    class Status(models.TextChoices):
        CHECKED = "checked", _("Checked")
        COMMITTED = "committed", _("Imported")
        FAILED = "failed", _("Has errors")

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="meal_imports"
    )
    service_item = models.ForeignKey(
        ServiceItem, verbose_name=_("service"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="meal-imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    objects = MealImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("meal-log import")
        verbose_name_plural = _("meal-log imports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.original_name


class ClosedStatement(models.Model):
    """结算关账 — a partner's month whose statement the street has closed.

    From then on no delivery of that partner in that month is created, changed or deleted (the
    writes refuse it with a field error; a PostgreSQL trigger refuses it for every other path),
    and no adjustment is recorded in it. A correction is a StatementAdjustment in the next open
    month. `period_start`/`period_end` are the month's bounds in local time, so the trigger
    needs no time zone.
    """

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="closed_statements",
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    period_start = models.DateTimeField(_("from"), editable=False)
    period_end = models.DateTimeField(_("until"), editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("closed statement")
        verbose_name_plural = _("closed statements")
        ordering = ["-month", "partner"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "month"], name="statement_closed_once"),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="statement_closed_first_day"
            ),
        ]

    def __str__(self):
        return f"{self.partner_id} · {self.month:%Y-%m}"

    def save(self, *args, **kwargs):
        self.period_start, self.period_end = month_bounds(self.month)
        super().save(*args, **kwargs)


class StatementAdjustment(models.Model):
    """结算调整 — a correction of what the street pays for one delivery, recorded by the street
    in an open month (the first open month from the delivery's on), with the reason; its own
    line on that month's statement and part of its total. Never changed afterwards."""

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="statement_adjustments",
    )
    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.PROTECT, related_name="adjustments"
    )
    month = models.DateField(
        _("statement month"), help_text=_("The first day of the month whose statement has it.")
    )
    amount = models.DecimalField(
        _("amount (yuan)"),
        max_digits=10,
        decimal_places=2,
        help_text=_("Positive: the street pays more; negative: less."),
    )
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("statement adjustment")
        verbose_name_plural = _("statement adjustments")
        ordering = ["month", "created_at", "id"]
        indexes = [models.Index(fields=["partner", "month"], name="adjustment_partner_month")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount=0), name="statement_adjustment_not_zero"
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="statement_adjustment_first_day"
            ),
        ]

    def __str__(self):
        return f"{self.delivery_id} · {self.month:%Y-%m} · {self.amount}"
