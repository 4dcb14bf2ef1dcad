"""Referrals (转介), their history and follow-ups, and the states a referral moves through.

TRANSITIONS is the one table of the state machine: which states each transition leaves from
and where it goes. Who may perform each one is its gate in services/referrals/policy.py; the
functions that run them are in services/referrals/writes.py.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import ChoiceLabels
from services.catalogue.models import Partner, ServiceItem
from services.referrals.querysets import (
    FollowUpTaskQuerySet,
    ReferralEventQuerySet,
    ReferralQuerySet,
)

# A partner's working order: what waits for its answer (Referral.Status.ASSIGNED), then what it
# accepted, then what it is serving. Plain values: the index below is declared inside Referral.
PARTNER_STAGE_ORDER = ("assigned", "accepted", "in_service")


def partner_stage_rank() -> models.Case:
    """A partner's working order as a number: awaiting its acceptance 0, accepted 1, in service
    2, anything else 3 (`PARTNER_STAGE_ORDER`).

    One expression for both the partner's list (its ORDER BY) and the index that delivers that
    order (`referral_partner_queue`): PostgreSQL uses an expression index only for the very
    same expression, so neither may be written twice."""
    return models.Case(
        *(
            models.When(status=status, then=models.Value(rank))
            for rank, status in enumerate(PARTNER_STAGE_ORDER)
        ),
        default=models.Value(len(PARTNER_STAGE_ORDER)),
        output_field=models.IntegerField(),
    )


class Referral(ChoiceLabels, models.Model):
    """转介 — one resident's need brought to a partner, followed until the loop is closed.

    Its states and the transitions between them are TRANSITIONS below (one table).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ASSIGNED = "assigned", _("Assigned to a partner")
        ACCEPTED = "accepted", _("Accepted by the partner")
        DECLINED = "declined", _("Declined by the partner")
        IN_SERVICE = "in_service", _("In service")
        COMPLETED = "completed", _("Completed")
        FOLLOWED_UP = "followed_up", _("Followed up")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")
        ESCALATED = "escalated", _("Escalated (deadline missed)")

    class ConsentBy(models.TextChoices):
        RESIDENT = "resident", _("The resident")
        GUARDIAN = "guardian", _("The guardian")

    class PlanPeriod(models.TextChoices):
        WEEK = "week", _("a week")
        MONTH = "month", _("a month")

    resident = models.ForeignKey(
        "grids.Resident",
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    service_item = models.ForeignKey(
        ServiceItem, verbose_name=_("service"), on_delete=models.PROTECT, related_name="referrals"
    )
    need = models.ForeignKey(
        "grids.VisitNeed",
        verbose_name=_("need raised in a visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    description = models.TextField(_("what is needed"), blank=True)
    consent_by = models.CharField(
        _("consent given by"), max_length=16, choices=ConsentBy.choices, blank=True
    )
    consent_guardian_name = models.CharField(_("guardian's name"), max_length=64, blank=True)
    consent_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True)
    stage_deadline = models.DateTimeField(_("deadline of the current stage"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("resident's satisfaction (1–5)"), null=True, blank=True
    )
    # The service plan (服务计划): how much, per week or month, from when to when — "2 hours a
    # week for three months". All four or none; deliveries are checked against it
    # (services/referrals/plans.py).
    plan_quantity = models.DecimalField(
        _("planned quantity per period"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    plan_period = models.CharField(
        _("plan period"), max_length=8, choices=PlanPeriod.choices, blank=True
    )
    plan_start = models.DateField(_("plan starts"), null=True, blank=True)
    plan_end = models.DateField(_("plan ends"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # The resident's jurisdiction columns (grids.Resident.scope_grid / scope_community), copied
    # by database triggers whenever the referral is written or its resident's jurisdiction
    # changes (migration 0012): a grid worker's or a community's referral list and its count
    # read their own index range instead of joining every referral to the residents. Never set
    # or read them in code — scope reads them through `RegistryScope.residents_q`.
    scope_grid = models.BigIntegerField(null=True, editable=False)
    scope_community = models.BigIntegerField(null=True, editable=False)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["partner", "status"], name="referral_partner_status"),
            # A partner's list in its working order (services.referrals.selectors
            # .referral_partner_list): a page of 20 reads 20 index entries instead of sorting
            # every referral the partner ever had (bench, 1,917 referrals: 4.0 → 0.4 ms).
            models.Index(
                models.F("partner"),
                partner_stage_rank(),
                # Ascending: PostgreSQL puts NULLs last, as the list asks (SQLite cannot say so).
                models.F("stage_deadline").asc(),
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="referral_partner_queue",
            ),
            # The lists' order: a page of 20 reads 20 index entries, not every referral sorted
            # (bench: 61 → 0.2 ms at 20,000 referrals).
            models.Index(fields=["-created_at", "-id"], name="referral_newest_first"),
            # The same order within a grid or a community (the scoped lists).
            models.Index(fields=["scope_grid", "-created_at", "-id"], name="referral_grid_newest"),
            models.Index(
                fields=["scope_community", "-created_at", "-id"],
                name="referral_community_newest",
            ),
        ]

    def __str__(self):
        return f"{self.resident} · {self.service_item}"

    @property
    def has_plan(self) -> bool:
        return self.plan_quantity is not None

    def clean(self):
        """A plan is whole (quantity, period, start and end) or absent; it ends on or after
        its start and lasts at most PLAN_LONGEST_DAYS."""
        parts = {
            "plan_quantity": self.plan_quantity is not None,
            "plan_period": bool(self.plan_period),
            "plan_start": self.plan_start is not None,
            "plan_end": self.plan_end is not None,
        }
        if any(parts.values()) and not all(parts.values()):
            raise ValidationError(
                {
                    field: _("A plan needs its quantity, period, start and end.")
                    for field, given in parts.items()
                    if not given
                }
            )
        if all(parts.values()) and isinstance(self.plan_start, date):
            if self.plan_end < self.plan_start:
                raise ValidationError({"plan_end": _("The plan cannot end before it starts.")})
            if (self.plan_end - self.plan_start).days > PLAN_LONGEST_DAYS:
                raise ValidationError(
                    {
                        "plan_end": _("A plan lasts at most %(days)s days.")
                        % {"days": PLAN_LONGEST_DAYS}
                    }
                )


# A plan longer than two years is a typo (a new plan is agreed when it runs out).
PLAN_LONGEST_DAYS = 731

Status = Referral.Status

# Open: the loop is not closed yet (a deadline runs, the dashboards count it as open).
OPEN_STATES = frozenset(
    {
        Status.DRAFT,
        Status.SUBMITTED,
        Status.APPROVED,
        Status.ASSIGNED,
        Status.ACCEPTED,
        Status.IN_SERVICE,
        Status.ESCALATED,
    }
)

# States in which consent may still be recorded (before the resident is shared).
CONSENT_STATES = frozenset({Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.ESCALATED})


class DeclineReason(models.TextChoices):
    """Why a partner declined (kept on the history's event)."""

    CAPACITY = "capacity", _("No capacity at the moment")
    OUT_OF_AREA = "out_of_area", _("Outside our service area")
    NOT_ELIGIBLE = "not_eligible", _("The resident is not eligible")
    RESIDENT_REFUSED = "resident_refused", _("The resident refused the service")
    OTHER = "other", _("Other")


class CancelReason(models.TextChoices):
    """Why a referral was stopped (kept on the history's event)."""

    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
    DECEASED = "deceased", _("The resident died")
    MOVED_AWAY = "moved_away", _("The resident moved away")
    OTHER = "other", _("Other")


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str


# The one table: transition name → (from-states, to-state). Who may do it: its gate.
TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(frozenset({Status.DRAFT}), Status.SUBMITTED),
    "approve": Transition(frozenset({Status.SUBMITTED, Status.ESCALATED}), Status.APPROVED),
    "reject": Transition(frozenset({Status.SUBMITTED, Status.ESCALATED}), Status.REJECTED),
    "assign": Transition(frozenset({Status.APPROVED, Status.ESCALATED}), Status.ASSIGNED),
    "accept": Transition(frozenset({Status.ASSIGNED}), Status.ACCEPTED),
    # Declined is passed through: the referral goes back to approved for another partner.
    "decline": Transition(frozenset({Status.ASSIGNED}), Status.APPROVED),
    "start": Transition(frozenset({Status.ACCEPTED}), Status.IN_SERVICE),
    "complete": Transition(frozenset({Status.IN_SERVICE}), Status.COMPLETED),
    "follow_up": Transition(frozenset({Status.COMPLETED}), Status.FOLLOWED_UP),
    "close": Transition(frozenset({Status.FOLLOWED_UP}), Status.CLOSED),
    "cancel": Transition(OPEN_STATES, Status.CANCELLED),
    "escalate": Transition(
        frozenset(
            {
                Status.SUBMITTED,
                Status.APPROVED,
                Status.ASSIGNED,
                Status.ACCEPTED,
                Status.IN_SERVICE,
            }
        ),
        Status.ESCALATED,
    ),
}


# States in which the street may set or change the service plan (the loop is still open).
PLAN_STATES = OPEN_STATES


def state_allows(name: str, referral: Referral) -> bool:
    """Whether the referral's current state allows the action (consent: before it is shared;
    the plan: while the referral is open)."""
    if name == "consent":
        return referral.status in CONSENT_STATES
    if name == "plan":
        return referral.status in PLAN_STATES
    return referral.status in TRANSITIONS[name].sources


# A minor (未成年人): the partner is shown the guardian's name and phone, not the child's.
MINOR_UNDER_AGE = 18


def resident_age(resident, today: date | None = None) -> int:
    """The resident's age in whole years today (or on `today`): a child's consent is a guardian's."""
    today = today or timezone.localdate()
    birth = resident.birth_date
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class ReferralEvent(ChoiceLabels, models.Model):
    """转介记录 — one transition in a referral's history: who moved it, from where, to where, why."""

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("from"), max_length=16, choices=Referral.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=Referral.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The partner the referral was with at this step (who declined, who accepted)."),
    )
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    objects = ReferralEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        ordering = ["referral", "at", "id"]
        indexes = [
            # The partners' answers (assigned → accepted or declined), which the dashboards'
            # response times read: a fifth of the history (bench: 81,887 events with a
            # partner, 17,970 answers in the year). Community dashboard 30 → 11 ms.
            models.Index(
                fields=["referral", "at"],
                name="referralevent_answers",
                condition=models.Q(from_status="assigned", partner__isnull=False),
            ),
            # Each answer's assignment: the latest `assigned` event before it, read from the
            # index in order (no sort per answer).
            models.Index(
                fields=["referral", "-at", "-id"],
                name="referralevent_assignments",
                condition=models.Q(to_status="assigned"),
            ),
        ]

    def __str__(self):
        return f"{self.referral_id}: {self.from_status} → {self.to_status}"


class FollowUpTask(models.Model):
    """回访任务 — checking with the resident after a completed service, due by a date.

    Opened when the partner completes the referral, assigned to the resident's grid worker,
    done when the referral is closed with its outcome and the resident's satisfaction.
    """

    referral = models.OneToOneField(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="follow_up"
    )
    due_on = models.DateField(_("due on"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = FollowUpTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["done_at", "due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"],
                name="followup_due_open",
                condition=models.Q(done_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.referral} · {self.due_on}"
