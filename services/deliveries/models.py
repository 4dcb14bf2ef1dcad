"""Deliveries (服务记录) logged by partners, the meal logs of canteens, and meal-log imports."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from services.catalogue.models import Partner, ServiceItem
from services.deliveries.querysets import DeliveryQuerySet, MealImportQuerySet, MealLogQuerySet
from services.referrals.models import Referral

CENT = Decimal("0.01")
# Referral states in which the partner is serving the resident, so deliveries may be logged.
LOGGABLE_REFERRAL_STATES = frozenset({Referral.Status.ACCEPTED, Referral.Status.IN_SERVICE})
# A meal delivered before this local hour is lunch, from it on dinner.
DINNER_FROM_HOUR = 15
MEAL_TAKEN = _("This resident already has a subsidised meal for this date and meal.")


def default_subsidy(*, service_item: ServiceItem, quantity) -> Decimal:
    """Quantity × the item's subsidy per unit, to the cent: the street's rate decides the money."""
    return (Decimal(quantity) * service_item.subsidy).quantize(CENT, rounding=ROUND_HALF_UP)


class Delivery(models.Model):
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

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-delivered_at", "-id"]
        indexes = [
            models.Index(fields=["partner", "delivered_at"], name="delivery_partner_month"),
            models.Index(fields=["-delivered_at", "-id"], name="delivery_newest_first"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="delivery_quantity"),
            models.CheckConstraint(condition=models.Q(subsidy__gte=0), name="delivery_subsidy"),
        ]

    def __str__(self):
        return f"{self.service_item} · {self.resident} · {self.delivered_at:%Y-%m-%d}"


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
