"""Reads of the administration pages: the accounts that hold a jurisdiction, and their grants."""

from collections import defaultdict

from grids.models import Grid, Region
from grids.models.staffing import GridUserObjectPermission, RegionUserObjectPermission
from portal.models import ApiToken, User
from portal.roles import Role
from services.catalogue.models import PartnerUserObjectPermission

JURISDICTION_ROLES = (Role.COMMUNITY_CADRE, Role.INTEGRATION)


def jurisdiction_account_list(*, actor):
    """Community cadres and integration accounts, each with `.regions`, `.grids` and
    `.live_token` set: four queries, whatever the number of accounts."""
    accounts = list(User.objects.filter(role__in=JURISDICTION_ROLES).order_by("role", "username"))
    regions, grids, tokens = defaultdict(list), defaultdict(list), {}
    ids = [account.pk for account in accounts]
    for grant in (
        RegionUserObjectPermission.objects.filter(
            user_id__in=ids, permission__codename="work_in_region"
        )
        .select_related("content_object")
        .order_by("content_object__code")
    ):
        regions[grant.user_id].append(grant.content_object)
    for grant in (
        GridUserObjectPermission.objects.filter(
            user_id__in=ids, permission__codename="work_in_grid"
        )
        .select_related("content_object")
        .order_by("content_object__code")
    ):
        grids[grant.user_id].append(grant.content_object)
    for token in ApiToken.objects.active().filter(user_id__in=ids):
        tokens[token.user_id] = token
    for account in accounts:
        account.regions = regions[account.pk]
        account.grids = grids[account.pk]
        account.live_token = tokens.get(account.pk)
    return accounts


def jurisdiction_account_get(*, actor, pk: int) -> User:
    """One community cadre or integration account (User.DoesNotExist for anyone else)."""
    return User.objects.get(pk=pk, role__in=JURISDICTION_ROLES)


def account_regions(account) -> list[Region]:
    return list(
        Region.objects.filter(
            regionuserobjectpermission__user=account,
            regionuserobjectpermission__permission__codename="work_in_region",
        ).order_by("code")
    )


def account_grids(account) -> list[Grid]:
    return list(
        Grid.objects.filter(
            griduserobjectpermission__user=account,
            griduserobjectpermission__permission__codename="work_in_grid",
        )
        .select_related("community")
        .order_by("code")
    )


def account_tokens(account):
    return ApiToken.objects.filter(user=account).order_by("-created_at", "-pk")[:10]


def grantable_regions():
    """What a grant may give: a community, or the whole street."""
    return Region.objects.filter(level__in=[Region.Level.STREET, Region.Level.COMMUNITY]).order_by(
        "code"
    )


def partner_admin_list(*, actor):
    """Partners with their staff count (the street's partner overview)."""
    from services.catalogue.selectors import partner_overview

    return partner_overview(actor=actor).order_by("name", "pk")


def partner_bound_staff(partner) -> list[User]:
    """Every account bound to `partner`, active or not (to unbind)."""
    return list(
        User.objects.filter(
            pk__in=PartnerUserObjectPermission.objects.filter(
                content_object=partner, permission__codename="act_for_partner"
            ).values("user")
        ).order_by("username")
    )


def partner_bound_staff_get(partner, *, pk: int) -> User | None:
    """One account bound to `partner` (None for anyone else)."""
    return User.objects.filter(
        pk=pk,
        pk__in=PartnerUserObjectPermission.objects.filter(
            content_object=partner, permission__codename="act_for_partner"
        ).values("user"),
    ).first()


def unbound_partner_staff():
    """Active partner-staff accounts bound to no organisation (each acts for one)."""
    bound = PartnerUserObjectPermission.objects.filter(
        permission__codename="act_for_partner"
    ).values("user")
    return (
        User.objects.filter(role=Role.PARTNER_STAFF, is_active=True)
        .exclude(pk__in=bound)
        .order_by("username")
    )


def community_admin_list(*, actor):
    """Communities with their street and the number of grids in force (one query)."""
    from django.db.models import Count, Q
    from django.utils import timezone

    today = timezone.localdate()
    return (
        Region.objects.filter(level=Region.Level.COMMUNITY)
        .select_related("parent")
        .annotate(
            grid_count=Count(
                "grids", filter=Q(grids__valid_to__isnull=True) | Q(grids__valid_to__gte=today)
            )
        )
        .order_by("code")
    )


def streets():
    return Region.objects.filter(level=Region.Level.STREET).order_by("code")
