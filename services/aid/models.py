"""Bundled aid (包裹式专项资助): bundles of lines from several funders, aid cases per household,
and the disbursements each funder makes."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.models import SyncedModel
from portal.validators import uscc_normalize, validate_uscc
from services.aid.querysets import AidCaseQuerySet, DisbursementQuerySet, StreetAndLocalQuerySet
from services.catalogue.models import Partner


class Funder(SyncedModel):
    """资助方 — who pays for a line of a bundle: a department, a foundation, an enterprise."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government department")
        FOUNDATION = "foundation", _("Charity foundation")
        ENTERPRISE = "enterprise", _("Enterprise")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Optional (a government department may have none to hand), unique when given: empty is
    # stored as NULL so that many funders may lack it.
    uscc = models.CharField(
        _("unified social credit code"),
        max_length=18,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_uscc],
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="funders",
    )

    objects = StreetAndLocalQuerySet.as_manager()

    class Meta:
        verbose_name = _("funder")
        verbose_name_plural = _("funders")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean_fields(self, exclude=None):
        self.uscc = uscc_normalize(self.uscc or "") or None
        super().clean_fields(exclude=exclude)


class AidItem(models.TextChoices):
    """What a line of aid pays for; the same item twice for one period is double funding."""

    LIVING = "living", _("Living costs")
    EDUCATION = "education", _("Education")
    MEDICAL = "medical", _("Medical costs")
    HOUSING = "housing", _("Housing")
    REHABILITATION = "rehabilitation", _("Rehabilitation")
    HEATING = "heating", _("Heating and utilities")
    OTHER = "other", _("Other")


class AidBundle(SyncedModel):
    """资助包 — a package of aid lines from several funders, for a period."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    period_start = models.DateField(pgettext_lazy("aid period", "from"))
    period_end = models.DateField(pgettext_lazy("aid period", "to"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = StreetAndLocalQuerySet.as_manager()

    class Meta:
        verbose_name = _("aid bundle")
        verbose_name_plural = _("aid bundles")
        ordering = ["-period_start", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="aid_bundle_period",
                violation_error_message=_("The period must end on or after its start."),
            )
        ]

    def __str__(self):
        return self.name


class AidBundleLine(models.Model):
    """资助明细 — one line of a bundle: an item, an amount per case, and who funds it."""

    bundle = models.ForeignKey(
        AidBundle, verbose_name=_("bundle"), on_delete=models.CASCADE, related_name="lines"
    )
    item = models.CharField(_("item"), max_length=16, choices=AidItem.choices)
    amount = models.DecimalField(
        _("amount (yuan)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    funder = models.ForeignKey(
        Funder, verbose_name=_("funder"), on_delete=models.PROTECT, related_name="lines"
    )

    objects = StreetAndLocalQuerySet.as_manager()

    class Meta:
        verbose_name = _("aid bundle line")
        verbose_name_plural = _("aid bundle lines")
        ordering = ["bundle", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="aid_line_amount"),
        ]

    def __str__(self):
        return f"{self.get_item_display()} · {self.amount} · {self.funder}"


class AidCase(SyncedModel):
    """资助个案 — one household receiving one bundle for a period (within the bundle's)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    household = models.ForeignKey(
        "grids.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="aid_cases",
    )
    bundle = models.ForeignKey(
        AidBundle, verbose_name=_("bundle"), on_delete=models.PROTECT, related_name="cases"
    )
    beneficiary = models.ForeignKey(
        "grids.Resident",
        verbose_name=_("beneficiary"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="aid_cases",
    )
    period_start = models.DateField(pgettext_lazy("aid period", "from"))
    period_end = models.DateField(pgettext_lazy("aid period", "to"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    note = models.TextField(_("note"), blank=True)
    referral = models.ForeignKey(
        "services.Referral",
        verbose_name=_("referral"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = AidCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("aid case")
        verbose_name_plural = _("aid cases")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="aid_case_period",
                violation_error_message=_("The period must end on or after its start."),
            )
        ]

    def __str__(self):
        return f"{self.household} · {self.bundle}"

    def clean(self):
        if (
            self.beneficiary_id
            and self.household_id
            and (self.beneficiary.household_id != self.household_id)
        ):
            raise ValidationError(
                {"beneficiary": _("The beneficiary must live in this household.")}
            )


class Disbursement(models.Model):
    """发放记录 — money one funder paid out on one line of one aid case."""

    case = models.ForeignKey(
        AidCase, verbose_name=_("aid case"), on_delete=models.PROTECT, related_name="disbursements"
    )
    line = models.ForeignKey(
        AidBundleLine,
        verbose_name=_("bundle line"),
        on_delete=models.PROTECT,
        related_name="disbursements",
    )
    amount = models.DecimalField(
        _("amount (yuan)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    objects = DisbursementQuerySet.as_manager()

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="disbursement_amount"),
        ]

    def __str__(self):
        return f"{self.case_id} · {self.line} · {self.amount}"

    def clean(self):
        """A payment is dated neither in the future nor before its case opened (the case's
        period start, or the day the case was recorded if that came first)."""
        from datetime import date

        paid_on = self.paid_on if isinstance(self.paid_on, date) else None
        if paid_on is None:
            return
        if paid_on > timezone.localdate():
            raise ValidationError({"paid_on": _("A payment cannot be in the future.")})
        case = self.case if self.case_id else None
        if case is not None:
            opened = case.period_start
            if case.created_at is not None:
                opened = min(opened, timezone.localdate(case.created_at))
            if paid_on < opened:
                raise ValidationError(
                    {
                        "paid_on": _("A payment cannot be dated before its case opened (%(date)s).")
                        % {"date": opened.isoformat()}
                    }
                )
