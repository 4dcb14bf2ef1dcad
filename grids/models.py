"""The registry: area tree, grids and their staff, buildings, households, residents, tags.

Scope of every model here is decided in grids/querysets.py.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import UserObjectPermissionBase

from grids.querysets import (
    BuildingQuerySet,
    DwellingQuerySet,
    GridAssignmentQuerySet,
    GridQuerySet,
    HouseholdQuerySet,
    ImportJobQuerySet,
    MicroGridQuerySet,
    RegionQuerySet,
    ResidentQuerySet,
    ResidentTagQuerySet,
    TagDefQuerySet,
    VisitNeedQuerySet,
    VisitQuerySet,
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
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )

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


class Visit(models.Model):
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
    findings = models.TextField(_("findings"), blank=True)
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
    description = models.TextField(_("description"), blank=True)
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


class ImportJob(models.Model):
    """导入任务 — one uploaded spreadsheet of households and residents: checked, then committed."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        COMMITTING = "committing", _("Importing")
        COMMITTED = "committed", _("Imported")
        FAILED = "failed", _("Failed")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return self.original_name

    @property
    def progress_percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


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
