"""Party organisations (a tree with a materialised path), their members, transfers and the
`party_work` grant that gives a community cadre an organisation's subtree."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import UserObjectPermissionBase

from grids.models import Building, Grid, Region, Resident
from partybuilding.organisations.querysets import (
    MemberTransferQuerySet,
    PartyMemberQuerySet,
    PartyOrgQuerySet,
)
from portal.fields import EncryptedCharField
from portal.models import SyncedModel
from portal.validators import (
    mask_mobile,
    mobile_normalize,
    uscc_normalize,
    validate_mobile,
    validate_uscc,
)


class PartyOrg(SyncedModel):
    """党组织 — a Party committee, general branch, branch or group, in one tree under the street.

    `path` lists the primary keys from the root down ("/1/7/23/"); the write that creates or
    moves an organisation keeps it, so a subtree is one `path LIKE '/1/7/%'`.
    """

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("Party committee")
        GENERAL_BRANCH = "general_branch", _("General Party branch")
        BRANCH = "branch", _("Party branch")
        JOINT_BRANCH = "joint_branch", _("Joint Party branch")
        FUNCTIONAL_BRANCH = "functional_branch", _("Functional Party branch")
        GRID_BRANCH = "grid_branch", _("Grid Party branch")
        BUILDING_GROUP = "building_group", _("Building Party group")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("tree path"), max_length=255, db_index=True, editable=False)
    community = models.ForeignKey(
        Region,
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_orgs",
        limit_choices_to={"level": Region.Level.COMMUNITY},
        help_text=_("Empty for a street-level organisation."),
    )
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_orgs",
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_orgs",
    )
    host_unit = models.CharField(_("host unit"), max_length=100, blank=True)
    host_unit_uscc = models.CharField(
        _("host unit's unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_uscc],
    )
    secretary = models.ForeignKey(
        "PartyMember",
        verbose_name=_("secretary"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_orgs",
    )
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)

    objects = PartyOrgQuerySet.as_manager()

    class Meta:
        verbose_name = _("Party organisation")
        verbose_name_plural = _("Party organisations")
        ordering = ["path", "id"]
        permissions = [
            ("party_work", _("Does Party work for this organisation and its subtree")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["path"], condition=~Q(path=""), name="party_org_path_unique"
            ),
            models.CheckConstraint(
                condition=Q(path="") | Q(path__regex=r"^(/[0-9]+)+/$"),
                name="party_org_path_shape",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=False) | Q(kind="committee"),
                name="party_org_root_is_committee",
            ),
            models.CheckConstraint(
                condition=~Q(kind="grid_branch") | Q(grid__isnull=False),
                name="party_org_grid_branch_has_grid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="building_group") | Q(building__isnull=False),
                name="party_org_building_group_has_building",
            ),
            models.CheckConstraint(
                condition=Q(dissolved_on__isnull=True)
                | Q(founded_on__isnull=True)
                | Q(dissolved_on__gte=models.F("founded_on")),
                name="party_org_dissolved_after_founded",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.host_unit_uscc:
            self.host_unit_uscc = uscc_normalize(self.host_unit_uscc)
        parent = self.parent if self.parent_id else None
        allowed = PARENT_KINDS.get(self.kind, frozenset())
        if parent is None and None not in allowed:
            errors["parent"] = _("Only a Party committee can stand at the top of the tree.")
        elif parent is not None and parent.kind not in allowed:
            errors["parent"] = _("A %(kind)s cannot be placed under a %(parent)s.") % {
                "kind": self.get_kind_display(),
                "parent": parent.get_kind_display(),
            }
        elif parent is not None and self.pk and self.path and parent.path.startswith(self.path):
            errors["parent"] = _("An organisation cannot be placed under itself.")
        if self.kind == self.Kind.GRID_BRANCH and not self.grid_id:
            errors["grid"] = _("A grid Party branch needs its grid.")
        if self.kind == self.Kind.BUILDING_GROUP and not self.building_id:
            errors["building"] = _("A building Party group needs its building.")
        if self.community_id and self.community.level != Region.Level.COMMUNITY:
            errors["community"] = _("Choose a community.")
        if self.grid_id and self.community_id and self.grid.community_id != self.community_id:
            errors["grid"] = _("The grid lies in another community.")
        if (
            self.building_id
            and self.community_id
            and self.building.community_id != self.community_id
        ):
            errors["building"] = _("The building lies in another community.")
        if self.dissolved_on and self.founded_on and self.dissolved_on < self.founded_on:
            errors["dissolved_on"] = _("An organisation is dissolved after it was founded.")
        if self.secretary_id and self.path and not self.secretary.org.path.startswith(self.path):
            errors["secretary"] = _("The secretary must be a member of this organisation.")
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def path_for(*, parent, pk: int) -> str:
        """The path of the organisation `pk` placed under `parent` (None: the root)."""
        return f"{parent.path if parent is not None else '/'}{pk}/"

    @property
    def depth(self) -> int:
        """0 for the street committee, 1 for the organisations directly under it..."""
        return self.path.count("/") - 2

    def is_in_subtree_of(self, other) -> bool:
        return bool(other.path) and self.path.startswith(other.path)


# Which kinds may stand under which (None: at the top). A branch sits under a committee or a
# general branch; a building group under a branch of any sort.
_BRANCHES = frozenset(
    {
        PartyOrg.Kind.BRANCH,
        PartyOrg.Kind.JOINT_BRANCH,
        PartyOrg.Kind.FUNCTIONAL_BRANCH,
        PartyOrg.Kind.GRID_BRANCH,
    }
)
PARENT_KINDS = {
    PartyOrg.Kind.COMMITTEE: frozenset({None, PartyOrg.Kind.COMMITTEE}),
    PartyOrg.Kind.GENERAL_BRANCH: frozenset({PartyOrg.Kind.COMMITTEE}),
    **{
        kind: frozenset({PartyOrg.Kind.COMMITTEE, PartyOrg.Kind.GENERAL_BRANCH})
        for kind in _BRANCHES
    },
    PartyOrg.Kind.BUILDING_GROUP: _BRANCHES,
}


class PartyOrgUserObjectPermission(UserObjectPermissionBase):
    """A grant of Party work on one organisation (and so its subtree), e.g. to a community cadre."""

    content_object = models.ForeignKey(PartyOrg, on_delete=models.CASCADE)


class PartyMember(SyncedModel):
    """党员 — a Party member of an organisation in the street; the phone is encrypted at rest.

    A serving member (在职党员) also reports to the community where they live (双报到) and serves
    there. The transfer dates are the current state; `MemberTransfer` keeps the history.
    """

    class Status(models.TextChoices):
        FULL = "full", _("Full member")
        PROBATIONARY = "probationary", _("Probationary member")

    name = models.CharField(pgettext_lazy("person", "name"), max_length=64, db_index=True)
    resident = models.OneToOneField(
        Resident,
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_member",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_member",
    )
    org = models.ForeignKey(
        PartyOrg,
        verbose_name=_("Party organisation"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.FULL
    )
    joined_party_on = models.DateField(_("joined the Party on"), null=True, blank=True)
    serving = models.BooleanField(_("serving member (in employment)"), default=False)
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    employer_org = models.ForeignKey(
        PartyOrg,
        verbose_name=_("employer's Party organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employed_members",
    )
    phone = EncryptedCharField(
        _("phone"), blank=True, hash_field="phone_hash", normalize=mobile_normalize
    )
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    reported_community = models.ForeignKey(
        Region,
        verbose_name=_("reported to community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_party_members",
        limit_choices_to={"level": Region.Level.COMMUNITY},
    )
    reported_on = models.DateField(_("reported on"), null=True, blank=True)
    transferred_in_on = models.DateField(_("transferred in on"), null=True, blank=True)
    transferred_out_on = models.DateField(_("transferred out on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = PartyMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("Party member")
        verbose_name_plural = _("Party members")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reported_community__isnull=True) | Q(serving=True),
                name="party_member_reports_when_serving",
            ),
            models.CheckConstraint(
                condition=Q(reported_on__isnull=True) | Q(reported_community__isnull=False),
                name="party_member_reported_on_with_community",
            ),
            models.CheckConstraint(
                condition=Q(transferred_out_on__isnull=True)
                | Q(transferred_in_on__isnull=True)
                | Q(transferred_out_on__gte=models.F("transferred_in_on")),
                name="party_member_out_after_in",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.phone:
            try:
                validate_mobile(self.phone)
            except ValidationError as exc:
                errors["phone"] = exc.messages
        if self.reported_community_id and not self.serving:
            errors["reported_community"] = _(
                "Only a serving member reports to a community (双报到)."
            )
        if self.reported_community_id and self.reported_community.level != Region.Level.COMMUNITY:
            errors["reported_community"] = _("Choose a community.")
        if self.reported_on and not self.reported_community_id:
            errors["reported_on"] = _("Give the community the member reported to.")
        if (
            self.transferred_in_on
            and self.transferred_out_on
            and self.transferred_out_on < self.transferred_in_on
        ):
            errors["transferred_out_on"] = _("A member transfers out after transferring in.")
        if errors:
            raise ValidationError(errors)

    @property
    def phone_masked(self) -> str:
        return mask_mobile(self.phone or "")

    @property
    def is_current(self) -> bool:
        """Still a member here (not transferred out)."""
        return self.transferred_out_on is None


class MemberTransfer(models.Model):
    """组织关系转接 — one move of a member's Party membership in or out (the history).

    Each side is an organisation of the street (FK) or an outside one (by name). Moving in, the
    receiving side is ours; moving out, the sending side is.
    """

    class Direction(models.TextChoices):
        IN = "in", _("Transfer in")
        OUT = "out", _("Transfer out")

    member = models.ForeignKey(
        PartyMember,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="transfers",
    )
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    date = models.DateField(_("date"))
    from_org = models.ForeignKey(
        PartyOrg,
        verbose_name=_("from organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_out",
    )
    from_org_name = models.CharField(_("from (outside organisation)"), max_length=100, blank=True)
    to_org = models.ForeignKey(
        PartyOrg,
        verbose_name=_("to organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_in",
    )
    to_org_name = models.CharField(_("to (outside organisation)"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = MemberTransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("member transfer")
        verbose_name_plural = _("member transfers")
        ordering = ["member", "-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(direction="in") | Q(to_org__isnull=False),
                name="member_transfer_in_has_receiving_org",
            ),
            models.CheckConstraint(
                condition=~Q(direction="out") | Q(from_org__isnull=False),
                name="member_transfer_out_has_sending_org",
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.get_direction_display()} · {self.date}"

    def clean(self):
        errors = {}
        if self.direction == self.Direction.IN:
            if not self.to_org_id:
                errors["to_org"] = _("Give the organisation the member joins.")
            if not self.from_org_id and not self.from_org_name:
                errors["from_org_name"] = _("Give the organisation the member comes from.")
        if self.direction == self.Direction.OUT:
            if not self.from_org_id:
                errors["from_org"] = _("Give the organisation the member leaves.")
            if not self.to_org_id and not self.to_org_name:
                errors["to_org_name"] = _("Give the organisation the member moves to.")
        if self.from_org_id and self.to_org_id and self.from_org_id == self.to_org_id:
            errors["to_org"] = _("A transfer moves to another organisation.")
        if errors:
            raise ValidationError(errors)

    @property
    def from_display(self) -> str:
        return str(self.from_org) if self.from_org_id else self.from_org_name

    @property
    def to_display(self) -> str:
        return str(self.to_org) if self.to_org_id else self.to_org_name
