"""Reads of the referrals room: each starts from `visible_to(actor)` and owns its joins.

A list page runs the same number of queries for 1 row and for 20: everything a row shows is
joined (`select_related`) or prefetched here, never fetched per row in a template. The reads
of the hourly tasks (what is overdue, what is due) are here too, for the system (no actor).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Q,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.hooks import FileSection
from portal.policy import allowed
from services.referrals.models import (
    MINOR_UNDER_AGE,
    OPEN_STATES,
    TRANSITIONS,
    FollowUpTask,
    Referral,
    ReferralEvent,
    partner_stage_rank,
    resident_age,
    state_allows,
)
from services.referrals.policy import REFERRAL_GATES

Status = Referral.Status


def overdue_q(now) -> Q:
    """An open referral whose current stage's deadline has passed."""
    return Q(stage_deadline__lt=now, status__in=OPEN_STATES)


# --- Referrals --------------------------------------------------------------------------------


def referral_list(*, actor, now=None):
    """Referrals the actor may see, with what a row shows and `is_overdue`, newest first."""
    now = now or timezone.now()
    return (
        Referral.objects.visible_to(actor)
        .select_related("resident__household__grid", "service_item", "partner")
        .annotate(is_overdue=ExpressionWrapper(overdue_q(now), output_field=BooleanField()))
    )


def referral_partner_list(*, actor, now=None):
    """A partner's referrals: awaiting acceptance first, then accepted, then in service, then
    the rest; within each, the nearest deadline first.

    The index `referral_partner_queue` holds this order for each partner (the same
    `partner_stage_rank()` expression), so a page reads its 20 entries and joins their 20
    residents, instead of sorting all of the partner's referrals (bench, 1,917 referrals: the
    page's query 4.0 → 0.4 ms, and no second query for the residents).
    """
    return (
        referral_list(actor=actor, now=now)
        .select_related(None)
        .select_related("service_item", "partner", "resident")
        # What a row shows of the person is the name, sex and age: the ID number and the phone
        # are neither read nor decrypted for a partner's list.
        .defer("resident__id_number", "resident__phone")
        .annotate(stage_rank=partner_stage_rank())
        .order_by("stage_rank", F("stage_deadline").asc(nulls_last=True), "-created_at", "-id")
    )


def referral_detail_queryset(*, actor, now=None):
    """One referral with everything its detail page shows (filter by pk, or get_object_or_404)."""
    return referral_list(actor=actor, now=now).select_related(
        "resident__household__dwelling__building", "need__visit", "created_by"
    )


def referral_history(*, actor, referral):
    """The referral's events the actor may see (a partner: from its own assignment on), oldest
    first, with who moved it."""
    return (
        ReferralEvent.objects.visible_to(actor)
        .filter(referral=referral)
        .select_related("actor")
        .order_by("at", "id")
    )


def referral_actions(*, actor, referral, names) -> list[str]:
    """Of the actions `names` (in the page's order), those the referral's state allows now and
    whose gate lets the actor act: which forms the referral page offers."""
    return [
        name
        for name in names
        if state_allows(name, referral) and allowed(REFERRAL_GATES[name], actor, referral)
    ]


def referral_status_now(*, pk: int) -> str | None:
    """The status of a referral just acted on, even if it has left the actor's scope (a partner
    who declined): the status alone, nothing about the resident."""
    return Referral.objects.filter(pk=pk).values_list("status", flat=True).first()


def referral_follow_up_task(*, actor, referral):
    """The referral's follow-up task (回访), if the actor may see it, with who is on it."""
    return (
        FollowUpTask.objects.visible_to(actor)
        .filter(referral=referral)
        .select_related("assignee", "done_by")
        .first()
    )


def referral_counts(*, actor, now=None) -> dict[str, int]:
    """Counts for the home cards, in one query: by stage, open and overdue."""
    now = now or timezone.now()
    return Referral.objects.visible_to(actor).aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATES)),
        overdue=Count("pk", filter=overdue_q(now)),
        draft=Count("pk", filter=Q(status=Status.DRAFT)),
        submitted=Count("pk", filter=Q(status=Status.SUBMITTED)),
        escalated=Count("pk", filter=Q(status=Status.ESCALATED)),
        to_assign=Count("pk", filter=Q(status=Status.APPROVED)),
        assigned=Count("pk", filter=Q(status=Status.ASSIGNED)),
        serving=Count("pk", filter=Q(status__in=[Status.ACCEPTED, Status.IN_SERVICE])),
        completed=Count("pk", filter=Q(status=Status.COMPLETED)),
    )


def follow_up_counts(*, actor, today=None) -> dict[str, int]:
    """Follow-up tasks (回访) not done in the actor's scope, and how many are past due."""
    today = today or timezone.localdate()
    return (
        FollowUpTask.objects.visible_to(actor)
        .filter(done_at__isnull=True)
        .aggregate(open=Count("pk"), late=Count("pk", filter=Q(due_on__lt=today)))
    )


@dataclass(frozen=True)
class PartnerContact:
    """Whom the partner calls: the resident, or for a minor the guardian."""

    phone: str
    guardian_name: str = ""
    is_minor: bool = False


def referral_contact(referral, today=None) -> PartnerContact:
    """The contact a partner is shown. An adult: their own phone. A minor (under
    MINOR_UNDER_AGE, 18): never the child's own phone, but the guardian's — the registry records
    no guardian as such, so the guardian is the adult member of the child's household named in
    the referral's consent (`consent_guardian_name`), else the household head when an adult,
    else the oldest adult member; the name shown is the consent's guardian's, else that
    member's. Without such an adult the phone is empty (the partner asks the street)."""
    resident = referral.resident
    if resident_age(resident, today) >= MINOR_UNDER_AGE:
        return PartnerContact(phone=resident.phone or "")
    named = (referral.consent_guardian_name or "").strip()
    adults = []
    household = resident.household
    if household is not None:
        today = today or timezone.localdate()
        adults = [
            member
            for member in household.members.exclude(pk=resident.pk).filter(
                deceased_date__isnull=True
            )
            if resident_age(member, today) >= MINOR_UNDER_AGE
        ]
    guardian = next((m for m in adults if named and m.name == named), None)
    if guardian is None:
        guardian = next((m for m in adults if m.pk == household.head_id), None) if adults else None
    if guardian is None and adults:
        guardian = min(adults, key=lambda m: (m.birth_date, m.pk))
    return PartnerContact(
        phone=(guardian.phone or "") if guardian is not None else "",
        guardian_name=named or (guardian.name if guardian is not None else ""),
        is_minor=True,
    )


def referral_address(referral) -> str:
    """Where the partner goes: the building's address and the room (as the partner API says)."""
    household = referral.resident.household
    dwelling = household.dwelling if household else None
    if dwelling is None:
        return ""
    return f"{dwelling.building.address} {dwelling.room_label}"


# --- For the hourly tasks (the system: no actor, no scope) -------------------------------------


def referrals_to_escalate(*, now) -> list[Referral]:
    """Referrals past their stage deadline in a stage that escalates, oldest deadline first."""
    return list(
        Referral.objects.filter(stage_deadline__lt=now, status__in=TRANSITIONS["escalate"].sources)
        .only("pk", "stage_deadline")
        .order_by("stage_deadline", "pk")
    )


# Who must act before a stage deadline: the assigned partner, or the street.
PARTNER_STAGES = (Status.ASSIGNED, Status.ACCEPTED, Status.IN_SERVICE)
STREET_STAGES = (Status.SUBMITTED, Status.APPROVED)


def referrals_deadline_near(*, now) -> list[tuple]:
    """(pk, status, partner id, deadline, service name, resident name) of the referrals whose
    stage deadline falls within REFERRAL_DEADLINE_REMINDER_HOURS, in a stage someone must act on."""
    horizon = now + timedelta(hours=settings.REFERRAL_DEADLINE_REMINDER_HOURS)
    return list(
        Referral.objects.filter(
            status__in=(*PARTNER_STAGES, *STREET_STAGES),
            stage_deadline__gt=now,
            stage_deadline__lte=horizon,
        ).values_list(
            "pk", "status", "partner_id", "stage_deadline", "service_item__name", "resident__name"
        )
    )


def follow_ups_due(*, today) -> list[tuple]:
    """(pk, due on, assignee id, referral id, resident, service, community id) of the follow-up
    tasks not done and due by `today`, on referrals still going."""
    return list(
        FollowUpTask.objects.filter(done_at__isnull=True, due_on__lte=today)
        .exclude(referral__status__in=(Status.CANCELLED, Status.CLOSED))
        .values_list(
            "pk",
            "due_on",
            "assignee_id",
            "referral_id",
            "referral__resident__name",
            "referral__service_item__name",
            "referral__resident__household__grid__community_id",
        )
    )


# --- The resident's file (portal.hooks.file_sections_register) -------------------------------


def referral_file_section(*, actor, obj, limit: int):
    """The resident's referrals the actor sees, newest first, with status and deadline; absent
    for a reader who may not see referrals at all. One query."""
    if not actor.has_perm("services.view_referral"):
        return None
    rows = list(
        referral_list(actor=actor).filter(resident=obj).order_by("-created_at", "-id")[: limit + 1]
    )
    return FileSection(
        key="referrals",
        title=_("Referrals"),
        template="grids/_file_referrals.html",
        rows=rows[:limit],
        more=len(rows) > limit,
        order=30,
    )
