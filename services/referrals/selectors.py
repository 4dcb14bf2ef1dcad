"""Reads of services/: each starts from `visible_to(actor)` and owns its joins.

A list page runs the same number of queries for 1 row and for 20: everything a row shows is
joined (`select_related`) or prefetched here, never fetched per row in a template.
"""

from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.querysets import model_perm
from services.catalogue.eligibility import resident_tag_codes, rule_evaluate
from services.models import (
    FollowUpTask,
    Partner,
    PartnerUserObjectPermission,
    Referral,
    ServiceItem,
)
from services.referrals.writes import OPEN_STATES

Status = Referral.Status

# The partner's working order: what waits for their answer, then what they are serving.
PARTNER_STAGE_ORDER = (Status.ASSIGNED, Status.ACCEPTED, Status.IN_SERVICE)


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
    the rest; within each, the nearest deadline first."""
    rank = Case(
        *(When(status=status, then=Value(i)) for i, status in enumerate(PARTNER_STAGE_ORDER)),
        default=Value(len(PARTNER_STAGE_ORDER)),
        output_field=IntegerField(),
    )
    return (
        referral_list(actor=actor, now=now)
        .annotate(stage_rank=rank)
        .order_by("stage_rank", F("stage_deadline").asc(nulls_last=True), "-created_at", "-id")
    )


def referral_detail_queryset(*, actor, now=None):
    """One referral with everything its detail page shows (filter by pk, or get_object_or_404)."""
    return referral_list(actor=actor, now=now).select_related(
        "resident__household__dwelling__building", "need__visit", "created_by"
    )


def referral_history(*, referral):
    """The referral's own events, oldest first, with who moved it."""
    return referral.events.select_related("actor").order_by("at", "id")


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


def referral_address(referral) -> str:
    """Where the partner goes: the building's address and the room (as the partner API says)."""
    household = referral.resident.household
    dwelling = household.dwelling if household else None
    if dwelling is None:
        return ""
    return f"{dwelling.building.address} {dwelling.room_label}"


# --- Partners and the catalogue ------------------------------------------------------------


def _count(queryset, fk: str):
    """A correlated COUNT of `queryset` rows pointing at the outer row through `fk`."""
    counted = (
        queryset.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def partner_list(*, actor):
    """Partners in scope with their staff count, open referrals and the items they provide."""
    staff = PartnerUserObjectPermission.objects.filter(
        permission__codename="act_for_partner", user__is_active=True
    )
    return (
        Partner.objects.visible_to(actor)
        .annotate(
            staff_count=_count(staff, "content_object"),
            open_referrals=_count(Referral.objects.filter(status__in=OPEN_STATES), "partner"),
        )
        .prefetch_related(
            Prefetch("service_items", queryset=ServiceItem.objects.order_by("group", "name"))
        )
    )


def service_item_list(*, actor):
    """The catalogue for roles that may view it, each item with the providers the actor may see.

    The catalogue has no jurisdiction; the role's view permission decides (as in the API).
    """
    if not actor.has_perm(model_perm(ServiceItem, "view")):
        return ServiceItem.objects.none()
    return ServiceItem.objects.prefetch_related(
        Prefetch("partners", queryset=Partner.objects.visible_to(actor).order_by("name"))
    )


def service_items_for_resident(*, resident) -> tuple[list[ServiceItem], list[ServiceItem]]:
    """Active catalogue items split into (eligible, other) for the resident's tags in force today.

    Two queries (the tags, the items), however long the catalogue is. A rule that no longer
    parses qualifies nobody, as in the API's `eligible_for` filter.
    """
    codes = resident_tag_codes(resident=resident)
    eligible, other = [], []
    for item in ServiceItem.objects.filter(active=True).order_by("group", "category", "name"):
        try:
            ok = rule_evaluate(item.eligibility_rule, codes)
        except ValidationError:
            ok = False
        (eligible if ok else other).append(item)
    return eligible, other
