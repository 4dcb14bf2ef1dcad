"""Writes of 双报到: a serving member reports to a community, the community posts needs which
members claim and deliver, members log hours which the community approves or rejects.

    need:  open → claimed → in_progress → done     (cancelled from any but done)
    hours: submitted → approved | rejected

Each write opens with its gate (serving/policy.py) and runs in one transaction; a transition
locks the row (`select_for_update`), checks the *current* state against its table
(serving/models.py NEED_TRANSITIONS / HOURS_TRANSITIONS: a stale click gets ServingConflict,
answered 409 by the API and a message on the pages), asks the gate again on the locked row,
validates, saves only what changed and writes an audit row. Points are decided by the street's
PointRule on approval, never by the request.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partybuilding.organisations.models import PartyMember
from partybuilding.serving.models import (
    HOURS_TRANSITIONS,
    NEED_TRANSITIONS,
    CommunityNeed,
    PointRule,
    ServiceHours,
)
from partybuilding.serving.policy import (
    access_community_need_cancel,
    access_community_need_claim,
    access_community_need_complete,
    access_community_need_create,
    access_community_need_start,
    access_community_need_update,
    access_feedback_sheet_view,
    access_member_report,
    access_point_rule_change,
    access_point_rule_create,
    access_service_hours_approve,
    access_service_hours_log,
    access_service_hours_reject,
)
from portal.audit import audit_record
from portal.notifications import notification_send


class ServingConflict(Exception):
    """The need or the hours are no longer in a state that allows this (someone moved them)."""


NEED_FIELDS = ("title", "description", "category")


# --- 双报到 ------------------------------------------------------------------------------------


def member_report(*, actor, member: PartyMember, community, on=None) -> PartyMember:
    """A serving member reports to the community where they live (双报到), from `on` (today)."""
    access_member_report(actor, member)
    with transaction.atomic():
        locked = PartyMember.objects.select_for_update().get(pk=member.pk)
        previous = locked.reported_community_id
        locked.reported_community = community
        locked.reported_on = on or timezone.localdate()
        locked.full_clean()
        locked.save(update_fields=["reported_community", "reported_on"])
        audit_record(
            actor=actor,
            action="party_member.report",
            obj=locked,
            details={"from": previous, "to": community.pk if community else None},
        )
    return locked


# --- Community needs --------------------------------------------------------------------------


def community_need_create(*, actor, community, title: str, **fields) -> CommunityNeed:
    """Post a need on a community's list, open for its reported members to claim."""
    access_community_need_create(actor, community)
    unknown = set(fields) - set(NEED_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    with transaction.atomic():
        need = CommunityNeed(community=community, title=title, created_by=actor, **fields)
        need.full_clean()
        need.save()
        audit_record(actor=actor, action="community_need.create", obj=need)
    return need


def community_need_update(*, actor, need: CommunityNeed, **fields) -> CommunityNeed:
    """Correct a need's title, description or category."""
    access_community_need_update(actor, need)
    unknown = set(fields) - set(NEED_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    with transaction.atomic():
        locked = CommunityNeed.objects.select_for_update().get(pk=need.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.full_clean()
        locked.save(update_fields=sorted(fields))
        audit_record(
            actor=actor,
            action="community_need.update",
            obj=locked,
            details={"fields": sorted(fields)},
        )
    return locked


NEED_VERBS = {
    "claim": _("claimed"),
    "start": _("started"),
    "complete": _("completed"),
    "cancel": _("cancelled"),
}


def _need_transition(*, name, gate, actor, need, apply=None) -> CommunityNeed:
    transition = NEED_TRANSITIONS[name]
    with transaction.atomic():
        locked = (
            CommunityNeed.objects.select_for_update(of=("self",))
            .select_related("community", "claimed_by")
            .get(pk=need.pk)
        )
        previous = locked.status
        if previous not in transition.sources:
            raise ServingConflict(
                _("This need is now “%(status)s”, so it can no longer be %(verb)s.")
                % {"status": locked.get_status_display(), "verb": NEED_VERBS[name]}
            )
        gate(actor, locked)
        changed = apply(locked) if apply is not None else []
        locked.status = transition.target
        locked.full_clean()
        locked.save(update_fields=["status", *changed])
        audit_record(
            actor=actor,
            action=f"community_need.{name}",
            obj=locked,
            details={"from": previous, "to": transition.target},
        )
    return locked


def community_need_claim(*, actor, need: CommunityNeed) -> CommunityNeed:
    """A member reported to the need's community takes it on."""
    access_community_need_claim(actor, need)
    member = PartyMember.objects.get(user=actor)

    def apply(locked):
        locked.claimed_by = member
        locked.claimed_at = timezone.now()
        return ["claimed_by", "claimed_at"]

    return _need_transition(
        name="claim", gate=access_community_need_claim, actor=actor, need=need, apply=apply
    )


def community_need_start(*, actor, need: CommunityNeed) -> CommunityNeed:
    """The member who claimed the need starts on it."""
    access_community_need_start(actor, need)
    return _need_transition(name="start", gate=access_community_need_start, actor=actor, need=need)


def community_need_complete(*, actor, need: CommunityNeed, delivered: str) -> CommunityNeed:
    """The member who claimed the need marks it done, saying what was delivered."""
    access_community_need_complete(actor, need)
    if not (delivered or "").strip():
        raise ValidationError({"delivered": _("Say what was delivered.")})

    def apply(locked):
        locked.delivered = delivered.strip()
        locked.done_at = timezone.now()
        return ["delivered", "done_at"]

    return _need_transition(
        name="complete", gate=access_community_need_complete, actor=actor, need=need, apply=apply
    )


def community_need_cancel(*, actor, need: CommunityNeed) -> CommunityNeed:
    """The community withdraws a need that is not done."""
    access_community_need_cancel(actor, need)
    return _need_transition(
        name="cancel", gate=access_community_need_cancel, actor=actor, need=need
    )


# --- Service hours ----------------------------------------------------------------------------


def service_hours_log(
    *,
    actor,
    served_on,
    hours,
    rule,
    description: str = "",
    need: CommunityNeed | None = None,
    evidence=None,
) -> ServiceHours:
    """A member logs hours served in the community they reported to (for a need they claimed,
    or general service); evidence is required when the rule says so."""
    access_service_hours_log(actor)
    member = PartyMember.objects.select_related("reported_community").get(user=actor)
    if not member.reported_community_id:
        raise ValidationError(
            {"community": _("Report to the community where you live before logging hours.")}
        )
    if not rule.active:
        raise ValidationError({"rule": _("This kind of service is no longer credited.")})
    claimed = CommunityNeed.objects.filter(claimed_by=member).exclude(
        status=CommunityNeed.Status.CANCELLED
    )
    if need is not None and not claimed.filter(pk=need.pk).exists():
        raise ValidationError({"need": _("Log hours for a need you claimed.")})
    with transaction.atomic():
        record = ServiceHours(
            member=member,
            community=member.reported_community,
            need=need,
            served_on=served_on,
            hours=hours,
            description=description,
            rule=rule,
        )
        if evidence:
            record.evidence = evidence
        record.full_clean()
        record.save()
        audit_record(
            actor=actor,
            action="service_hours.log",
            obj=record,
            details={"hours": str(hours), "need": need.pk if need else None},
        )
    return record


HOURS_VERBS = {"approve": _("approved"), "reject": _("rejected")}


def _hours_transition(*, name, gate, actor, hours, note: str, apply=None) -> ServiceHours:
    transition = HOURS_TRANSITIONS[name]
    with transaction.atomic():
        locked = (
            ServiceHours.objects.select_for_update(of=("self",))
            .select_related("member", "member__org", "member__user", "rule")
            .get(pk=hours.pk)
        )
        previous = locked.status
        if previous not in transition.sources:
            raise ServingConflict(
                _("These hours are now “%(status)s”, so they can no longer be %(verb)s.")
                % {"status": locked.get_status_display(), "verb": HOURS_VERBS[name]}
            )
        gate(actor, locked)
        changed = apply(locked) if apply is not None else []
        locked.status = transition.target
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.review_note = note
        locked.full_clean()
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note", *changed])
        audit_record(
            actor=actor,
            action=f"service_hours.{name}",
            obj=locked,
            details={"from": previous, "to": transition.target, "points": str(locked.points)},
        )
        if locked.member.user_id:
            notification_send(
                recipient=locked.member.user,
                title=str(
                    _("Your service hours of %(date)s were %(verb)s")
                    % {"date": locked.served_on.isoformat(), "verb": HOURS_VERBS[name]}
                ),
                body=note,
                obj=locked,
                url=reverse("partybuilding:hours-detail", args=[locked.pk]),
                dedup_key=f"service_hours:{locked.pk}:{name}",
            )
    return locked


def service_hours_approve(*, actor, hours: ServiceHours, note: str = "") -> ServiceHours:
    """The community approves the hours; the points come from the record's rule."""
    access_service_hours_approve(actor, hours)

    def apply(locked):
        # The rule decides; points keep two decimals (ROUND_HALF_UP, as the street counts).
        points = locked.rule.points_for(locked.hours)
        locked.points = points.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return ["points"]

    return _hours_transition(
        name="approve",
        gate=access_service_hours_approve,
        actor=actor,
        hours=hours,
        note=note,
        apply=apply,
    )


def service_hours_reject(*, actor, hours: ServiceHours, note: str) -> ServiceHours:
    """The community rejects the hours, saying why (no points)."""
    access_service_hours_reject(actor, hours)
    if not (note or "").strip():
        raise ValidationError({"note": _("Say why the hours are rejected.")})
    return _hours_transition(
        name="reject",
        gate=access_service_hours_reject,
        actor=actor,
        hours=hours,
        note=note.strip(),
    )


def feedback_sheet_export_record(*, actor, org, year: int, quarter: int) -> None:
    """An export of members' service leaves the portal: the audit trail records who took it."""
    access_feedback_sheet_view(actor)
    audit_record(
        actor=actor,
        action="party_feedback_sheet.export",
        obj=org,
        details={"year": year, "quarter": quarter},
    )


# --- Point rules (积分规则) --------------------------------------------------------------------

POINT_RULE_EDITABLE = frozenset(
    {"code", "name", "points_per_hour", "points_per_item", "evidence_required", "active"}
)


def point_rule_create(
    *,
    actor,
    code: str,
    name: str,
    points_per_hour: Decimal = Decimal("0"),
    points_per_item: Decimal = Decimal("0"),
    evidence_required: bool = True,
    active: bool = True,
) -> PointRule:
    """A new rule members may log hours under (while active)."""
    access_point_rule_create(actor)
    rule = PointRule(
        code=(code or "").strip(),
        name=(name or "").strip(),
        points_per_hour=points_per_hour,
        points_per_item=points_per_item,
        evidence_required=evidence_required,
        active=active,
    )
    rule.full_clean()
    with transaction.atomic():
        rule.save()
        audit_record(
            actor=actor,
            action="point_rule.create",
            obj=rule,
            details={
                "points_per_hour": str(rule.points_per_hour),
                "points_per_item": str(rule.points_per_item),
            },
        )
    return rule


def point_rule_update(*, actor, rule: PointRule, **fields) -> PointRule:
    """Change a rule; hours approved before keep the points they were given (deactivate a rule
    rather than reuse it for something else)."""
    access_point_rule_change(actor, rule)
    unknown = set(fields) - POINT_RULE_EDITABLE
    if unknown:
        raise TypeError(f"not editable on a point rule: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = PointRule.objects.select_for_update().get(pk=rule.pk)
        before = {name: str(getattr(locked, name)) for name in fields}
        changed = []
        for name, value in fields.items():
            if isinstance(value, str):
                value = value.strip()
            if getattr(locked, name) != value:
                setattr(locked, name, value)
                changed.append(name)
        if not changed:
            return locked
        locked.full_clean()
        locked.save(update_fields=changed)
        audit_record(
            actor=actor,
            action="point_rule.update",
            obj=locked,
            details={
                "fields": changed,
                "before": {name: before[name] for name in changed},
            },
        )
    return locked
