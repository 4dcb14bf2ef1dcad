"""Reads of alliances, their members, agreements, list items and the exchange circles: each
starts from `visible_to(actor)` and owns its joins, so a list costs the same number of queries
for 1 row and for 20."""

from django.db.models import Count, Prefetch, Q
from django.urls import NoReverseMatch, reverse

from partybuilding.alliances.models import (
    Alliance,
    AllianceAgreement,
    AllianceItem,
    AllianceMember,
    ExchangeCircle,
    ExchangeCirclePost,
)
from partybuilding.organisations.models import PartyOrg


def alliance_list(*, actor, action: str = "view"):
    """Alliances the actor sees, with the lead organisation, community and the open-item and
    member counts a list row shows."""
    return (
        Alliance.objects.visible_to(actor, action)
        .select_related("lead_org", "community")
        .annotate(
            member_count=Count("members", filter=Q(members__left_on__isnull=True), distinct=True),
            open_items=Count("items", filter=Q(items__status="open"), distinct=True),
        )
        .order_by("name", "pk")
    )


def alliance_api_list(*, actor):
    """Alliances with their members and agreements (parties by id) prefetched."""
    return alliance_list(actor=actor).prefetch_related(
        Prefetch("members", queryset=AllianceMember.objects.select_related("party_org")),
        Prefetch(
            "agreements",
            queryset=AllianceAgreement.objects.select_related("lead").prefetch_related("parties"),
        ),
    )


def alliance_members(*, actor, alliance):
    return (
        AllianceMember.objects.visible_to(actor)
        .filter(alliance=alliance)
        .select_related("party_org")
        .order_by("left_on", "name")
    )


def alliance_member_list(*, actor):
    return AllianceMember.objects.visible_to(actor).select_related("alliance", "party_org")


def agreement_list(*, actor):
    return (
        AllianceAgreement.objects.visible_to(actor)
        .select_related("alliance", "lead")
        .prefetch_related("parties")
    )


def item_list(*, actor, action: str = "view"):
    """List items (needs, resources, projects) with the alliance and both members joined."""
    return AllianceItem.objects.visible_to(actor, action).select_related(
        "alliance", "posted_by", "claimed_by"
    )


def alliance_items(*, actor, alliance, kind: str):
    """One of the alliance's three lists, open items first."""
    return (
        item_list(actor=actor)
        .filter(alliance=alliance, kind=kind)
        .order_by("status", "-created_at", "-id")
    )


def item_linked_url(item) -> str:
    """The page of the referral or activity a project links to, by URL name (partybuilding does
    not import services); "" when there is none or the services pages are not installed."""
    names = {
        AllianceItem.LinkedKind.REFERRAL: "services:referral-detail",
        AllianceItem.LinkedKind.ACTIVITY: "services:activity-detail",
    }
    if not item.linked_kind or item.linked_id is None:
        return ""
    try:
        return reverse(names[item.linked_kind], args=[item.linked_id])
    except (KeyError, NoReverseMatch):
        return ""


def party_org_choices(*, actor):
    """Party organisations the actor sees (for an alliance's lead and its member units)."""
    return PartyOrg.objects.visible_to(actor).order_by("path")


# --- Exchange circles ------------------------------------------------------------------------


def circle_list(*, actor):
    return (
        ExchangeCircle.objects.visible_to(actor)
        .annotate(org_count=Count("orgs", distinct=True), post_count=Count("posts", distinct=True))
        .order_by("name")
    )


def circle_api_list(*, actor):
    """Circles with their organisations prefetched (the API lists their names)."""
    return circle_list(actor=actor).prefetch_related(
        Prefetch("orgs", queryset=PartyOrg.objects.order_by("path"))
    )


def circle_orgs(*, circle):
    return circle.orgs.select_related("community").order_by("path")


def circle_posts(*, actor, circle):
    return (
        ExchangeCirclePost.objects.visible_to(actor)
        .filter(circle=circle)
        .select_related("org", "posted_by")
    )
