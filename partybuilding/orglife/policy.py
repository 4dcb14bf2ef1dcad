"""Who may record organisational life (三会一课, 主题党日) — one gate per action, one condition
per line.

- the street and the Party-work officer: for every organisation;
- a community cadre granted `party_work`, and a branch secretary: for the organisations in
  their jurisdiction (`orgs_in_scope`: the granted or led organisations and their subtrees);
- a plain Party member reads the meetings they attended and records none; grid staff, partner
  staff and a community cadre without the grant have no part in it;
- the required frequencies (组织生活频次要求): read by everyone in the Party work, set by the
  street and the Party-work officer;
- `actor=None` is the system: the demo loader records meetings, the daily gap reminder sends.
"""

from django.utils.translation import gettext_lazy as _

from partybuilding.organisations.querysets import orgs_in_scope, sees_whole_street
from portal.policy import deny_unless, require_perm

NOT_YOUR_ORG = _("You do not do Party work for this organisation.")
MAY_NOT_SET_REQUIREMENTS = _("Only the Party office sets the required meetings.")


def org_in_jurisdiction(actor, org) -> bool:
    """The street and the officer: every organisation; otherwise granted or led ones."""
    from partybuilding.organisations.models import PartyOrg

    if sees_whole_street(actor):
        return True
    return PartyOrg.objects.filter(pk=org.pk, pk__in=orgs_in_scope(actor)).exists()


def access_meeting_list(actor, obj=None) -> None:
    """A role without `view_orglifemeeting` (grid and partner staff) gets 403 on the list."""
    require_perm(actor, "partybuilding.view_orglifemeeting")


def access_meeting_record(actor, org=None) -> None:
    """Recording needs the role's add permission and, given the organisation, that it is in the
    actor's jurisdiction (without one: may the actor record for some organisation at all)."""
    if actor is None:
        return  # the demo loader
    require_perm(actor, "partybuilding.add_orglifemeeting")
    if org is None:
        deny_unless(sees_whole_street(actor) or _has_jurisdiction(actor), NOT_YOUR_ORG)
        return
    deny_unless(org_in_jurisdiction(actor, org), NOT_YOUR_ORG)


def access_meeting_update(actor, meeting) -> None:
    """Minutes and attendance are corrected by whoever may record for the meeting's
    organisation."""
    if actor is None:
        return
    require_perm(actor, "partybuilding.change_orglifemeeting")
    deny_unless(org_in_jurisdiction(actor, meeting.org), NOT_YOUR_ORG)


def access_meeting_requirement_list(actor, obj=None) -> None:
    require_perm(actor, "partybuilding.view_meetingrequirement")


def access_meeting_requirement_create(actor, obj=None) -> None:
    if actor is None:
        return  # a data migration or the demo loader
    require_perm(actor, "partybuilding.add_meetingrequirement")
    deny_unless(sees_whole_street(actor), MAY_NOT_SET_REQUIREMENTS)


def access_meeting_requirement_change(actor, requirement=None) -> None:
    """Change a frequency, or drop a requirement (an organisation kind's override, or a
    street-wide default)."""
    if actor is None:
        return
    require_perm(actor, "partybuilding.change_meetingrequirement")
    deny_unless(sees_whole_street(actor), MAY_NOT_SET_REQUIREMENTS)


def access_compliance_view(actor, obj=None) -> None:
    """The compliance page: whoever reads meetings (each sees their own organisations)."""
    require_perm(actor, "partybuilding.view_orglifemeeting")


def access_orglife_gaps_remind(actor, obj=None) -> None:
    """The daily reminder is the system's (beat); a street administrator may run it by hand."""
    if actor is None:
        return
    require_perm(actor, "partybuilding.change_orglifemeeting")
    deny_unless(actor.is_street_staff)


def _has_jurisdiction(actor) -> bool:
    from partybuilding.organisations.models import PartyOrg

    return PartyOrg.objects.filter(pk__in=orgs_in_scope(actor)).exists()
