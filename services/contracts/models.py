"""Family-doctor contracts (家庭医生签约): one active contract per resident, a year or more."""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import SyncedModel
from services.catalogue.models import Partner
from services.contracts.querysets import FamilyDoctorContractQuerySet
from services.referrals.models import Referral


def one_year_after(start: date) -> date:
    """The same calendar day a year later (29 February → 28 February)."""
    try:
        return start.replace(year=start.year + 1)
    except ValueError:
        return start.replace(year=start.year + 1, day=28)


# The longest term a contract may be signed or renewed for. DOMAIN.md gives only the floor (a
# year or more); family-doctor contracts are signed for a year and renewed yearly, so three
# years is a generous ceiling that still refuses a typo such as 9999-12-31.
LONGEST_TERM_YEARS = 3


def years_after(start: date, years: int) -> date:
    """The same calendar day `years` later (29 February → 28 February)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def longest_term_end(start: date) -> date:
    """The last day a contract starting on `start` may run to: 2026-01-01 → 2028-12-31."""
    return years_after(start, LONGEST_TERM_YEARS) - timedelta(days=1)


def shortest_term_end(start: date) -> date:
    """The last day of a one-year term: 2026-01-01 → 2026-12-31."""
    return one_year_after(start) - timedelta(days=1)


# Service packages (签约服务包): the free basic package every signed resident gets, and paid
# packages a clinic offers on top. code → (label, fee in yuan a year). A street whose clinics
# offer others sets FAMILY_DOCTOR_PACKAGES in its settings (same shape); "basic" stays the
# default.
BASIC_PACKAGE = "basic"
FAMILY_DOCTOR_PACKAGES: dict[str, tuple] = {
    BASIC_PACKAGE: (_("Basic package (free)"), Decimal("0")),
    "elderly_care": (_("Elderly care package (paid)"), Decimal("120")),
    "chronic_disease": (_("Chronic disease package (paid)"), Decimal("150")),
    "home_visits": (_("Home visit package (paid)"), Decimal("300")),
}


def contract_packages() -> dict[str, tuple]:
    """The packages a contract may carry: settings.FAMILY_DOCTOR_PACKAGES, or the above."""
    return getattr(settings, "FAMILY_DOCTOR_PACKAGES", FAMILY_DOCTOR_PACKAGES)


def package_choices() -> list[tuple[str, str]]:
    """(code, "label · fee") for the forms, the basic package first."""
    choices = []
    for code, (label, fee) in contract_packages().items():
        text = str(label) if not fee else f"{label} · {fee.normalize()} {_('yuan a year')}"
        choices.append((code, text))
    return choices


class FamilyDoctorContract(SyncedModel):
    """家庭医生签约 — a resident signed with a clinic's family doctor for a term of a year or more.

    Ends in one of three ways: renewed (a new contract follows at the same clinic), switched (a
    new contract at another clinic), or lapsed (the term ran out and nobody renewed).
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RENEWED = "renewed", _("Renewed")
        SWITCHED = "switched", _("Switched to another clinic")
        LAPSED = "lapsed", _("Lapsed")

    resident = models.ForeignKey(
        "grids.Resident",
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="family_doctor_contracts",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("clinic"),
        on_delete=models.PROTECT,
        related_name="family_doctor_contracts",
    )
    doctor_name = models.CharField(_("family doctor"), max_length=64)
    package = models.CharField(
        _("service package"),
        max_length=32,
        default=BASIC_PACKAGE,
        help_text=_("One of the configured packages (FAMILY_DOCTOR_PACKAGES)."),
    )
    start_date = models.DateField(_("starts"))
    end_date = models.DateField(_("ends"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    previous = models.OneToOneField(
        "self",
        verbose_name=_("follows contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next",
    )
    referral = models.ForeignKey(
        "services.Referral",
        verbose_name=_("referral"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    objects = FamilyDoctorContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("family-doctor contract")
        verbose_name_plural = _("family-doctor contracts")
        ordering = ["-start_date", "-id"]
        indexes = [
            # The two orders the lists read in (the page: soonest to end first; the API: newest
            # signed first), so a page of 20 is read from the index and joined to its 20
            # residents instead of sorting every contract of the street (bench, 5,000 contracts:
            # the street's page query 28 → 3 ms, the page 43 → 24 ms, the API 35 → 16 ms).
            models.Index(fields=["end_date", "id"], name="contract_ending_first"),
            models.Index(fields=["-start_date", "-id"], name="contract_newest_first"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=models.Q(status="active"),
                name="family_doctor_one_active_per_resident",
                violation_error_message=_("This resident already has an active contract."),
            ),
            # The exact rule (a calendar year) is in clean(); this is the database's backstop.
            models.CheckConstraint(
                condition=models.Q(end_date__gt=models.F("start_date")),
                name="family_doctor_end_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.resident} · {self.partner} · {self.start_date}–{self.end_date}"

    @property
    def package_label(self) -> str:
        entry = contract_packages().get(self.package)
        return str(entry[0]) if entry else self.package

    @property
    def package_fee(self) -> Decimal | None:
        entry = contract_packages().get(self.package)
        return entry[1] if entry else None

    def clean(self):
        errors: dict[str, list] = {}
        if self.package not in contract_packages():
            errors["package"] = [_("Choose one of the offered service packages.")]
        try:
            self._clean_term()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def _clean_term(self):
        if self.start_date and self.end_date:
            shortest_end = shortest_term_end(self.start_date)
            if self.end_date < shortest_end:
                raise ValidationError(
                    {
                        "end_date": _("A contract runs at least a year: end on %(date)s or later.")
                        % {"date": shortest_end.isoformat()}
                    }
                )
            longest_end = longest_term_end(self.start_date)
            if self.end_date > longest_end:
                raise ValidationError(
                    {
                        "end_date": _(
                            "A contract runs at most %(years)s years: end on %(date)s or earlier."
                        )
                        % {"years": LONGEST_TERM_YEARS, "date": longest_end.isoformat()}
                    }
                )


# States a contract may be renewed or switched from: still running, or run out unrenewed.
RENEWABLE = frozenset({FamilyDoctorContract.Status.ACTIVE, FamilyDoctorContract.Status.LAPSED})
# Referral states in which the clinic is serving the resident and may sign them.
SIGNING_REFERRAL_STATES = frozenset({Referral.Status.ACCEPTED, Referral.Status.IN_SERVICE})
