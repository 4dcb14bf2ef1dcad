"""Alliances (党建联盟) that co-build under a signed agreement, their three lists (needs,
resources, projects) and the exchange circles of neighbouring organisations.

A member that is a hospital or a school is recorded by name and USCC (optionally with its
Party organisation), never as a services partner: partybuilding does not import services. A
project serving residents links to a referral or an activity by kind and id only.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Region
from partybuilding.alliances.querysets import (
    AllianceAgreementQuerySet,
    AllianceItemQuerySet,
    AllianceMemberQuerySet,
    AllianceQuerySet,
    ExchangeCirclePostQuerySet,
    ExchangeCircleQuerySet,
)
from partybuilding.organisations.models import PartyOrg
from portal.models import SyncedModel
from portal.validators import uscc_normalize, validate_uscc


class Alliance(SyncedModel):
    """党建联盟 — Party organisations and outside units working together in one area or trade."""

    class Kind(models.TextChoices):
        BUSINESS_DISTRICT = "business_district", _("Business district")
        ENTERPRISE = "enterprise", _("Enterprise")
        REGIONAL = "regional", _("Regional")
        CO_BUILDING = "co_building", _("Co-building")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    community = models.ForeignKey(
        Region,
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_alliances",
        limit_choices_to={"level": Region.Level.COMMUNITY},
    )
    lead_org = models.ForeignKey(
        PartyOrg,
        verbose_name=_("lead organisation"),
        on_delete=models.PROTECT,
        related_name="led_alliances",
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = AllianceQuerySet.as_manager()

    class Meta:
        verbose_name = _("alliance")
        verbose_name_plural = _("alliances")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.community_id and self.community.level != Region.Level.COMMUNITY:
            raise ValidationError({"community": _("Choose a community.")})


class AllianceMember(SyncedModel):
    """联盟成员单位 — one unit in an alliance: a Party organisation, a hospital, a school, a firm."""

    class Kind(models.TextChoices):
        PARTY_ORG = "party_org", _("Party organisation")
        HOSPITAL = "hospital", _("Hospital")
        SCHOOL = "school", _("School")
        ENTERPRISE = "enterprise", _("Enterprise")
        OTHER = "other", _("Other")

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("alliance"), on_delete=models.CASCADE, related_name="members"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    party_org = models.ForeignKey(
        PartyOrg,
        verbose_name=_("Party organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alliance_memberships",
    )
    unit_uscc = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_uscc]
    )
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    objects = AllianceMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("alliance member")
        verbose_name_plural = _("alliance members")
        ordering = ["alliance", "name"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "name"], name="alliance_member_name"),
            models.UniqueConstraint(
                fields=["alliance", "party_org"],
                condition=Q(party_org__isnull=False),
                name="alliance_member_org_once",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")),
                name="alliance_member_left_after_joined",
            ),
            models.CheckConstraint(
                condition=~Q(kind="party_org") | Q(party_org__isnull=False),
                name="alliance_member_party_org_named",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.unit_uscc:
            self.unit_uscc = uscc_normalize(self.unit_uscc)
        if self.kind == self.Kind.PARTY_ORG and not self.party_org_id:
            errors["party_org"] = _("Choose the Party organisation.")
        if self.left_on and self.joined_on and self.left_on < self.joined_on:
            errors["left_on"] = _("A member leaves after joining.")
        if errors:
            raise ValidationError(errors)


class AllianceAgreement(SyncedModel):
    """共建协议 — the signed 1+N agreement: a lead member and N parties, for a term."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("alliance"), on_delete=models.CASCADE, related_name="agreements"
    )
    title = models.CharField(_("title"), max_length=100)
    signed_on = models.DateField(_("signed on"))
    term_start = models.DateField(_("term from"))
    term_end = models.DateField(_("term to"))
    lead = models.ForeignKey(
        AllianceMember,
        verbose_name=_("lead member"),
        on_delete=models.PROTECT,
        related_name="agreements_led",
    )
    parties = models.ManyToManyField(
        AllianceMember, verbose_name=_("parties"), related_name="agreements", blank=True
    )
    scanned_copy = models.FileField(
        _("scanned copy"), upload_to="partybuilding/agreements/%Y/", blank=True
    )
    note = models.TextField(_("note"), blank=True)

    objects = AllianceAgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("co-building agreement")
        verbose_name_plural = _("co-building agreements")
        ordering = ["alliance", "-signed_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__gt=F("term_start")), name="alliance_agreement_term"
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        errors = {}
        if self.term_start and self.term_end and self.term_end <= self.term_start:
            errors["term_end"] = _("The term ends after it starts.")
        if self.lead_id and self.alliance_id and self.lead.alliance_id != self.alliance_id:
            errors["lead"] = _("The lead must be a member of the alliance.")
        if errors:
            raise ValidationError(errors)


class AllianceItem(SyncedModel):
    """清单事项 — one entry of an alliance's needs, resources or projects list, posted by one
    member and claimed by another, with a record of what was delivered."""

    class Kind(models.TextChoices):
        NEED = "need", _("Needs list")
        RESOURCE = "resource", _("Resources list")
        PROJECT = "project", _("Projects list")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLAIMED = "claimed", _("Claimed")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class LinkedKind(models.TextChoices):
        NONE = "", _("None")
        REFERRAL = "referral", _("Referral")
        ACTIVITY = "activity", _("Activity")

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("alliance"), on_delete=models.CASCADE, related_name="items"
    )
    kind = models.CharField(_("list"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    posted_by = models.ForeignKey(
        AllianceMember,
        verbose_name=_("posted by"),
        on_delete=models.PROTECT,
        related_name="items_posted",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    claimed_by = models.ForeignKey(
        AllianceMember,
        verbose_name=_("claimed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items_claimed",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    delivered = models.TextField(_("what was delivered"), blank=True)
    linked_kind = models.CharField(
        _("linked to"), max_length=16, choices=LinkedKind.choices, blank=True, default=""
    )
    linked_id = models.PositiveIntegerField(_("linked record"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("posted at"), default=timezone.now, editable=False)

    objects = AllianceItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("alliance list item")
        verbose_name_plural = _("alliance list items")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["alliance", "kind", "status"], name="party_alliance_item_list")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="open") | Q(claimed_by__isnull=True),
                name="alliance_item_open_unclaimed",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["claimed", "in_progress", "done"])
                | Q(claimed_by__isnull=False, claimed_at__isnull=False),
                name="alliance_item_claimed_by_someone",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(done_at__isnull=False),
                name="alliance_item_done_has_time",
            ),
            models.CheckConstraint(
                condition=Q(started_at__isnull=True)
                | Q(claimed_at__isnull=True)
                | Q(started_at__gte=F("claimed_at")),
                name="alliance_item_started_after_claim",
            ),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True)
                | Q(claimed_at__isnull=True)
                | Q(done_at__gte=F("claimed_at")),
                name="alliance_item_done_after_claim",
            ),
            models.CheckConstraint(
                condition=Q(linked_kind="", linked_id__isnull=True)
                | Q(~Q(linked_kind=""), kind="project", linked_id__isnull=False),
                name="alliance_item_link_is_a_project_with_id",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        errors = {}
        if self.alliance_id:
            if self.posted_by_id and self.posted_by.alliance_id != self.alliance_id:
                errors["posted_by"] = _("The poster must be a member of the alliance.")
            if self.claimed_by_id and self.claimed_by.alliance_id != self.alliance_id:
                errors["claimed_by"] = _("Only a member of the alliance can claim an item.")
        if self.claimed_by_id and self.claimed_by_id == self.posted_by_id:
            errors["claimed_by"] = _("A member cannot claim its own item.")
        claimed_states = {self.Status.CLAIMED, self.Status.IN_PROGRESS, self.Status.DONE}
        if self.status in claimed_states and not self.claimed_by_id:
            errors["claimed_by"] = _("A claimed item names the member who claimed it.")
        if self.status == self.Status.OPEN and self.claimed_by_id:
            errors["claimed_by"] = _("An open item is not claimed yet.")
        if self.claimed_at and self.started_at and self.started_at < self.claimed_at:
            errors["started_at"] = _("Work starts after the item was claimed.")
        if self.claimed_at and self.done_at and self.done_at < self.claimed_at:
            errors["done_at"] = _("An item is done after it was claimed.")
        if self.linked_kind and self.kind != self.Kind.PROJECT:
            errors["linked_kind"] = _("Only a project links to a referral or an activity.")
        if bool(self.linked_kind) != (self.linked_id is not None):
            errors["linked_id"] = _("Give both the kind and the number of the linked record.")
        if errors:
            raise ValidationError(errors)


class ExchangeCircle(SyncedModel):
    """党建交流圈 — neighbouring Party organisations that share events and practices."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    orgs = models.ManyToManyField(
        PartyOrg, verbose_name=_("Party organisations"), related_name="exchange_circles"
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = ExchangeCircleQuerySet.as_manager()

    class Meta:
        verbose_name = _("exchange circle")
        verbose_name_plural = _("exchange circles")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ExchangeCirclePost(models.Model):
    """交流圈动态 — an event or a practice one organisation shares with its circle."""

    class Kind(models.TextChoices):
        EVENT = "event", _("Event")
        PRACTICE = "practice", _("Practice")

    circle = models.ForeignKey(
        ExchangeCircle, verbose_name=_("circle"), on_delete=models.CASCADE, related_name="posts"
    )
    org = models.ForeignKey(
        PartyOrg,
        verbose_name=_("Party organisation"),
        on_delete=models.PROTECT,
        related_name="circle_posts",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), blank=True)
    happened_on = models.DateField(_("happened on"))
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("posted at"), default=timezone.now, editable=False)

    objects = ExchangeCirclePostQuerySet.as_manager()

    class Meta:
        verbose_name = _("exchange circle post")
        verbose_name_plural = _("exchange circle posts")
        ordering = ["-happened_on", "-id"]

    def __str__(self):
        return self.title

    def clean(self):
        if self.circle_id and self.org_id and not self.circle.orgs.filter(pk=self.org_id).exists():
            raise ValidationError({"org": _("The organisation is not in this circle.")})


# The list items' state machine: transition → (from which states, to which state). Each row is
# one write in partybuilding/alliances/writes.py with its gate in policy.py.
ITEM_TRANSITIONS = {
    "claim": (frozenset({AllianceItem.Status.OPEN}), AllianceItem.Status.CLAIMED),
    "start": (frozenset({AllianceItem.Status.CLAIMED}), AllianceItem.Status.IN_PROGRESS),
    "complete": (
        frozenset({AllianceItem.Status.CLAIMED, AllianceItem.Status.IN_PROGRESS}),
        AllianceItem.Status.DONE,
    ),
    "withdraw": (
        frozenset({AllianceItem.Status.OPEN, AllianceItem.Status.CLAIMED}),
        AllianceItem.Status.WITHDRAWN,
    ),
}
