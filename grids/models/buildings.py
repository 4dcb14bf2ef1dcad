"""Where people live: buildings, their dwellings, and the households living in them."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models.areas import Grid, MicroGrid, Region
from grids.querysets import BuildingQuerySet, DwellingQuerySet, HouseholdQuerySet
from portal.models import SyncedModel


class Building(SyncedModel):
    """楼栋 — a building, placed in at most one base grid (none is a coverage gap)."""

    community = models.ForeignKey(
        Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="buildings"
    )
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="buildings",
    )
    micro_grid = models.ForeignKey(
        MicroGrid,
        verbose_name=_("micro-grid"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buildings",
    )
    name = models.CharField(_("name"), max_length=64)
    address = models.CharField(_("address"), max_length=200)
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(Decimal(-180), _("The longitude must be between -180 and 180.")),
            MaxValueValidator(Decimal(180), _("The longitude must be between -180 and 180.")),
        ],
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(Decimal(-90), _("The latitude must be between -90 and 90.")),
            MaxValueValidator(Decimal(90), _("The latitude must be between -90 and 90.")),
        ],
    )

    objects = BuildingQuerySet.as_manager()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"], name="building_name_in_community"
            ),
            # Backstops of the fields' validators.
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="building_longitude_range",
                violation_error_message=_("The longitude must be between -180 and 180."),
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90),
                name="building_latitude_range",
                violation_error_message=_("The latitude must be between -90 and 90."),
            ),
        ]

    def __str__(self):
        return self.address

    def clean(self):
        errors = {}
        if self.grid_id and self.community_id and self.grid.community_id != self.community_id:
            errors["grid"] = _("This grid belongs to another community.")
        if self.micro_grid_id and self.micro_grid.grid_id != self.grid_id:
            errors["micro_grid"] = _("This micro-grid belongs to another grid.")
        if errors:
            raise ValidationError(errors)


class Dwelling(models.Model):
    """房屋 — one flat or room of a building, and what it is used for."""

    class Use(models.TextChoices):
        OWNER = "owner", _("Owner-occupied")
        RENTED = "rented", _("Rented")
        VACANT = "vacant", _("Vacant")
        BUSINESS = "business", _("Business")

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="dwellings"
    )
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    room = models.CharField(_("room"), max_length=16)
    use = models.CharField(_("use"), max_length=16, choices=Use.choices, default=Use.OWNER)

    objects = DwellingQuerySet.as_manager()

    class Meta:
        verbose_name = _("dwelling")
        verbose_name_plural = _("dwellings")
        ordering = ["building", "unit", "room"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "room"], name="dwelling_unique_room"
            )
        ]

    def __str__(self):
        return f"{self.building} {self.room_label}"

    @property
    def room_label(self) -> str:
        if self.unit:
            return _("Unit %(unit)s, room %(room)s") % {"unit": self.unit, "room": self.room}
        return _("Room %(room)s") % {"room": self.room}


HOUSEHOLD_NUMBER_UNAVAILABLE = _(
    "This household number cannot be used. Check it, or ask the street office."
)


class Household(SyncedModel):
    """户 — a household living in a dwelling, in the care of one grid."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Registered household")
        RESIDING = "residing", _("Residing household")

    number = models.CharField(
        _("household number"),
        max_length=32,
        unique=True,
        # The number may belong to a household the writer cannot see: the message says
        # neither that it exists nor where (the same words as the import's).
        error_messages={"unique": HOUSEHOLD_NUMBER_UNAVAILABLE},
    )
    dwelling = models.ForeignKey(
        Dwelling,
        verbose_name=_("dwelling"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
    )
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.REGISTERED)
    head = models.ForeignKey(
        "Resident",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["number"]
        indexes = [
            # The few households not yet in a grid, found by their building's community when a
            # community cadre's scope is resolved (grids/querysets.py), without reading the rest.
            models.Index(
                fields=["dwelling"], condition=Q(grid__isnull=True), name="household_ungridded"
            )
        ]

    def __str__(self):
        return self.number

    def clean(self):
        # The head is one of the household's own members (a new household has none yet).
        if self.head_id is not None and (self.pk is None or self.head.household_id != self.pk):
            raise ValidationError({"head": _("The head must be a member of this household.")})
