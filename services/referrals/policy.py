"""Who may move a referral — one gate per action, one condition per line.

The state machine (services/referrals/models.py, TRANSITIONS) says *from which states* each
transition may run; the gates here say *who* may run it:

- the side that raised the referral (community and grid staff with the resident in their
  change scope) submits it, records consent, follows up, closes and cancels it; the street
  may do all of these as well;
- the street approves, rejects and assigns (it chooses the partner), and may escalate by hand;
- the staff of the partner the referral is assigned to accept, decline, start and complete it;
- `actor=None` is the system: the hourly deadline task escalates overdue referrals.

Every write in services/referrals/writes.py calls its gate first; `_transition` asks it again
on the locked row, so a referral that changed hands meanwhile is refused. Pages ask
`portal.policy.allowed(gate, user, referral)` (with the state) which forms to offer.
"""

from django.utils.translation import gettext_lazy as _

from portal.policy import deny_unless, require_perm

NOT_YOURS = _("You may not do this to this referral.")


def _in_change_scope(actor, referral) -> bool:
    """The referral as it is in the database (a stale copy decides nothing) is in the actor's
    change scope: for community and grid staff their residents' referrals, for partner staff
    exactly those assigned to their organisation (ReferralQuerySet)."""
    from services.referrals.models import Referral

    return Referral.objects.visible_to(actor, "change").filter(pk=referral.pk).exists()


def _require_street_or_local(actor, referral) -> None:
    """The street, or community and grid staff with the resident in their change scope."""
    deny_unless(actor is not None, NOT_YOURS)
    if actor.is_street_staff:
        return
    deny_unless(actor.is_local_staff, NOT_YOURS)
    deny_unless(_in_change_scope(actor, referral), NOT_YOURS)


def _require_street(actor) -> None:
    deny_unless(actor is not None, NOT_YOURS)
    deny_unless(actor.is_street_staff, NOT_YOURS)


def _require_assigned_partner(actor, referral) -> None:
    """Staff of the partner the referral is assigned to, and only them."""
    deny_unless(actor is not None, NOT_YOURS)
    deny_unless(actor.is_partner_staff, NOT_YOURS)
    deny_unless(_in_change_scope(actor, referral), NOT_YOURS)


# --- Reads ------------------------------------------------------------------------------------


def access_referral_list(actor, obj=None) -> None:
    """A role that may not read referrals at all gets 403 (an empty scope is an empty list)."""
    require_perm(actor, "services.view_referral")


# --- Create -----------------------------------------------------------------------------------


def access_referral_create(actor, obj=None) -> None:
    """Opening a referral is the role's add permission (community, grid and street staff); the
    resident must also be in the actor's scope, which the write checks as a field error."""
    deny_unless(actor is not None, _("You may not create referrals."))
    deny_unless(actor.has_perm("services.add_referral"), _("You may not create referrals."))


def access_referral_consent(actor, referral) -> None:
    """Who consented is recorded by the side that raised the referral, or the street."""
    _require_street_or_local(actor, referral)


def access_referral_plan(actor, referral) -> None:
    """The service plan is agreed by the street (when it approves, assigns, or later)."""
    _require_street(actor)


# --- Transitions, one per row of TRANSITIONS --------------------------------------------------


def access_referral_submit(actor, referral) -> None:
    _require_street_or_local(actor, referral)


def access_referral_approve(actor, referral) -> None:
    _require_street(actor)


def access_referral_reject(actor, referral) -> None:
    _require_street(actor)


def access_referral_assign(actor, referral) -> None:
    _require_street(actor)


def access_referral_accept(actor, referral) -> None:
    _require_assigned_partner(actor, referral)


def access_referral_decline(actor, referral) -> None:
    _require_assigned_partner(actor, referral)


def access_referral_start(actor, referral) -> None:
    _require_assigned_partner(actor, referral)


def access_referral_complete(actor, referral) -> None:
    _require_assigned_partner(actor, referral)


def access_referral_follow_up(actor, referral) -> None:
    """The follow-up is the grid's task, but a street cadre who calls the resident may record it."""
    _require_street_or_local(actor, referral)


def access_referral_close(actor, referral) -> None:
    _require_street_or_local(actor, referral)


def access_referral_cancel(actor, referral) -> None:
    _require_street_or_local(actor, referral)


def access_referral_escalate(actor, referral) -> None:
    """The deadline task escalates (actor None: the system); the street may escalate by hand."""
    if actor is None:
        return
    _require_street(actor)


# The gate of each action on the referral page and in the API, by the action's name.
REFERRAL_GATES = {
    "consent": access_referral_consent,
    "plan": access_referral_plan,
    "submit": access_referral_submit,
    "approve": access_referral_approve,
    "reject": access_referral_reject,
    "assign": access_referral_assign,
    "accept": access_referral_accept,
    "decline": access_referral_decline,
    "start": access_referral_start,
    "complete": access_referral_complete,
    "follow_up": access_referral_follow_up,
    "close": access_referral_close,
    "cancel": access_referral_cancel,
    "escalate": access_referral_escalate,
}
