"""Partner organisations, their staff grants and the service catalogue."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from portal.models import SyncedModel
from portal.validators import uscc_normalize, validate_uscc
from services.catalogue.querysets import PartnerQuerySet, ServiceItemQuerySet


class Partner(SyncedModel):
    """合作单位 — an outside organisation that delivers services under an agreement."""

    class Kind(models.TextChoices):
        CLINIC = "clinic", _("Hospital or clinic")
        HOUSEKEEPING = "housekeeping", _("Housekeeping firm")
        SOCIAL_ORG = "social_org", _("Social organisation")
        FOUNDATION = "foundation", _("Charity foundation")
        SCHOOL = "school", _("School")
        VOLUNTEER_TEAM = "volunteer_team", _("Volunteer team")
        COUNSELLING = "counselling", _("Counselling organisation")

    class AgreementState(models.TextChoices):
        IN_FORCE = "in_force", _("agreement in force")
        NOT_STARTED = "not_started", _("agreement not yet in force")
        ENDED = "ended", _("agreement ended")

    name = models.CharField(_("name"), max_length=100)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    agreement_start = models.DateField(_("agreement from"), null=True, blank=True)
    agreement_end = models.DateField(_("agreement to"), null=True, blank=True)
    dpa_signed = models.BooleanField(_("data-processing agreement signed"), default=False)

    objects = PartnerQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        ordering = ["name"]
        permissions = [("act_for_partner", _("Acts for this partner organisation"))]

    def __str__(self):
        return self.name

    def clean(self):
        if self.uscc:
            self.uscc = uscc_normalize(self.uscc)
        if (
            self.agreement_start
            and self.agreement_end
            and self.agreement_end < self.agreement_start
        ):
            raise ValidationError(
                {"agreement_end": _("The agreement cannot end before it starts.")}
            )

    def agreement_state_on(self, on: date) -> "Partner.AgreementState":
        """The agreement on the day `on`: both its first and its last day are in force, and an
        open start or end covers every day (the queryset's `agreement_state` says the same in
        SQL)."""
        if self.agreement_start and on < self.agreement_start:
            return self.AgreementState.NOT_STARTED
        if self.agreement_end and on > self.agreement_end:
            return self.AgreementState.ENDED
        return self.AgreementState.IN_FORCE

    def agreement_problem(self, on: date) -> str | None:
        """Why the partner may not take new work on the day `on` under its agreement, or None.

        New work is a referral assigned to it or a family-doctor contract starting with it;
        what it already holds runs on (the street winds it down or moves it).
        """
        state = self.agreement_state_on(on)
        if state == self.AgreementState.NOT_STARTED:
            return _(
                "The agreement with %(name)s starts on %(date)s: it cannot take new work before."
            ) % {"name": self.name, "date": self.agreement_start.isoformat()}
        if state == self.AgreementState.ENDED:
            return _(
                "The agreement with %(name)s ended on %(date)s: extend it on the partner's page "
                "before giving it new work."
            ) % {"name": self.name, "date": self.agreement_end.isoformat()}
        return None

    @property
    def agreement_state(self) -> "Partner.AgreementState":
        """The agreement today (the partner pages' badge, the API)."""
        return self.agreement_state_on(timezone.localdate())

    @property
    def agreement_days_left(self) -> int | None:
        """Days until an agreement in force ends, when that is within the reminder's
        PARTNER_AGREEMENT_REMINDER_DAYS (0 on its last day); else None."""
        today = timezone.localdate()
        if self.agreement_end is None or self.agreement_state_on(today) != "in_force":
            return None
        left = (self.agreement_end - today).days
        return left if left <= settings.PARTNER_AGREEMENT_REMINDER_DAYS else None


class PartnerUserObjectPermission(UserObjectPermissionBase):
    """A partner staff member's grant on their organisation."""

    content_object = models.ForeignKey(Partner, on_delete=models.CASCADE)


class ServiceItem(SyncedModel):
    """服务目录 — one service the street can broker, who may have it, and who provides it."""

    class Group(models.TextChoices):
        ELDERLY = "elderly", _("Elderly (一老)")
        CHILD = "child", _("Children (一幼)")
        SPECIAL = "special", _("Special hardship (一特)")

    class Category(models.TextChoices):
        FAMILY_DOCTOR = "family_doctor", _("Family doctor contract")
        MEAL = "meal", _("Meal assistance")
        CLEANING = "cleaning", _("Cleaning assistance")
        SCIENCE_CLASS = "science_class", _("Science class")
        HOMEWORK_HELP = "homework_help", _("Homework help")
        COUNSELLING = "counselling", _("Counselling")
        AID = "aid", _("Targeted aid")
        ACTIVITY = "activity", _("Volunteer activity")

    class Unit(models.TextChoices):
        VISIT = "visit", _("visit")
        MEAL = "meal", _("meal")
        HOUR = "hour", _("hour")
        YUAN = "yuan", _("yuan")

    name = models.CharField(_("name"), max_length=100, unique=True)
    group = models.CharField(_("group"), max_length=16, choices=Group.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    eligibility_rule = models.CharField(
        _("eligibility rule"),
        max_length=300,
        blank=True,
        help_text=_(
            "Tag codes joined with and / or / not and parentheses, e.g. elderly_80 or (living_alone and dibao)."
        ),
    )
    subsidy = models.DecimalField(
        _("subsidy per unit (yuan)"), max_digits=8, decimal_places=2, default=0
    )
    max_quantity = models.DecimalField(
        _("most per delivery"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Empty: the unit's default (24 hours, 3 meals, 10 visits, 5000 yuan)."),
    )
    partners = models.ManyToManyField(
        Partner, verbose_name=_("provided by"), related_name="service_items", blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ServiceItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["group", "category", "name"]

    def __str__(self):
        return self.name

    @property
    def quantity_limit(self) -> Decimal:
        """The most one delivery of this item may count: the item's own bound, else its unit's."""
        if self.max_quantity is not None:
            return self.max_quantity
        return UNIT_MAX_QUANTITY.get(self.unit, DEFAULT_MAX_QUANTITY)


# The most one delivery may count, per unit, where the item sets no bound of its own: a day's
# hours, a day's meals, a day's visits, and an amount in yuan within a month's small aid.
UNIT_MAX_QUANTITY = {
    ServiceItem.Unit.HOUR: Decimal("24"),
    ServiceItem.Unit.MEAL: Decimal("3"),
    ServiceItem.Unit.VISIT: Decimal("10"),
    ServiceItem.Unit.YUAN: Decimal("5000"),
}
DEFAULT_MAX_QUANTITY = Decimal("10")
