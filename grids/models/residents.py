"""Residents and their tags (the tag catalogue, and the tags each resident holds)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grids.models.buildings import Household
from grids.querysets import ResidentQuerySet, ResidentTagQuerySet, TagDefQuerySet
from portal.fields import EncryptedCharField
from portal.validators import (
    citizen_id_normalize,
    mask_citizen_id,
    mask_mobile,
    mobile_normalize,
    validate_citizen_id,
    validate_citizen_id_matches,
    validate_mobile,
)


class Resident(models.Model):
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
        if self.id_type == self.IdType.CITIZEN_ID and self.id_number:
            try:
                validate_citizen_id(self.id_number)
            except ValidationError as exc:
                raise ValidationError({"id_number": exc.messages}) from None
            validate_citizen_id_matches(self.id_number, sex=self.sex, birth_date=self.birth_date)
        if self.phone:
            try:
                validate_mobile(self.phone)
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages}) from None

    @property
    def id_number_masked(self) -> str:
        return mask_citizen_id(self.id_number or "")

    @property
    def phone_masked(self) -> str:
        return mask_mobile(self.phone or "")


class TagDef(models.Model):
    """标签定义 — a tag such as 独居老人 or 低保, its group and the visit tier it implies."""

    class Group(models.TextChoices):
        ELDERLY = "elderly", _("Elderly (一老)")
        CHILD = "child", _("Children (一幼)")
        SPECIAL = "special", _("Special hardship (一特)")
        OTHER = "other", _("Other")

    class Tier(models.TextChoices):
        HIGH = "high", _("High risk")
        KEY = "key", _("Key")
        GENERAL = "general", _("General")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32)
    group = models.CharField(_("group"), max_length=16, choices=Group.choices)
    visit_tier = models.CharField(
        _("visit tier"), max_length=16, choices=Tier.choices, default=Tier.GENERAL
    )
    age_derived = models.BooleanField(_("derived from age"), default=False)

    objects = TagDefQuerySet.as_manager()

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["group", "code"]

    def __str__(self):
        return self.name


class ResidentTag(models.Model):
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
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)

    objects = ResidentTagQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident tag")
        verbose_name_plural = _("resident tags")
        constraints = [
            models.UniqueConstraint(fields=["resident", "tag"], name="resident_tag_once")
        ]

    def __str__(self):
        return f"{self.resident} · {self.tag}"
