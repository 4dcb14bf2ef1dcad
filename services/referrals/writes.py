"""Referrals (转介) that close the loop: the state machine, in one table, and its service functions.

    draft → submitted → approved | rejected → assigned → accepted | (declined → approved)
          → in_service → completed → followed_up → closed
    side exits: cancelled (consent withdrawn, death, moved away), escalated (deadline missed)

Every transition is one function `referral_<name>(*, actor, referral, ...)`. Each one, in one
transaction: locks the row (`select_for_update`), checks the *current* status against
TRANSITIONS (a stale click gets ReferralConflict, answered 409 by the API), checks the actor
with the transition's predicate (PermissionDenied), sets the status and the stage deadline
(settings.REFERRAL_STAGE_DAYS), writes one ReferralEvent and one audit event, and notifies
whoever must act next.

A decline is not a resting state: it sends the referral back to `approved` (partner cleared)
for the street to choose another partner; the event keeps the partner's reason. An escalated
referral goes back to the street, who may approve, reject, assign (another partner) or cancel.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.audit import audit_record
from portal.querysets import jurisdiction_holds
from portal.roles import STREET_ROLES, Role
from portal.writes import notification_send
from services.models import (
    FollowUpTask,
    Partner,
    PartnerUserObjectPermission,
    Referral,
    ServiceItem,
)

Status = Referral.Status
LOCAL_ROLES = frozenset({Role.COMMUNITY_CADRE, Role.GRID_LEADER, Role.GRID_WORKER})


class ReferralConflict(Exception):
    """The referral is no longer in a state that allows this transition (someone else moved it)."""


class DeclineReason(models.TextChoices):
    CAPACITY = "capacity", _("No capacity at the moment")
    OUT_OF_AREA = "out_of_area", _("Outside our service area")
    NOT_ELIGIBLE = "not_eligible", _("The resident is not eligible")
    RESIDENT_REFUSED = "resident_refused", _("The resident refused the service")
    OTHER = "other", _("Other")


class CancelReason(models.TextChoices):
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
    DECEASED = "deceased", _("The resident died")
    MOVED_AWAY = "moved_away", _("The resident moved away")
    OTHER = "other", _("Other")


# --- Who may act ---------------------------------------------------------------------------


def is_street(actor, referral) -> bool:
    """Street roles review, approve, reject and assign."""
    return actor is not None and actor.role in STREET_ROLES


def is_local_staff(actor, referral) -> bool:
    """Community and grid staff with the resident in their scope (the side that raised it)."""
    if actor is None or actor.role not in LOCAL_ROLES:
        return False
    return Referral.objects.visible_to(actor, "change").filter(pk=referral.pk).exists()


def is_local_staff_or_street(actor, referral) -> bool:
    return is_street(actor, referral) or is_local_staff(actor, referral)


def is_assigned_partner(actor, referral) -> bool:
    """Staff of the partner the referral is assigned to, and only them."""
    if actor is None or actor.role != Role.PARTNER_STAFF or referral.partner_id is None:
        return False
    return jurisdiction_holds(user=actor, perm="services.act_for_partner", obj=referral.partner)


def is_system_or_street(actor, referral) -> bool:
    """The deadline task runs without a user (actor None); the street may escalate by hand."""
    return actor is None or is_street(actor, referral)


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    allowed: Callable[[object, Referral], bool]


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

# The one table: transition name → (from-states, to-state, who may do it).
TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(frozenset({Status.DRAFT}), Status.SUBMITTED, is_local_staff_or_street),
    "approve": Transition(
        frozenset({Status.SUBMITTED, Status.ESCALATED}), Status.APPROVED, is_street
    ),
    "reject": Transition(
        frozenset({Status.SUBMITTED, Status.ESCALATED}), Status.REJECTED, is_street
    ),
    "assign": Transition(
        frozenset({Status.APPROVED, Status.ESCALATED}), Status.ASSIGNED, is_street
    ),
    "accept": Transition(frozenset({Status.ASSIGNED}), Status.ACCEPTED, is_assigned_partner),
    # Declined is passed through: the referral goes back to approved for another partner.
    "decline": Transition(frozenset({Status.ASSIGNED}), Status.APPROVED, is_assigned_partner),
    "start": Transition(frozenset({Status.ACCEPTED}), Status.IN_SERVICE, is_assigned_partner),
    "complete": Transition(frozenset({Status.IN_SERVICE}), Status.COMPLETED, is_assigned_partner),
    # The follow-up is the grid's task, but a street cadre who calls the resident may record it.
    "follow_up": Transition(
        frozenset({Status.COMPLETED}), Status.FOLLOWED_UP, is_local_staff_or_street
    ),
    "close": Transition(frozenset({Status.FOLLOWED_UP}), Status.CLOSED, is_local_staff_or_street),
    "cancel": Transition(OPEN_STATES, Status.CANCELLED, is_local_staff_or_street),
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
        is_system_or_street,
    ),
}

# States in which consent may still be recorded (before the resident is shared).
CONSENT_STATES = frozenset({Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.ESCALATED})


# --- Helpers -------------------------------------------------------------------------------


def _age(birth_date: date, today: date) -> int:
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def resident_age(resident, today: date | None = None) -> int:
    return _age(resident.birth_date, today or timezone.localdate())


def _partner_staff(partner: Partner):
    from portal.models import User

    grants = PartnerUserObjectPermission.objects.filter(
        content_object=partner, permission__codename="act_for_partner"
    ).values("user")
    return User.objects.filter(pk__in=grants, is_active=True).order_by("pk")


def _transition(
    *,
    name: str,
    actor,
    referral: Referral,
    reason: str = "",
    note: str = "",
    check: Callable[[Referral], None] | None = None,
    apply: Callable[[Referral], list[str]] | None = None,
) -> Referral:
    """Run one row of TRANSITIONS on a locked referral; `check` validates, `apply` sets fields."""
    transition = TRANSITIONS[name]
    with transaction.atomic():
        locked = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("partner", "service_item", "resident")
            .get(pk=referral.pk)
        )
        previous = locked.status
        if previous not in transition.sources:
            raise ReferralConflict(
                _("This referral is now “%(status)s”, so it can no longer be %(action)s.")
                % {"status": locked.get_status_display(), "action": TRANSITION_VERBS[name]}
            )
        if not transition.allowed(actor, locked):
            raise PermissionDenied(_("You may not do this to this referral."))
        if check is not None:
            check(locked)
        partner_before = locked.partner_id
        changed = apply(locked) if apply is not None else []
        now = timezone.now()
        days = settings.REFERRAL_STAGE_DAYS.get(transition.target)
        locked.status = transition.target
        locked.stage_deadline = now + timedelta(days=days) if days else None
        locked.updated_at = now
        locked.full_clean()
        locked.save(update_fields=["status", "stage_deadline", "updated_at", *changed])
        event = locked.events.create(
            from_status=previous,
            to_status=transition.target,
            actor=actor,
            partner_id=locked.partner_id or partner_before,
            reason=reason,
            note=note,
            at=now,
        )
        audit_record(
            actor=actor,
            action=f"referral.{name}",
            obj=locked,
            details={"from": previous, "to": transition.target, "reason": reason},
        )
        _notify(name=name, referral=locked, event=event)
    return locked


TRANSITION_VERBS = {
    "submit": _("submitted"),
    "approve": _("approved"),
    "reject": _("rejected"),
    "assign": _("assigned"),
    "accept": _("accepted"),
    "decline": _("declined"),
    "start": pgettext_lazy("referral", "service started"),
    "complete": _("completed"),
    "follow_up": _("followed up"),
    "close": _("closed"),
    "cancel": _("cancelled"),
    "escalate": _("escalated"),
}


def _notify(*, name: str, referral: Referral, event) -> None:
    """The partner's staff hear of an assignment; the creator hears the partner's answers."""
    key = f"referral:{referral.pk}:{name}:{event.pk}"
    title = _("Referral %(item)s: %(verb)s") % {
        "item": referral.service_item.name,
        "verb": TRANSITION_VERBS[name],
    }
    if name == "assign":
        for user in _partner_staff(referral.partner):
            notification_send(recipient=user, title=str(title), dedup_key=key)
    elif name in ("accept", "decline", "complete"):
        notification_send(recipient=referral.created_by, title=str(title), dedup_key=key)


def _check_consent(referral: Referral) -> None:
    if not referral.consent_by or referral.consent_at is None:
        raise ValidationError(
            {"consent_by": _("Record the resident's consent before sharing with a partner.")}
        )
    is_child = resident_age(referral.resident) < settings.GUARDIAN_CONSENT_UNDER_AGE
    guardian_named = (
        referral.consent_by == Referral.ConsentBy.GUARDIAN and referral.consent_guardian_name
    )
    if is_child and not guardian_named:
        raise ValidationError(
            {
                "consent_by": _("The resident is under %(age)s: a guardian must consent, by name.")
                % {"age": settings.GUARDIAN_CONSENT_UNDER_AGE}
            }
        )


def _check_eligible(referral: Referral) -> None:
    rule = referral.service_item.eligibility_rule
    if not rule:
        return  # no rule: everyone is eligible
    from services.catalogue.eligibility import (
        resident_is_eligible,  # written alongside; import lazily
    )

    if not resident_is_eligible(resident=referral.resident, rule=rule):
        raise ValidationError(
            {"service_item": _("The resident does not meet this service's eligibility rule.")}
        )


# --- Create --------------------------------------------------------------------------------


def _check_may_create(actor, resident) -> None:
    from grids.models import Resident

    if actor is None or not actor.has_perm("services.add_referral"):
        raise PermissionDenied(_("You may not create referrals."))
    if not Resident.objects.visible_to(actor).filter(pk=resident.pk).exists():
        raise ValidationError({"resident": _("This resident is not in your area.")})


def referral_create(
    *, actor, resident, service_item: ServiceItem, description: str = "", need=None
) -> Referral:
    """Open a draft referral for a resident in the actor's scope."""
    _check_may_create(actor, resident)
    if not service_item.active:
        raise ValidationError({"service_item": _("This service is no longer offered.")})
    with transaction.atomic():
        now = timezone.now()
        referral = Referral(
            resident=resident,
            service_item=service_item,
            need=need,
            description=description,
            status=Status.DRAFT,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        referral.full_clean()
        referral.save()
        referral.events.create(from_status="", to_status=Status.DRAFT, actor=actor, at=now)
        audit_record(actor=actor, action="referral.create", obj=referral)
    return referral


def referral_create_from_need(*, actor, need, service_item: ServiceItem) -> Referral:
    """A need raised in a visit becomes a referral in one step; the need is marked referred."""
    from grids.models import VisitNeed
    from grids.writes import visit_need_set_status

    if not VisitNeed.objects.visible_to(actor).filter(pk=need.pk).exists():
        raise ValidationError({"need": _("This need is not in your area.")})
    if need.resident_id is None:
        raise ValidationError({"need": _("This need names no resident; refer a resident.")})
    if need.status != VisitNeed.Status.OPEN:
        raise ValidationError({"need": _("This need is no longer open.")})
    with transaction.atomic():
        referral = referral_create(
            actor=actor,
            resident=need.resident,
            service_item=service_item,
            description=need.description,
            need=need,
        )
        visit_need_set_status(actor=actor, need=need, status=VisitNeed.Status.REFERRED)
    return referral


def referral_record_consent(
    *, actor, referral: Referral, consent_by: str, guardian_name: str = ""
) -> Referral:
    """Record who consented to sharing the resident with a partner (a guardian for a child)."""
    if consent_by not in Referral.ConsentBy.values:
        raise ValidationError({"consent_by": _("Choose who gave consent.")})
    guardian_name = guardian_name.strip()
    if consent_by == Referral.ConsentBy.GUARDIAN and not guardian_name:
        raise ValidationError({"guardian_name": _("Give the guardian's name.")})
    with transaction.atomic():
        locked = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("resident")
            .get(pk=referral.pk)
        )
        if locked.status not in CONSENT_STATES:
            raise ReferralConflict(
                _("Consent can no longer be recorded: this referral is now “%(status)s”.")
                % {"status": locked.get_status_display()}
            )
        if not is_local_staff_or_street(actor, locked):
            raise PermissionDenied(_("You may not do this to this referral."))
        if (
            resident_age(locked.resident) < settings.GUARDIAN_CONSENT_UNDER_AGE
            and consent_by != Referral.ConsentBy.GUARDIAN
        ):
            raise ValidationError(
                {
                    "consent_by": _("The resident is under %(age)s: a guardian must consent.")
                    % {"age": settings.GUARDIAN_CONSENT_UNDER_AGE}
                }
            )
        locked.consent_by = consent_by
        locked.consent_guardian_name = (
            guardian_name if consent_by == Referral.ConsentBy.GUARDIAN else ""
        )
        locked.consent_at = timezone.now()
        locked.updated_at = locked.consent_at
        locked.save(
            update_fields=["consent_by", "consent_guardian_name", "consent_at", "updated_at"]
        )
        audit_record(
            actor=actor, action="referral.consent", obj=locked, details={"consent_by": consent_by}
        )
    return locked


# --- Transitions (one function per row of TRANSITIONS) --------------------------------------


def referral_submit(*, actor, referral: Referral) -> Referral:
    """Send a draft to the street for review."""
    return _transition(name="submit", actor=actor, referral=referral)


def referral_approve(*, actor, referral: Referral, note: str = "") -> Referral:
    """The street approves: a partner is to be chosen."""
    return _transition(name="approve", actor=actor, referral=referral, note=note)


def referral_reject(*, actor, referral: Referral, reason: str) -> Referral:
    """The street rejects, saying why (free text, kept in the note)."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Say why the referral is rejected.")})
    return _transition(name="reject", actor=actor, referral=referral, note=reason.strip())


def referral_assign(*, actor, referral: Referral, partner: Partner) -> Referral:
    """Give the referral to a partner that provides the item, once consent and eligibility hold."""

    def check(locked):
        _check_consent(locked)
        if not locked.service_item.partners.filter(pk=partner.pk).exists():
            raise ValidationError({"partner": _("This partner does not provide this service.")})
        _check_eligible(locked)

    def apply(locked):
        locked.partner = partner
        return ["partner"]

    return _transition(name="assign", actor=actor, referral=referral, check=check, apply=apply)


def referral_accept(*, actor, referral: Referral) -> Referral:
    """The assigned partner takes the referral on."""
    return _transition(name="accept", actor=actor, referral=referral)


def referral_decline(*, actor, referral: Referral, reason: str, note: str = "") -> Referral:
    """The assigned partner declines with a reason; the referral returns to approved."""
    if reason not in DeclineReason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})

    def apply(locked):
        locked.partner = None
        return ["partner"]

    return _transition(
        name="decline", actor=actor, referral=referral, reason=reason, note=note, apply=apply
    )


def referral_start(*, actor, referral: Referral) -> Referral:
    """The partner starts serving the resident."""
    return _transition(name="start", actor=actor, referral=referral)


def referral_complete(*, actor, referral: Referral, note: str = "") -> Referral:
    """The partner marks the service completed; a follow-up task (回访) opens for the grid.

    The task is due at the end of the completed stage (REFERRAL_STAGE_DAYS["completed"]) and
    goes to the resident's grid worker, or to whoever created the referral if the grid has none.
    A missed follow-up is reminded (services/reminders.py), not escalated: the service was given.
    """
    from grids.selectors import grid_current_worker

    with transaction.atomic():
        completed = _transition(name="complete", actor=actor, referral=referral, note=note)
        today = timezone.localdate()
        household = completed.resident.household
        grid_id = household.grid_id if household else None
        worker = grid_current_worker(grid_id=grid_id, on=today)
        FollowUpTask.objects.create(
            referral=completed,
            due_on=timezone.localdate(completed.stage_deadline),
            assignee=worker or completed.created_by,
        )
    return completed


def referral_follow_up(*, actor, referral: Referral, note: str) -> Referral:
    """The grid or community checks with the resident after the service (回访)."""
    if not note or not note.strip():
        raise ValidationError({"note": _("Write what the follow-up found.")})
    return _transition(name="follow_up", actor=actor, referral=referral, note=note.strip())


def referral_close(*, actor, referral: Referral, outcome: str, satisfaction: int) -> Referral:
    """Close the loop with the outcome and the resident's satisfaction (1–5)."""
    errors = {}
    if not outcome or not outcome.strip():
        errors["outcome"] = _("Record the outcome.")
    if (
        not isinstance(satisfaction, int)
        or isinstance(satisfaction, bool)
        or not 1 <= satisfaction <= 5
    ):
        errors["satisfaction"] = _("Satisfaction is a whole number from 1 to 5.")
    if errors:
        raise ValidationError(errors)

    def apply(locked):
        locked.outcome = outcome.strip()
        locked.satisfaction = satisfaction
        return ["outcome", "satisfaction"]

    with transaction.atomic():
        closed = _transition(name="close", actor=actor, referral=referral, apply=apply)
        FollowUpTask.objects.filter(referral=closed, done_at__isnull=True).update(
            done_at=closed.updated_at, done_by=actor
        )
    return closed


def referral_cancel(*, actor, referral: Referral, reason: str, note: str = "") -> Referral:
    """Stop a referral: consent withdrawn, the resident died or moved away, or another reason."""
    if reason not in CancelReason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    return _transition(name="cancel", actor=actor, referral=referral, reason=reason, note=note)


def referral_escalate(*, actor=None, referral: Referral, note: str = "") -> Referral:
    """A stage deadline was missed: the referral goes back to the street (actor None = the task)."""
    return _transition(name="escalate", actor=actor, referral=referral, note=note)


TRANSITION_FUNCTIONS = {
    "submit": referral_submit,
    "approve": referral_approve,
    "reject": referral_reject,
    "assign": referral_assign,
    "accept": referral_accept,
    "decline": referral_decline,
    "start": referral_start,
    "complete": referral_complete,
    "follow_up": referral_follow_up,
    "close": referral_close,
    "cancel": referral_cancel,
    "escalate": referral_escalate,
}
