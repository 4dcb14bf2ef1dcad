"""Reads of the catalogue room: partners, the service catalogue, who is eligible for what, and
whom to tell at a partner. Each list starts from `visible_to(actor)` and owns its joins."""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce

from portal.roles import Role
from services.catalogue.eligibility import resident_tag_codes, rule_evaluate
from services.catalogue.models import Partner, PartnerUserObjectPermission, ServiceItem

logger = logging.getLogger(__name__)


def _count(queryset, fk: str):
    """A correlated COUNT of `queryset` rows pointing at the outer row through `fk`."""
    counted = (
        queryset.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


# --- Partners ---------------------------------------------------------------------------------


def partner_list(*, actor):
    """Partners in scope: the API's list, and what forms and filters may offer."""
    return Partner.objects.visible_to(actor)


def partners_agreement_ending(*, today, within_days: int) -> list[tuple]:
    """(id, name, agreement end) of the partners whose agreement ends within `within_days`
    of `today`, today included, soonest first: what the daily reminder tells about."""
    return list(
        Partner.objects.filter(
            agreement_end__gte=today, agreement_end__lte=today + timedelta(days=within_days)
        )
        .order_by("agreement_end", "pk")
        .values_list("pk", "name", "agreement_end")
    )


def partner_overview(*, actor):
    """Partners in scope with their staff count, open referrals and the items they provide
    (the street's partner pages)."""
    from services.referrals.models import OPEN_STATES, Referral

    staff = PartnerUserObjectPermission.objects.filter(
        permission__codename="act_for_partner", user__is_active=True
    )
    return (
        partner_list(actor=actor)
        .annotate(
            staff_count=_count(staff, "content_object"),
            open_referrals=_count(Referral.objects.filter(status__in=OPEN_STATES), "partner"),
        )
        .prefetch_related(
            Prefetch("service_items", queryset=ServiceItem.objects.order_by("group", "name"))
        )
    )


def partner_choices(*, actor):
    """The partners a form or filter may offer the actor: those in scope, by name."""
    return partner_list(actor=actor).order_by("name")


def partner_staff(*, partner: Partner):
    """The active accounts acting for `partner`: whom its referrals are announced to."""
    from portal.models import User

    grants = PartnerUserObjectPermission.objects.filter(
        content_object=partner, permission__codename="act_for_partner"
    ).values("user")
    return User.objects.filter(pk__in=grants, is_active=True).order_by("pk")


def partner_staff_ids(partner_ids) -> dict[int, list[int]]:
    """Active partner-staff users (ids) per partner, from one query — whom reminders go to."""
    staff: dict[int, list[int]] = {}
    grants = PartnerUserObjectPermission.objects.filter(
        permission__codename="act_for_partner",
        content_object_id__in=partner_ids,
        user__is_active=True,
        user__role=Role.PARTNER_STAFF,
    ).values_list("content_object_id", "user_id")
    for partner_id, user_id in grants.order_by("content_object_id", "user_id"):
        staff.setdefault(partner_id, []).append(user_id)
    return staff


# --- The catalogue ----------------------------------------------------------------------------


def service_item_list(*, actor):
    """The catalogue for roles that may view it, each item with the providers the actor may see."""
    return ServiceItem.objects.visible_to(actor).prefetch_related(
        Prefetch("partners", queryset=Partner.objects.visible_to(actor).order_by("name"))
    )


def service_item_choices(*, actor):
    """Every catalogue entry the actor may view, in the catalogue's order: a filter's choices."""
    return ServiceItem.objects.visible_to(actor).order_by("group", "category", "name")


def service_items_dealt_in(*, actor):
    """The services the actor deals in, for filtering referrals: partner staff those their
    organisation provides; everyone else the whole catalogue."""
    items = ServiceItem.objects.visible_to(actor).order_by("group", "name")
    if actor.is_partner_staff:
        return items.filter(partners__in=Partner.objects.visible_to(actor)).distinct()
    return items


def meal_service_choices():
    """The active meal services of the catalogue: what a canteen's meal log records."""
    return ServiceItem.objects.filter(category=ServiceItem.Category.MEAL, active=True)


def service_items_by_eligibility(items, *, resident) -> tuple[list, list]:
    """`items` split into (eligible, other) by the resident's tags in force today.

    The one loop over the rules, for the referral form and the API's `eligible_for` filter:
    two queries (the tags, the items) however long the catalogue is. A rule that no longer
    parses qualifies nobody.
    """
    codes = resident_tag_codes(resident=resident)
    eligible, other = [], []
    for item in items:
        try:
            ok = rule_evaluate(item.eligibility_rule, codes)
        except ValidationError:
            logger.warning("service item %s has an invalid eligibility rule", item.pk)
            ok = False
        (eligible if ok else other).append(item)
    return eligible, other


def service_items_for_resident(*, resident) -> tuple[list[ServiceItem], list[ServiceItem]]:
    """Active catalogue items split into (eligible, other) for the resident's tags in force today."""
    items = ServiceItem.objects.filter(active=True).order_by("group", "category", "name")
    return service_items_by_eligibility(items, resident=resident)
