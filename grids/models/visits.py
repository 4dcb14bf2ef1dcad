"""Visits to residents and households, and the needs they raise."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models.buildings import Household
from grids.models.residents import Resident
from grids.querysets import VisitNeedQuerySet, VisitQuerySet
from portal.models import SyncedModel

# Limits of what a visit's text may hold (DOMAIN.md, visits): findings say what was seen in a
# few words at least, and a need's details stay a line or two. The model checks them, so the
# form, the API and any import agree.
FINDINGS_MIN_CHARS = 4
FINDINGS_MAX_CHARS = 2000
NEED_DESCRIPTION_MAX_CHARS = 500


class Visit(SyncedModel):
    """走访 — a grid worker's visit to a resident or a whole household, and what it found.

    When a resident is next due is decided in one place: grids/cadence.py.
    """

    class Mode(models.TextChoices):
        HOME = "home", _("Home visit")
        PHONE = "phone", _("Phone call")
        VIDEO = "video", _("Video call")
        THIRD_PARTY = "third_party", _("Through a third party")
        OFFICE = "office", _("At the community office")
        OTHER = "other", _("Other")

    class RiskFlag(models.TextChoices):
        HEALTH = "health", _("Health worsening")
        SAFETY = "safety", _("Safety hazard at home")
        LIVING = "living", _("Cannot manage daily living")
        MENTAL = "mental", _("Mental distress")
        FINANCIAL = "financial", _("Financial hardship")
        NEGLECT = "neglect", _("Neglect or abuse suspected")
        DISPUTE = "dispute", _("Family or neighbour dispute")

    class Outcome(models.TextChoices):
        MET = "met", _("Met in person")
        NOT_MET = "not_met", _("Not met")

    class MajorEvent(models.TextChoices):
        NONE = "", _("None")
        HOSPITAL = "hospital", _("Hospital stay")
        BEREAVEMENT = "bereavement", _("Bereavement")
        ACCIDENT = "accident", _("Accident or fall")
        OTHER = "other", _("Other major event")

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="visits"
    )
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
        help_text=_("Empty for a visit to the whole household."),
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visitor"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.HOME)
    visited_at = models.DateTimeField(_("visited at"), default=timezone.now, db_index=True)
    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=Outcome.choices,
        default=Outcome.MET,
        help_text=_("A visit that did not meet the person is recorded but does not count."),
    )
    findings = models.TextField(
        _("findings"),
        blank=True,
        max_length=FINDINGS_MAX_CHARS,
        validators=[
            MaxLengthValidator(
                FINDINGS_MAX_CHARS,
                _("The findings are too long (at most %(limit_value)d characters)."),
            )
        ],
    )
    risk_flags = models.JSONField(_("risk flags"), default=list, blank=True)
    major_event = models.CharField(
        _("major event"),
        max_length=16,
        choices=MajorEvent.choices,
        blank=True,
        default=MajorEvent.NONE,
    )
    photo = models.FileField(_("photo"), upload_to="visits/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["resident", "-visited_at"], name="visit_resident_latest"),
            models.Index(fields=["household", "-visited_at"], name="visit_household_latest"),
        ]

    def __str__(self):
        subject = self.resident or self.household
        return f"{subject} · {timezone.localtime(self.visited_at):%Y-%m-%d}"

    def clean(self):
        errors = {}
        if (
            self.resident_id
            and self.household_id
            and self.resident.household_id != self.household_id
        ):
            errors["resident"] = _("This resident does not belong to the household visited.")
        unknown = set(self.risk_flags or []) - set(self.RiskFlag.values)
        if unknown:
            errors["risk_flags"] = _("Unknown risk flags: %(flags)s") % {
                "flags": ", ".join(sorted(unknown))
            }
        if self.visited_at and self.visited_at > timezone.now() + timedelta(minutes=5):
            errors["visited_at"] = _("A visit cannot be in the future.")
        if self.outcome != self.Outcome.NOT_MET and len((self.findings or "").strip()) < (
            FINDINGS_MIN_CHARS
        ):
            errors["findings"] = _(
                "Write what you found (at least %(min)d characters), or record the person as "
                "not met."
            ) % {"min": FINDINGS_MIN_CHARS}
        if errors:
            raise ValidationError(errors)


class VisitNeed(models.Model):
    """走访诉求 — a need raised during a visit; it may become a referral to a partner."""

    class Category(models.TextChoices):
        MEAL = "meal", _("Meals")
        CLEANING = "cleaning", _("Cleaning and housekeeping")
        MEDICAL = "medical", _("Medical care")
        FAMILY_DOCTOR = "family_doctor", _("Family doctor")
        COUNSELLING = "counselling", _("Counselling")
        HOMEWORK_HELP = "homework_help", _("Homework help")
        AID = "aid", _("Financial aid")
        REPAIR = "repair", _("Home repair or safety")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        REFERRED = "referred", _("Referred")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed without action")

    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="needs"
    )
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="needs",
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    description = models.TextField(
        _("description"),
        blank=True,
        max_length=NEED_DESCRIPTION_MAX_CHARS,
        validators=[
            MaxLengthValidator(
                NEED_DESCRIPTION_MAX_CHARS,
                _("The need's details are too long (at most %(limit_value)d characters)."),
            )
        ],
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible worker"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_needs",
    )
    created_at = models.DateTimeField(_("raised at"), default=timezone.now, editable=False)

    objects = VisitNeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("need raised in a visit")
        verbose_name_plural = _("needs raised in visits")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["assignee", "status"], name="need_assignee_status")]

    def __str__(self):
        return f"{self.get_category_display()} · {self.resident or self.visit.household}"
