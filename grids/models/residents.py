"""Residents and their tags (the tag catalogue, and the tags each resident holds)."""

from datetime import date

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grids.models.buildings import Household
from grids.querysets import ResidentQuerySet, ResidentTagQuerySet, TagDefQuerySet
from portal.fields import EncryptedCharField
from portal.models import SyncedModel
from portal.validators import (
    citizen_id_normalize,
    mask_citizen_id,
    mask_mobile,
    mobile_normalize,
    validate_citizen_id,
    validate_citizen_id_matches,
    validate_mobile,
)

# The earliest birth date a living record may hold (a register of the living; the oldest
# residents of Zhejiang were born in the 1900s).
EARLIEST_BIRTH = date(1900, 1, 1)
# Disability certificates (残疾人证) carry a grade 1 (most severe) to 4 (DOMAIN.md, tags).
GRADE_MIN, GRADE_MAX = 1, 4


class Resident(SyncedModel):
    """居民 — a person living in the street. ID number and phone are encrypted at rest."""

    class Sex(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class IdType(models.TextChoices):
        CITIZEN_ID = "citizen_id", _("Resident identity card")
        OTHER = "other", _("Other document")

    class PopulationType(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        RESIDENT = "resident", _("Permanent resident")
        FLOATING = "floating", _("Floating")

    name = models.CharField(pgettext_lazy("person", "name"), max_length=64, db_index=True)
    id_type = models.CharField(
        _("ID type"), max_length=16, choices=IdType.choices, default=IdType.CITIZEN_ID
    )
    id_number = EncryptedCharField(
        _("ID number"), hash_field="id_number_hash", normalize=citizen_id_normalize
    )
    id_number_hash = models.CharField(max_length=64, db_index=True, editable=False)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    phone = EncryptedCharField(
        _("phone"), blank=True, hash_field="phone_hash", normalize=mobile_normalize
    )
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    ethnicity = models.CharField(_("ethnicity"), max_length=16, default="汉族")
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    relation_to_head = models.CharField(_("relation to head"), max_length=16, blank=True)
    population_type = models.CharField(
        _("population type"),
        max_length=16,
        choices=PopulationType.choices,
        default=PopulationType.REGISTERED,
    )
    separated = models.BooleanField(_("registered and living apart (人户分离)"), default=False)
    political_status = models.CharField(_("political status"), max_length=16, blank=True)
    deceased_date = models.DateField(_("date of death"), null=True, blank=True)
    data_source = models.CharField(_("data source"), max_length=64, blank=True)
    verified_date = models.DateField(_("verified on"), null=True, blank=True)
    created_at = models.DateTimeField(
        _("registered in the portal"), default=timezone.now, editable=False
    )
    # The resident's jurisdiction, denormalised from the household for scoped reads: its grid,
    # and that grid's community (a household not yet in a grid: its building's). Kept by
    # database triggers on every write of a resident, household, grid, building or dwelling
    # (migration 0010); whatever Python writes here is overwritten, so never set or read them
    # in code — scope reads them through `RegistryScope.residents_q` only.
    scope_grid = models.BigIntegerField(null=True, editable=False)
    scope_community = models.BigIntegerField(null=True, editable=False)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~models.Q(id_number_hash=""),
                name="resident_unique_id_number",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors: dict[str, list] = {}
        if self.id_type == self.IdType.CITIZEN_ID and self.id_number:
            try:
                validate_citizen_id(self.id_number)
                validate_citizen_id_matches(
                    self.id_number, sex=self.sex, birth_date=self.birth_date
                )
            except ValidationError as exc:
                for field, messages in exc.update_error_dict({}).items():
                    key = "id_number" if field == NON_FIELD_ERRORS else field
                    errors.setdefault(key, []).extend(messages)
        if self.phone:
            try:
                validate_mobile(self.phone)
            except ValidationError as exc:
                errors.setdefault("phone", []).extend(exc.messages)
        for field, message in self._date_errors(timezone.localdate()).items():
            errors.setdefault(field, []).append(message)
        if errors:
            raise ValidationError(errors)

    def _date_errors(self, today: date) -> dict:
        """Dates a person's record can hold, whatever the document: born between EARLIEST_BIRTH
        and today; dead neither before birth nor in the future; verified not in the future."""
        errors = {}
        birth = self.birth_date if isinstance(self.birth_date, date) else None
        if birth is not None and birth > today:
            errors["birth_date"] = _("The birth date cannot be in the future.")
        elif birth is not None and birth < EARLIEST_BIRTH:
            errors["birth_date"] = _("The birth date cannot be before %(date)s.") % {
                "date": EARLIEST_BIRTH.isoformat()
            }
        death = self.deceased_date if isinstance(self.deceased_date, date) else None
        if death is not None and death > today:
            errors["deceased_date"] = _("The date of death cannot be in the future.")
        elif death is not None and birth is not None and death < birth:
            errors["deceased_date"] = _("The date of death cannot be before the birth date.")
        verified = self.verified_date if isinstance(self.verified_date, date) else None
        if verified is not None and verified > today:
            errors["verified_date"] = _("The verification date cannot be in the future.")
        return errors

    @property
    def id_number_masked(self) -> str:
        return mask_citizen_id(self.id_number or "")

    @property
    def phone_masked(self) -> str:
        return mask_mobile(self.phone or "")


class TagDef(SyncedModel):
    """标签定义 — a tag such as 独居老人 or 低保, its group and the visit tier it implies."""

    class Group(models.TextChoices):
        ELDERLY = "elderly", _("Elderly (一老)")
        CHILD = "child", _("Children (一幼)")
        SPECIAL = "special", _("Special hardship (一特)")
        OTHER = "other", _("Other")

    class Tier(models.TextChoices):
        """How often a holder of the tag is visited (grids/cadence.py). `none`: the tag says who
        someone is (a broad age band such as 60+ or minor) but sets no visiting cadence."""

        HIGH = "high", _("High risk")
        KEY = "key", _("Key")
        GENERAL = "general", _("General")
        NONE = "none", _("No visits")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32)
    group = models.CharField(_("group"), max_length=16, choices=Group.choices)
    visit_tier = models.CharField(
        _("visit tier"),
        max_length=16,
        choices=Tier.choices,
        default=Tier.GENERAL,
        help_text=_("How often holders of this tag are visited; “No visits” sets no cadence."),
    )
    age_derived = models.BooleanField(_("derived from age"), default=False)

    objects = TagDefQuerySet.as_manager()

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["group", "code"]

    def __str__(self):
        return self.name


class ResidentTag(SyncedModel):
    """居民标签 — a tag on a resident, with its source, validity and certificate."""

    class Source(models.TextChoices):
        DEPARTMENT = "department", _("Department data feed")
        GRID_WORKER = "grid_worker", _("Collected by the grid worker")
        AGE = "age", _("Derived from age")

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="tags"
    )
    tag = models.ForeignKey(
        TagDef, verbose_name=_("tag"), on_delete=models.PROTECT, related_name="resident_tags"
    )
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.GRID_WORKER
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    certificate_number = models.CharField(_("certificate number"), max_length=32, blank=True)
    grade = models.PositiveSmallIntegerField(
        _("grade"),
        null=True,
        blank=True,
        validators=[
            MinValueValidator(GRADE_MIN, _("The grade must be between 1 and 4.")),
            MaxValueValidator(GRADE_MAX, _("The grade must be between 1 and 4.")),
        ],
    )

    objects = ResidentTagQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident tag")
        verbose_name_plural = _("resident tags")
        constraints = [
            models.UniqueConstraint(fields=["resident", "tag"], name="resident_tag_once"),
            # Backstops of clean() and the grade's validators (writes that skip full_clean).
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="resident_tag_validity_order",
                violation_error_message=_("The end of validity cannot be before its start."),
            ),
            models.CheckConstraint(
                condition=models.Q(grade__isnull=True)
                | models.Q(grade__gte=GRADE_MIN, grade__lte=GRADE_MAX),
                name="resident_tag_grade_range",
                violation_error_message=_("The grade must be between 1 and 4."),
            ),
        ]

    def __str__(self):
        return f"{self.resident} · {self.tag}"

    def clean(self):
        start, end = self.valid_from, self.valid_to
        if isinstance(start, date) and isinstance(end, date) and end < start:
            raise ValidationError(
                {"valid_to": _("The end of validity cannot be before its start.")}
            )
