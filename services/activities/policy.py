"""Who may record and change themed activities — one gate per action, one condition per line.

- record: the role's add permission (street, community, grid and partner staff);
- update, name the attendees: the activity in the actor's change scope
  (`Activity.objects.visible_to(actor, "change")`);
- naming registered residents at all: everyone who sees the registry — partner staff never see
  it, so they count people under "other attendees" instead (the write says so on the field).

Which community and which team an activity may name is the write's validation (field errors).
"""

from django.utils.translation import gettext_lazy as _

from portal.policy import deny_unless, require_perm

MAY_NOT_RECORD = _("You may not record activities.")
MAY_NOT_CHANGE = _("You may not change this activity.")


def access_activity_record(actor, obj=None) -> None:
    deny_unless(actor is not None, MAY_NOT_RECORD)
    deny_unless(actor.has_perm("services.add_activity"), MAY_NOT_RECORD)


def _require_may_change(actor, activity) -> None:
    from services.activities.models import Activity

    # Without a person (actor None) there is no scope: refused as well.
    in_scope = Activity.objects.visible_to(actor, "change").filter(pk=activity.pk)
    deny_unless(in_scope.exists(), MAY_NOT_CHANGE)


def access_activity_update(actor, activity) -> None:
    _require_may_change(actor, activity)


def access_activity_attendees_set(actor, activity) -> None:
    _require_may_change(actor, activity)


def access_activity_attendees_name(actor, obj=None) -> None:
    """Naming registered residents as attendees (not partner staff: they count people)."""
    deny_unless(actor is not None)
    deny_unless(not actor.is_partner_staff)


def access_activity_enrol(actor, activity) -> None:
    """Enrolling residents beforehand (and withdrawing them): staff who may change the activity
    and name residents — not partner staff, who do not see the registry."""
    _require_may_change(actor, activity)
    deny_unless(not actor.is_partner_staff, MAY_NOT_CHANGE)


# --- Reads: which pages a role may open at all ------------------------------------------------


def access_activity_list(actor, obj=None) -> None:
    require_perm(actor, "services.view_activity")
