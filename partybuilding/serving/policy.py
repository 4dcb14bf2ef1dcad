"""Who may do what in 双报到 — one gate per action, one condition per line.

- report to a community: the member themself (their own login) or the Party office;
- post, edit and cancel a community's needs: the Party office (street staff, Party-work
  officer) or a community cadre granted Party work over an organisation of that community;
- claim a need: a serving member reported to the need's community, with their own login;
  start and complete it: the member who claimed it;
- log service hours: a member with their own login, for themself (the write checks the
  community, the need and the evidence as field errors);
- approve or reject hours ("approved by the community"): the Party office, a community cadre
  granted Party work in the community where the hours were served, or the secretary of an
  organisation above the member (the secretary knows the member's service) — never the member
  themself;
- the quarterly feedback sheet per employer Party organisation: the Party office;
- the point rules (积分规则): read by everyone in the Party work, created and edited by the Party
  office (a rule's change applies to the hours approved after it: points are computed once, on
  approval).

The state machines (serving/models.py NEED_TRANSITIONS, HOURS_TRANSITIONS) say from which
states each transition runs; the writes ask the gate again on the locked row.
`actor=None` is the system (the demo loader): it may post needs and approve hours.
"""

from django.utils.translation import gettext_lazy as _

from partybuilding.organisations.querysets import communities_in_scope
from portal.policy import deny_unless, require_active, require_perm

NOT_YOURS = _("You may not do this.")
NOT_A_MEMBER = _("Only a Party member with their own login may do this.")


def is_party_office(actor) -> bool:
    """Street staff and the Party-work officer: the whole street's Party work."""
    return actor.is_superuser or actor.is_street_staff or actor.is_party_officer


def _own_member(actor):
    from partybuilding.organisations.models import PartyMember

    return PartyMember.objects.filter(user=actor).first()


def _cadre_of(actor, community_id) -> bool:
    """A community cadre whose Party-work grant covers an organisation of that community."""
    if not actor.is_community_cadre:
        return False
    return communities_in_scope(actor).filter(community=community_id).exists()


def _secretary_over(actor, member) -> bool:
    """The secretary of the member's organisation or of one above it."""
    from partybuilding.organisations.models import PartyOrg

    led = PartyOrg.objects.filter(secretary__user=actor).exclude(path="")
    return any(member.org.path.startswith(path) for path in led.values_list("path", flat=True))


# --- Reads ------------------------------------------------------------------------------------


def access_community_need_list(actor, obj=None) -> None:
    require_perm(actor, "partybuilding.view_communityneed")


def access_service_hours_list(actor, obj=None) -> None:
    require_perm(actor, "partybuilding.view_servicehours")


def access_feedback_sheet_view(actor, obj=None) -> None:
    require_active(actor)
    deny_unless(is_party_office(actor), NOT_YOURS)


# --- 双报到 ------------------------------------------------------------------------------------


def access_member_report(actor, member=None) -> None:
    """The member reports themself; the Party office records it for them."""
    if actor is None:
        return  # the demo loader
    require_active(actor)
    if is_party_office(actor):
        return
    deny_unless(member is not None, NOT_YOURS)
    deny_unless(member.user_id == actor.pk, NOT_YOURS)


# --- Community needs --------------------------------------------------------------------------


def access_community_need_create(actor, community=None) -> None:
    """`community` None asks whether the actor may post needs anywhere (the page's button)."""
    if actor is None:
        return  # the demo loader
    require_perm(actor, "partybuilding.add_communityneed")
    if is_party_office(actor):
        return
    deny_unless(actor.is_community_cadre, NOT_YOURS)
    if community is None:
        deny_unless(communities_in_scope(actor).exists(), NOT_YOURS)
    else:
        deny_unless(_cadre_of(actor, community.pk), NOT_YOURS)


def access_community_need_update(actor, need) -> None:
    access_community_need_create(actor, need.community)


def access_community_need_cancel(actor, need) -> None:
    access_community_need_create(actor, need.community)


def access_community_need_claim(actor, need) -> None:
    require_active(actor)
    member = _own_member(actor)
    deny_unless(member is not None, NOT_A_MEMBER)
    deny_unless(member.is_current, NOT_A_MEMBER)
    deny_unless(member.serving, _("Only a serving member claims a community's needs."))
    deny_unless(
        member.reported_community_id == need.community_id,
        _("You may claim the needs of the community you reported to."),
    )


def _require_claimer(actor, need) -> None:
    require_active(actor)
    deny_unless(need.claimed_by_id is not None, NOT_YOURS)
    deny_unless(
        need.claimed_by.user_id == actor.pk, _("Only the member who claimed this need may do this.")
    )


def access_community_need_start(actor, need) -> None:
    _require_claimer(actor, need)


def access_community_need_complete(actor, need) -> None:
    _require_claimer(actor, need)


# --- Service hours ----------------------------------------------------------------------------


def access_service_hours_log(actor, obj=None) -> None:
    """A member logs their own hours, with their own login."""
    require_perm(actor, "partybuilding.add_servicehours")
    member = _own_member(actor)
    deny_unless(member is not None, NOT_A_MEMBER)
    deny_unless(member.is_current, NOT_A_MEMBER)


def _require_reviewer(actor, hours) -> None:
    if actor is None:
        return  # the demo loader approves the demo's hours
    require_perm(actor, "partybuilding.change_servicehours")
    deny_unless(hours.member.user_id != actor.pk, _("You may not review your own hours."))
    if is_party_office(actor):
        return
    deny_unless(
        _cadre_of(actor, hours.community_id) or _secretary_over(actor, hours.member),
        _("Only the community where the hours were served may review them."),
    )


def access_service_hours_approve(actor, hours) -> None:
    _require_reviewer(actor, hours)


def access_service_hours_reject(actor, hours) -> None:
    _require_reviewer(actor, hours)


# --- Point rules (积分规则) --------------------------------------------------------------------

MAY_NOT_SET_RULES = _("Only the Party office sets the point rules.")


def access_point_rule_list(actor, obj=None) -> None:
    """The rules page: everyone whose role reads them (each sees the street's one table)."""
    require_perm(actor, "partybuilding.view_pointrule")


def access_point_rule_create(actor, obj=None) -> None:
    if actor is None:
        return  # a data migration or the demo loader
    require_perm(actor, "partybuilding.add_pointrule")
    deny_unless(is_party_office(actor), MAY_NOT_SET_RULES)


def access_point_rule_change(actor, rule=None) -> None:
    if actor is None:
        return
    require_perm(actor, "partybuilding.change_pointrule")
    deny_unless(is_party_office(actor), MAY_NOT_SET_RULES)
