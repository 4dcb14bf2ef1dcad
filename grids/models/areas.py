"""The area tree and its cells: regions (city, street, community), grids and micro-grids."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.querysets import GridQuerySet, MicroGridQuerySet, RegionQuerySet
from portal.fields import EncryptedCharField
from portal.models import SyncedModel
from portal.validators import mask_mobile, mobile_normalize, validate_grid_code, validate_mobile


class Region(SyncedModel):
    """行政区划 — county-level city, street or community, codes after GB/T 2260."""

    class Level(models.TextChoices):
        CITY = "city", _("County-level city")
        STREET = "street", _("Street")
        COMMUNITY = "community", _("Community")

    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    code = models.CharField(
        _("code"), max_length=12, unique=True, help_text=_("6-digit or 12-digit statistical code")
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        permissions = [("work_in_region", _("Works in this region"))]

    def __str__(self):
        return self.name


class Grid(SyncedModel):
    """网格 — a basic governance cell inside one community."""

    class Kind(models.TextChoices):
        BASE = "base", _("Base grid")
        DEDICATED = "dedicated", _("Dedicated grid")

    community = models.ForeignKey(
        Region,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="grids",
        limit_choices_to={"level": Region.Level.COMMUNITY},
    )
    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.BASE)
    household_cap = models.PositiveIntegerField(_("household cap"), default=300)
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = GridQuerySet.as_manager()

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]
        permissions = [("work_in_grid", _("Works in this grid"))]

    def __str__(self):
        return self.name

    def clean(self):
        if self.community_id:
            try:
                validate_grid_code(self.code, community_code=self.community.code)
            except ValidationError as exc:
                raise ValidationError({"code": exc.messages}) from None


class MicroGrid(models.Model):
    """微网格 — a building or stairwell inside a grid, 30–100 households, led by a volunteer (楼道长)."""

    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="micro_grids"
    )
    name = models.CharField(_("name"), max_length=64)
    leader_name = models.CharField(_("micro-grid leader"), max_length=64, blank=True)
    leader_phone = EncryptedCharField(_("leader's phone"), blank=True, normalize=mobile_normalize)

    objects = MicroGridQuerySet.as_manager()

    class Meta:
        verbose_name = _("micro-grid")
        verbose_name_plural = _("micro-grids")
        ordering = ["grid", "name"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "name"], name="micro_grid_name_in_grid")
        ]

    def __str__(self):
        return f"{self.grid} · {self.name}"

    def clean(self):
        if self.leader_phone:
            try:
                validate_mobile(self.leader_phone)
            except ValidationError as exc:
                raise ValidationError({"leader_phone": exc.messages}) from None

    @property
    def leader_phone_masked(self) -> str:
        return mask_mobile(self.leader_phone or "")
