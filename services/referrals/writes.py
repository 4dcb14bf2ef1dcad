"""Referrals (转介) that close the loop: the writes that run the state machine.

    draft → submitted → approved | rejected → assigned → accepted | (declined → approved)
          → in_service → completed → followed_up → closed
    side exits: cancelled (consent withdrawn, death, moved away), escalated (deadline missed)

Every transition is one function `referral_<name>(*, actor, referral, ...)` for one row of
TRANSITIONS (services/referrals/models.py). Each one first asks its gate
(services/referrals/policy.py: PermissionDenied, a 403), then, in one transaction: locks the
row (`select_for_update`), checks the *current* status against TRANSITIONS (a stale click gets
ReferralConflict, answered 409 by the API), asks the gate again on the locked row, sets the
status and the stage deadline (settings.REFERRAL_STAGE_DAYS), writes one ReferralEvent and one
audit event, and notifies whoever must act next.

A decline is not a resting state: it sends the referral back to `approved` (partner cleared)
for the street to choose another partner; the event keeps the partner's reason. An escalated
referral goes back to the street, who may approve, reject, assign (another partner) or cancel.
"""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.audit import audit_record
from portal.notifications import name_masked, notification_send
from services.catalogue.eligibility import resident_is_eligible
from services.catalogue.models import Partner, ServiceItem
from services.catalogue.selectors import partner_staff
from services.referrals.models import (
    CONSENT_STATES,
    PLAN_STATES,
    TRANSITIONS,
    CancelReason,
    DeclineReason,
    FollowUpTask,
    Referral,
    resident_age,
)
from services.referrals.policy import (
    access_referral_accept,
    access_referral_approve,
    access_referral_assign,
    access_referral_cancel,
    access_referral_close,
    access_referral_complete,
    access_referral_consent,
    access_referral_create,
    access_referral_decline,
    access_referral_escalate,
    access_referral_follow_up,
    access_referral_list,
    access_referral_plan,
    access_referral_reject,
    access_referral_start,
    access_referral_submit,
)

Status = Referral.Status


class ReferralConflict(Exception):
    """The referral is no longer in a state that allows this transition (someone else moved it)."""


# --- Helpers -------------------------------------------------------------------------------


def _transition(
    *,
    name: str,
    gate: Callable,
    actor,
    referral: Referral,
    reason: str = "",
    note: str = "",
    check: Callable[[Referral], None] | None = None,
    apply: Callable[[Referral], list[str]] | None = None,
) -> Referral:
    """Run one row of TRANSITIONS on a locked referral; `check` validates, `apply` sets fields.

    The caller has asked `gate` already; it is asked again on the locked row, after the state,
    so that a referral that changed hands since it was read (declined, assigned to another
    partner) is refused rather than moved.
    """
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
        gate(actor, locked)
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
    title = _("Referral %(item)s for %(name)s: %(verb)s") % {
        "item": referral.service_item.name,
        "name": name_masked(referral.resident.name),
        "verb": TRANSITION_VERBS[name],
    }
    # Each recipient sees the referral (notification_send checks): the link opens.
    about = {"obj": referral, "url": reverse("services:referral-detail", args=[referral.pk])}
    if name == "assign":
        for user in partner_staff(partner=referral.partner):
            notification_send(recipient=user, title=str(title), dedup_key=key, **about)
    elif name in ("accept", "decline", "complete"):
        notification_send(recipient=referral.created_by, title=str(title), dedup_key=key, **about)


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
    if not resident_is_eligible(resident=referral.resident, rule=rule):
        raise ValidationError(
            {"service_item": _("The resident does not meet this service's eligibility rule.")}
        )


# --- Create --------------------------------------------------------------------------------


def _check_resident_in_scope(actor, resident) -> None:
    from grids.models import Resident

    if not Resident.objects.visible_to(actor).filter(pk=resident.pk).exists():
        raise ValidationError({"resident": _("This resident is not in your area.")})


def referral_create(
    *, actor, resident, service_item: ServiceItem, description: str = "", need=None
) -> Referral:
    """Open a draft referral for a resident in the actor's scope."""
    access_referral_create(actor)
    _check_resident_in_scope(actor, resident)
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
    access_referral_create(actor)
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
    access_referral_consent(actor, referral)
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
        access_referral_consent(actor, locked)  # again on the row as it is now
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


def referral_plan_set(
    *, actor, referral: Referral, quantity=None, period: str = "", start=None, end=None
) -> Referral:
    """Set, change or (no quantity) clear the service plan: `quantity` per `period` (week or
    month) from `start` to `end`. The street only, while the referral is open; audited as
    `referral.plan` with the plan before and after. Bad input: ValidationError by field."""
    access_referral_plan(actor, referral)
    with transaction.atomic():
        locked = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
        if locked.status not in PLAN_STATES:
            raise ReferralConflict(
                _("The plan can no longer be changed: this referral is now “%(status)s”.")
                % {"status": locked.get_status_display()}
            )
        access_referral_plan(actor, locked)
        before = _plan_details(locked)
        if quantity in (None, ""):
            locked.plan_quantity, locked.plan_period = None, ""
            locked.plan_start = locked.plan_end = None
        else:
            locked.plan_quantity, locked.plan_period = quantity, period or ""
            locked.plan_start, locked.plan_end = start, end
        locked.updated_at = timezone.now()
        try:
            locked.full_clean()
        except ValidationError as exc:
            # Named as the caller named them (quantity, period, start, end).
            raise ValidationError(
                {
                    PLAN_ARGUMENTS.get(field, field): messages
                    for field, messages in exc.update_error_dict({}).items()
                }
            ) from None
        locked.save(
            update_fields=["plan_quantity", "plan_period", "plan_start", "plan_end", "updated_at"]
        )
        audit_record(
            actor=actor,
            action="referral.plan",
            obj=locked,
            details={"before": before, "after": _plan_details(locked)},
        )
    return locked


PLAN_ARGUMENTS = {
    "plan_quantity": "quantity",
    "plan_period": "period",
    "plan_start": "start",
    "plan_end": "end",
}


def _plan_details(referral: Referral) -> dict | None:
    if not referral.has_plan:
        return None
    return {
        "quantity": str(referral.plan_quantity),
        "period": referral.plan_period,
        "start": str(referral.plan_start),
        "end": str(referral.plan_end),
    }


def referral_partner_view_audit(*, actor, referrals) -> None:
    """Partner staff read personal data (the resident's phone in the clear): each page or API
    answer that shows them referrals writes one audit event naming them. Others: nothing."""
    access_referral_list(actor)
    pks = [referral.pk for referral in referrals]
    if actor.is_partner_staff and pks:
        audit_record(actor=actor, action="referral.partner_view", details={"referrals": pks})


# --- Transitions (one function per row of TRANSITIONS) --------------------------------------


def referral_submit(*, actor, referral: Referral) -> Referral:
    """Send a draft to the street for review."""
    access_referral_submit(actor, referral)
    return _transition(name="submit", gate=access_referral_submit, actor=actor, referral=referral)


def referral_approve(*, actor, referral: Referral, note: str = "") -> Referral:
    """The street approves: a partner is to be chosen."""
    access_referral_approve(actor, referral)
    return _transition(
        name="approve", gate=access_referral_approve, actor=actor, referral=referral, note=note
    )


def referral_reject(*, actor, referral: Referral, reason: str) -> Referral:
    """The street rejects, saying why (free text, kept in the note)."""
    access_referral_reject(actor, referral)
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Say why the referral is rejected.")})
    return _transition(
        name="reject",
        gate=access_referral_reject,
        actor=actor,
        referral=referral,
        note=reason.strip(),
    )


def referral_assign(*, actor, referral: Referral, partner: Partner) -> Referral:
    """Give the referral to a partner that provides the item under an agreement in force today,
    once consent and eligibility hold."""
    access_referral_assign(actor, referral)

    def check(locked):
        _check_consent(locked)
        if not locked.service_item.partners.filter(pk=partner.pk).exists():
            raise ValidationError({"partner": _("This partner does not provide this service.")})
        problem = partner.agreement_problem(timezone.localdate())
        if problem:
            raise ValidationError({"partner": problem})
        _check_eligible(locked)

    def apply(locked):
        locked.partner = partner
        return ["partner"]

    return _transition(
        name="assign",
        gate=access_referral_assign,
        actor=actor,
        referral=referral,
        check=check,
        apply=apply,
    )


def referral_accept(*, actor, referral: Referral) -> Referral:
    """The assigned partner takes the referral on."""
    access_referral_accept(actor, referral)
    return _transition(name="accept", gate=access_referral_accept, actor=actor, referral=referral)


def referral_decline(*, actor, referral: Referral, reason: str, note: str = "") -> Referral:
    """The assigned partner declines with a reason; the referral returns to approved."""
    access_referral_decline(actor, referral)
    if reason not in DeclineReason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})

    def apply(locked):
        locked.partner = None
        return ["partner"]

    return _transition(
        name="decline",
        gate=access_referral_decline,
        actor=actor,
        referral=referral,
        reason=reason,
        note=note,
        apply=apply,
    )


def referral_start(*, actor, referral: Referral) -> Referral:
    """The partner starts serving the resident."""
    access_referral_start(actor, referral)
    return _transition(name="start", gate=access_referral_start, actor=actor, referral=referral)


def referral_complete(*, actor, referral: Referral, note: str = "") -> Referral:
    """The partner marks the service completed; a follow-up task (回访) opens for the grid.

    The task is due at the end of the completed stage (REFERRAL_STAGE_DAYS["completed"]) and
    goes to the resident's grid worker, or to whoever created the referral if the grid has none.
    A missed follow-up is reminded (services/referrals/reminders.py), not escalated: the service was given.
    """
    access_referral_complete(actor, referral)
    from grids.selectors import grid_current_worker

    with transaction.atomic():
        completed = _transition(
            name="complete",
            gate=access_referral_complete,
            actor=actor,
            referral=referral,
            note=note,
        )
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
    access_referral_follow_up(actor, referral)
    if not note or not note.strip():
        raise ValidationError({"note": _("Write what the follow-up found.")})
    return _transition(
        name="follow_up",
        gate=access_referral_follow_up,
        actor=actor,
        referral=referral,
        note=note.strip(),
    )


def referral_close(*, actor, referral: Referral, outcome: str, satisfaction: int) -> Referral:
    """Close the loop with the outcome and the resident's satisfaction (1–5)."""
    access_referral_close(actor, referral)
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
        closed = _transition(
            name="close", gate=access_referral_close, actor=actor, referral=referral, apply=apply
        )
        FollowUpTask.objects.filter(referral=closed, done_at__isnull=True).update(
            done_at=closed.updated_at, done_by=actor
        )
    return closed


def referral_cancel(*, actor, referral: Referral, reason: str, note: str = "") -> Referral:
    """Stop a referral: consent withdrawn, the resident died or moved away, or another reason."""
    access_referral_cancel(actor, referral)
    if reason not in CancelReason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    return _transition(
        name="cancel",
        gate=access_referral_cancel,
        actor=actor,
        referral=referral,
        reason=reason,
        note=note,
    )


def referral_escalate(*, actor=None, referral: Referral, note: str = "") -> Referral:
    """A stage deadline was missed: the referral goes back to the street (actor None = the task)."""
    access_referral_escalate(actor, referral)
    return _transition(
        name="escalate", gate=access_referral_escalate, actor=actor, referral=referral, note=note
    )


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
