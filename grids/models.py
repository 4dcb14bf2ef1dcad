"""The registry: area tree, grids and their staff, buildings, households, residents, tags.

Scope of every model here is decided in grids/querysets.py.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import UserObjectPermissionBase

from grids.querysets import (
    BuildingQuerySet,
    GridAssignmentQuerySet,
    GridQuerySet,
    HouseholdQuerySet,
    RegionQuerySet,
    ResidentQuerySet,
    ResidentTagQuerySet,
)
from portal.fields import EncryptedCharField
from portal.validators import (
    citizen_id_normalize,
    mask_citizen_id,
    mask_mobile,
    mobile_normalize,
    validate_citizen_id,
    validate_citizen_id_matches,
    validate_grid_code,
    validate_mobile,
)


class Region(models.Model):
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


class Grid(models.Model):
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


class GridAssignment(models.Model):
    """网格员配置 — a person's post in a grid for a period; history is kept, never rewritten."""

    class Post(models.TextChoices):
        LEADER = "leader", _("Grid leader")
        FULL_TIME = "full_time", _("Full-time grid worker")
        PART_TIME = "part_time", _("Part-time grid worker")
        INSTRUCTOR = "instructor", _("Grid instructor")
        MICRO_LEADER = "micro_leader", _("Micro-grid leader")

    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="assignments"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="grid_assignments",
    )
    post = models.CharField(_("post"), max_length=16, choices=Post.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"), null=True, blank=True)

    objects = GridAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("grid assignment")
        verbose_name_plural = _("grid assignments")
        ordering = ["grid", "start_date"]

    def __str__(self):
        return f"{self.grid} · {self.person} · {self.get_post_display()}"


class Building(models.Model):
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
    name = models.CharField(_("name"), max_length=64)
    address = models.CharField(_("address"), max_length=200)

    objects = BuildingQuerySet.as_manager()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="building_name_in_community")
        ]

    def __str__(self):
        return self.address


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
        unit = f"{self.unit}单元" if self.unit else ""
        return f"{self.building} {unit}{self.room}室"


class Household(models.Model):
    """户 — a household living in a dwelling, in the care of one grid."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Registered household")
        RESIDING = "residing", _("Residing household")

    number = models.CharField(_("household number"), max_length=32, unique=True)
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

    def __str__(self):
        return self.number


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


# --- Object grants (django-guardian with direct foreign keys: joinable, index-backed) -----


class RegionUserObjectPermission(UserObjectPermissionBase):
    """A community cadre's grant on their community."""

    content_object = models.ForeignKey(Region, on_delete=models.CASCADE)


class GridUserObjectPermission(UserObjectPermissionBase):
    """A grid worker's or grid leader's grant on a grid."""

    content_object = models.ForeignKey(Grid, on_delete=models.CASCADE)


class ResidentUserObjectPermission(UserObjectPermissionBase):
    """One case shared with one person."""

    content_object = models.ForeignKey(Resident, on_delete=models.CASCADE)
