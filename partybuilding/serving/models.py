"""双报到: the community's needs list, the street's point rules and the hours members serve."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Region
from partybuilding.organisations.models import PartyMember
from partybuilding.serving.querysets import (
    CommunityNeedQuerySet,
    PointRuleQuerySet,
    ServiceHoursQuerySet,
)
from portal.models import SyncedModel

HOURS_MIN = Decimal("0.5")
HOURS_MAX = Decimal("24")


class CommunityNeed(SyncedModel):
    """社区需求清单 — one item of a community's needs list that a reported member may claim."""

    class Category(models.TextChoices):
        ELDERLY_CARE = "elderly_care", _("Care for the elderly")
        CHILDREN = "children", _("Children and study help")
        ENVIRONMENT = "environment", _("Environment and sanitation")
        SAFETY = "safety", _("Safety patrol")
        CIVILITY = "civility", _("Civility practice")
        SKILLS = "skills", _("Professional skills")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLAIMED = "claimed", _("Claimed")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    community = models.ForeignKey(
        Region,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="party_needs",
        limit_choices_to={"level": Region.Level.COMMUNITY},
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(
        _("category"), max_length=16, choices=Category.choices, default=Category.OTHER
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    claimed_by = models.ForeignKey(
        PartyMember,
        verbose_name=_("claimed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claimed_needs",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    delivered = models.TextField(_("what was delivered"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("posted at"), default=timezone.now, editable=False)

    objects = CommunityNeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("community need")
        verbose_name_plural = _("community needs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "status"], name="party_need_community")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="open") | Q(claimed_by__isnull=True),
                name="community_need_open_unclaimed",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["claimed", "in_progress", "done"])
                | Q(claimed_by__isnull=False, claimed_at__isnull=False),
                name="community_need_claimed_by_someone",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(done_at__isnull=False),
                name="community_need_done_has_time",
            ),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True)
                | Q(claimed_at__isnull=True)
                | Q(done_at__gte=F("claimed_at")),
                name="community_need_done_after_claim",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        errors = {}
        if self.community_id and self.community.level != Region.Level.COMMUNITY:
            errors["community"] = _("Choose a community.")
        claimed_states = {self.Status.CLAIMED, self.Status.IN_PROGRESS, self.Status.DONE}
        if self.status in claimed_states and not self.claimed_by_id:
            errors["claimed_by"] = _("A claimed need names the member who claimed it.")
        if self.status == self.Status.OPEN and self.claimed_by_id:
            errors["claimed_by"] = _("An open need is not claimed yet.")
        if self.done_at and self.claimed_at and self.done_at < self.claimed_at:
            errors["done_at"] = _("A need is done after it was claimed.")
        if errors:
            raise ValidationError(errors)


class PointRule(models.Model):
    """积分规则 — how approved service earns member points; set by the street, never by a request."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    points_per_hour = models.DecimalField(
        _("points per hour"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    points_per_item = models.DecimalField(
        _("points per item"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Points for each approved record, whatever its hours."),
    )
    evidence_required = models.BooleanField(_("evidence required"), default=True)
    active = models.BooleanField(_("active"), default=True)

    objects = PointRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("point rule")
        verbose_name_plural = _("point rules")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_per_hour__gte=0) & Q(points_per_item__gte=0),
                name="point_rule_points_not_negative",
            ),
        ]

    def __str__(self):
        return self.name

    def points_for(self, hours: Decimal) -> Decimal:
        """The points one approved record of `hours` earns under this rule."""
        return self.points_per_hour * hours + self.points_per_item


class ServiceHours(SyncedModel):
    """服务时长 — hours a member served in a community, with evidence, until the community
    approves them; approval credits points from the rule (never from the request)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    member = models.ForeignKey(
        PartyMember,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="service_hours",
    )
    need = models.ForeignKey(
        CommunityNeed,
        verbose_name=_("need served"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_hours",
    )
    community = models.ForeignKey(
        Region,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="party_service_hours",
        limit_choices_to={"level": Region.Level.COMMUNITY},
    )
    served_on = models.DateField(_("served on"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=3,
        decimal_places=1,
        validators=[MinValueValidator(HOURS_MIN), MaxValueValidator(HOURS_MAX)],
    )
    description = models.TextField(_("what was done"), blank=True)
    evidence = models.FileField(
        _("evidence"), upload_to="partybuilding/evidence/%Y/%m/", blank=True
    )
    rule = models.ForeignKey(
        PointRule, verbose_name=_("point rule"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    points = models.DecimalField(
        _("points"), max_digits=8, decimal_places=2, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now, editable=False)

    objects = ServiceHoursQuerySet.as_manager()

    class Meta:
        verbose_name = _("service hours")
        verbose_name_plural = _("service hours")
        ordering = ["-served_on", "-id"]
        indexes = [
            models.Index(fields=["community", "status"], name="party_hours_community"),
            models.Index(fields=["member", "served_on"], name="party_hours_member"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gte=HOURS_MIN) & Q(hours__lte=HOURS_MAX),
                name="service_hours_in_range",
            ),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | Q(points__gte=0),
                name="service_hours_points_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status="submitted") | Q(points__isnull=True, reviewed_at__isnull=True),
                name="service_hours_submitted_unreviewed",
            ),
            models.CheckConstraint(
                condition=Q(status="submitted") | Q(reviewed_at__isnull=False),
                name="service_hours_reviewed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(points__isnull=False),
                name="service_hours_approved_has_points",
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.served_on} · {self.hours} h"

    def clean(self):
        errors = {}
        if self.hours is not None and not HOURS_MIN <= self.hours <= HOURS_MAX:
            errors["hours"] = _("Hours are between 0.5 and 24.")
        if self.served_on and self.served_on > timezone.localdate():
            errors["served_on"] = _("Service cannot be logged ahead of the day it happens.")
        if self.rule_id and self.rule.evidence_required and not self.evidence:
            errors["evidence"] = _("This kind of service needs evidence (a photo or a document).")
        if self.need_id and self.community_id and self.need.community_id != self.community_id:
            errors["need"] = _("The need belongs to another community.")
        if self.community_id and self.community.level != Region.Level.COMMUNITY:
            errors["community"] = _("Choose a community.")
        if errors:
            raise ValidationError(errors)


# --- The state machines (one table each): which states each transition leaves from, and where
# it goes. Who may run each one is its gate (serving/policy.py); the writes run them.


@dataclass(frozen=True)
class Transition:
    """One row of a transitions table: from `sources` to `target`."""

    sources: frozenset
    target: str


_Need = CommunityNeed.Status
NEED_TRANSITIONS: dict[str, Transition] = {
    "claim": Transition(frozenset({_Need.OPEN}), _Need.CLAIMED),
    "start": Transition(frozenset({_Need.CLAIMED}), _Need.IN_PROGRESS),
    "complete": Transition(frozenset({_Need.CLAIMED, _Need.IN_PROGRESS}), _Need.DONE),
    "cancel": Transition(
        frozenset({_Need.OPEN, _Need.CLAIMED, _Need.IN_PROGRESS}), _Need.CANCELLED
    ),
}

_Hours = ServiceHours.Status
HOURS_TRANSITIONS: dict[str, Transition] = {
    "approve": Transition(frozenset({_Hours.SUBMITTED}), _Hours.APPROVED),
    "reject": Transition(frozenset({_Hours.SUBMITTED}), _Hours.REJECTED),
}
