"""Reads of Party organisations and members: each starts from `visible_to(actor)` and owns its
joins, so a list costs the same number of queries for 1 row and for 1,000.

The area tree (communities, grids, buildings) is the registry's: a community cadre's choices
come from grids' selectors; the Party office (street staff, Party-work officer) picks among the
street's communities, grids and buildings — their names and codes are no one's personal data,
and the Party office draws its tree over all of them.
"""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from grids import selectors as grid_selectors
from grids.models import Building, Grid, Region
from partybuilding.organisations.models import MemberTransfer, PartyMember, PartyOrg
from partybuilding.organisations.querysets import sees_whole_street

# --- Organisations ----------------------------------------------------------------------------


def _visible_member_count(actor):
    """Current members of the outer organisation that the actor may see (a correlated COUNT):
    a count over what the reader may not see would leak membership."""
    counted = (
        PartyMember.objects.visible_to(actor)
        .filter(org=OuterRef("pk"), transferred_out_on__isnull=True)
        .order_by()
        .values("org")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def party_org_list(*, actor):
    """Organisations the actor may see, with what a row shows and the visible member count."""
    return (
        PartyOrg.objects.visible_to(actor)
        .select_related("parent", "community", "grid", "building", "secretary")
        .annotate(member_count=_visible_member_count(actor))
        .order_by("path", "pk")
    )


def party_org_tree(*, actor) -> list[PartyOrg]:
    """The visible organisations in tree order, each with `indent`: its depth below the
    shallowest visible organisation (a branch's secretary sees their branch at the left)."""
    orgs = list(party_org_list(actor=actor))
    top = min((org.depth for org in orgs), default=0)
    for org in orgs:
        org.indent = org.depth - top
    return orgs


def party_org_children(*, actor, org):
    """The visible organisations directly under `org`."""
    return party_org_list(actor=actor).filter(parent=org)


def party_org_choices(*, actor):
    """Organisations the actor may choose (as a parent, a member's or an employer's)."""
    return PartyOrg.objects.visible_to(actor).order_by("path", "pk")


# --- Members ----------------------------------------------------------------------------------


def party_member_list(*, actor):
    """Members the actor may see, with their organisations, community and login."""
    return PartyMember.objects.visible_to(actor).select_related(
        "org", "employer_org", "reported_community", "user", "resident"
    )


def party_member_org_members(*, actor, org):
    """The visible current members of `org` itself, by name."""
    return (
        party_member_list(actor=actor)
        .filter(org=org, transferred_out_on__isnull=True)
        .order_by("name", "pk")
    )


def member_transfer_list(*, actor, member=None):
    """Transfers the actor may see (of one member), newest first."""
    queryset = MemberTransfer.objects.visible_to(actor).select_related(
        "member", "from_org", "to_org", "recorded_by"
    )
    if member is not None:
        queryset = queryset.filter(member=member)
    return queryset.order_by("-date", "-pk")


def party_member_of(*, user):
    """The user's own member record (None for anyone else): the member's own pages."""
    if user is None or not user.is_authenticated:
        return None
    return PartyMember.objects.filter(user=user).select_related("org", "reported_community").first()


# --- The area tree, as Party work sees it -------------------------------------------------------


def party_community_choices(*, actor):
    """Communities the actor's Party work may name (an organisation's, a member's 双报到)."""
    if actor is not None and actor.is_authenticated and sees_whole_street(actor):
        return Region.objects.filter(level=Region.Level.COMMUNITY).order_by("code")
    return grid_selectors.community_list(actor=actor).order_by("code")


def party_grid_choices(*, actor):
    if actor is not None and actor.is_authenticated and sees_whole_street(actor):
        return Grid.objects.select_related("community").order_by("code")
    return grid_selectors.grid_list(actor=actor).order_by("code")


def party_building_choices(*, actor):
    if actor is not None and actor.is_authenticated and sees_whole_street(actor):
        return Building.objects.select_related("community").order_by("community", "name")
    return grid_selectors.building_list(actor=actor).select_related("community")


def party_coverage(*, actor) -> dict:
    """Which communities and grids the actor sees have no Party cell.

    A grid is covered by a live organisation tied to it (a grid branch); a community by a live
    organisation tied to it directly or through one of its grids. Dissolved organisations cover
    nothing. Two queries, whatever the size of the street.
    """
    live = PartyOrg.objects.filter(dissolved_on__isnull=True)
    communities = party_community_choices(actor=actor).annotate(
        covered=Exists(live.filter(community=OuterRef("pk")))
        | Exists(live.filter(grid__community=OuterRef("pk"))),
        grid_total=Count("grids", distinct=True),
    )
    grids = party_grid_choices(actor=actor).annotate(
        covered=Exists(live.filter(grid=OuterRef("pk")))
    )
    communities = list(communities)
    grids = list(grids)
    return {
        "communities": communities,
        "communities_without": [c for c in communities if not c.covered],
        "grids": grids,
        "grids_without": [g for g in grids if not g.covered],
    }


def party_member_search_q(search: str) -> Q:
    """A member by name (contains): the member list's search box."""
    return Q(name__contains=search.strip())
