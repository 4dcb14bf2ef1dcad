"""Who may act on alliances (党建联盟), their lists and the exchange circles — one gate per
action, one condition per line.

Two kinds of people act here:

- the street (administrator, cadre) and the Party-work officer run the alliances: they
  create and edit alliances, their member units and agreements, and may post, claim, move and
  withdraw list items on behalf of any member (a hospital or a school has no login: the
  officer records for it);
- a person *acting for a member organisation*: someone whose Party-work jurisdiction
  (`orgs_in_scope`: organisations granted to a community cadre with `party_work`, or led by a
  secretary, and their subtrees) holds the Party organisation of one of the alliance's member
  units. They post items for that member, claim other members' items for it, and start,
  complete or withdraw the items of the member they act for. A plain Party member, a community
  cadre without the grant, grid and partner staff act for no member.

Which member an item is posted or claimed *for* is checked by the write (a field error); the
gates check that the actor may act for some member at all, and — on an existing item — for the
member concerned. `actor=None` (the demo loader) acts as the street.
"""

from django.utils.translation import gettext_lazy as _

from partybuilding.organisations.querysets import orgs_in_scope, sees_whole_street
from portal.policy import deny_unless, require_perm

MAY_NOT_RUN = _("Only the street's Party-work officers run alliances.")
NOT_A_MEMBER = _("You do not act for a member of this alliance.")
NOT_YOURS = _("You do not act for the member concerned.")
NOT_IN_CIRCLE = _("You do not act for an organisation of this circle.")


def _runs_alliances(actor) -> bool:
    return actor is None or (
        actor.is_authenticated and actor.is_active and sees_whole_street(actor)
    )


def members_acted_for(actor, alliance):
    """The alliance's current member units whose Party organisation is in the actor's
    jurisdiction (a queryset); every member for the street and the officer."""
    from partybuilding.alliances.models import AllianceMember

    members = AllianceMember.objects.filter(alliance=alliance, left_on__isnull=True)
    if _runs_alliances(actor):
        return members
    return members.filter(party_org__in=orgs_in_scope(actor))


def acts_for_member(actor, member) -> bool:
    if member is None:
        return False
    return members_acted_for(actor, member.alliance_id).filter(pk=member.pk).exists()


def circle_orgs_acted_for(actor, circle):
    """The circle's organisations the actor may post for (all for the street and the officer)."""
    orgs = circle.orgs.all()
    if _runs_alliances(actor):
        return orgs
    return orgs.filter(pk__in=orgs_in_scope(actor))


# --- Reads ------------------------------------------------------------------------------------


def access_alliance_list(actor, obj=None) -> None:
    """A role without `view_alliance` (grid and partner staff) gets 403 on the list; anyone
    else an empty list when their scope is empty."""
    require_perm(actor, "partybuilding.view_alliance")


def access_circle_list(actor, obj=None) -> None:
    require_perm(actor, "partybuilding.view_exchangecircle")


# --- Alliances, members, agreements: the street's --------------------------------------------


def access_alliance_create(actor, obj=None) -> None:
    """The street and the Party-work officer create alliances (the demo loader too)."""
    if actor is None:
        return  # the demo loader
    require_perm(actor, "partybuilding.add_alliance")
    deny_unless(sees_whole_street(actor), MAY_NOT_RUN)


def access_alliance_update(actor, alliance=None) -> None:
    if actor is None:
        return
    require_perm(actor, "partybuilding.change_alliance")
    deny_unless(sees_whole_street(actor), MAY_NOT_RUN)


def access_alliance_member_add(actor, alliance=None) -> None:
    """Member units join through the street (it checks the unit and its USCC)."""
    if actor is None:
        return
    require_perm(actor, "partybuilding.add_alliancemember")
    deny_unless(sees_whole_street(actor), MAY_NOT_RUN)


def access_alliance_member_update(actor, member=None) -> None:
    if actor is None:
        return
    require_perm(actor, "partybuilding.change_alliancemember")
    deny_unless(sees_whole_street(actor), MAY_NOT_RUN)


def access_alliance_agreement_create(actor, alliance=None) -> None:
    """The signed 1+N agreement is filed by the street."""
    if actor is None:
        return
    require_perm(actor, "partybuilding.add_allianceagreement")
    deny_unless(sees_whole_street(actor), MAY_NOT_RUN)


def access_alliance_agreement_update(actor, agreement=None) -> None:
    if actor is None:
        return
    require_perm(actor, "partybuilding.change_allianceagreement")
    deny_unless(sees_whole_street(actor), MAY_NOT_RUN)


# --- List items: members post and claim -------------------------------------------------------


def access_alliance_item_post(actor, alliance) -> None:
    """The street and the officer (for any member), or someone acting for a member
    organisation of this alliance (for that member)."""
    if actor is None:
        return
    require_perm(actor, "partybuilding.add_allianceitem")
    deny_unless(members_acted_for(actor, alliance).exists(), NOT_A_MEMBER)


def access_alliance_item_claim(actor, item) -> None:
    """Someone acting for a member other than the poster (the street: for any other member)."""
    if actor is None:
        return
    require_perm(actor, "partybuilding.change_allianceitem")
    others = members_acted_for(actor, item.alliance_id).exclude(pk=item.posted_by_id)
    deny_unless(others.exists(), NOT_A_MEMBER)


def access_alliance_item_start(actor, item) -> None:
    """The claiming member's side (or the street) starts the work."""
    if actor is None:
        return
    require_perm(actor, "partybuilding.change_allianceitem")
    deny_unless(_runs_alliances(actor) or acts_for_member(actor, item.claimed_by), NOT_YOURS)


def access_alliance_item_complete(actor, item) -> None:
    """The claiming member's side (or the street) records what was delivered."""
    if actor is None:
        return
    require_perm(actor, "partybuilding.change_allianceitem")
    deny_unless(_runs_alliances(actor) or acts_for_member(actor, item.claimed_by), NOT_YOURS)


def access_alliance_item_withdraw(actor, item) -> None:
    """The posting member's side (or the street) withdraws its own item."""
    if actor is None:
        return
    require_perm(actor, "partybuilding.change_allianceitem")
    deny_unless(_runs_alliances(actor) or acts_for_member(actor, item.posted_by), NOT_YOURS)


ITEM_GATES = {
    "claim": access_alliance_item_claim,
    "start": access_alliance_item_start,
    "complete": access_alliance_item_complete,
    "withdraw": access_alliance_item_withdraw,
}


# --- Exchange circles -------------------------------------------------------------------------


def access_circle_create(actor, obj=None) -> None:
    """The street and the officer group neighbouring organisations into a circle."""
    if actor is None:
        return
    require_perm(actor, "partybuilding.add_exchangecircle")
    deny_unless(sees_whole_street(actor), MAY_NOT_RUN)


def access_circle_update(actor, circle=None) -> None:
    if actor is None:
        return
    require_perm(actor, "partybuilding.change_exchangecircle")
    deny_unless(sees_whole_street(actor), MAY_NOT_RUN)


def access_circle_post_create(actor, circle) -> None:
    """Someone acting for an organisation of the circle shares an event or a practice (the
    street and the officer for any of them)."""
    if actor is None:
        return
    require_perm(actor, "partybuilding.add_exchangecirclepost")
    deny_unless(circle_orgs_acted_for(actor, circle).exists(), NOT_IN_CIRCLE)
