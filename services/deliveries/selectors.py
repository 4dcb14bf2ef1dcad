"""Reads of the deliveries room: each starts from `visible_to(actor)` and owns its joins (a list
page runs the same number of queries for 1 row and for 20). The monthly statement is read in
services/deliveries/statements.py."""

from django.utils.translation import gettext as _

from portal.hooks import FileSection
from portal.policy import allowed
from services.deliveries.models import Delivery, MealImport
from services.deliveries.policy import access_referral_delivery_log

REFERRAL_DELIVERIES_SHOWN = 50
REFERRAL_DELIVERIES_TEMPLATE = "services/deliveries/_referral_deliveries.html"


def delivery_list(*, actor):
    """Deliveries the actor may see, with what a list row shows (no query per row)."""
    return Delivery.objects.visible_to(actor).select_related(
        "partner", "service_item", "resident", "referral", "meal"
    )


def referral_delivery_list(*, actor, referral):
    """The deliveries of one referral that the actor may see, newest first."""
    return delivery_list(actor=actor).filter(referral=referral).order_by("-delivered_at", "-id")


def referral_deliveries_context(*, actor, referral) -> dict:
    """For the referral detail page: its deliveries the actor may see, whether the actor may
    log one now (the gate), and the template to include (the `partner_actions_extra_template`
    slot, templates/services/deliveries/_referral_deliveries.html)."""
    deliveries = list(referral_delivery_list(actor=actor, referral=referral))
    return {
        "referral_deliveries": deliveries[:REFERRAL_DELIVERIES_SHOWN],
        "referral_deliveries_more": len(deliveries) > REFERRAL_DELIVERIES_SHOWN,
        "can_log_delivery": allowed(access_referral_delivery_log, actor, referral),
        "partner_actions_extra_template": REFERRAL_DELIVERIES_TEMPLATE,
    }


def meal_import_list(*, actor, action: str = "view"):
    """Meal-log imports the actor may see (or, with `action="add"`, import), newest first, with
    the partner, the service and who uploaded them."""
    return (
        MealImport.objects.visible_to(actor, action)
        .select_related("partner", "service_item", "uploaded_by")
        .order_by("-created_at", "-id")
    )


# --- The resident's file (portal.hooks.file_sections_register) -------------------------------


def delivery_file_section(*, actor, obj, limit: int):
    """Services delivered to the resident that the actor sees, newest first. One query."""
    if not actor.has_perm("services.view_delivery"):
        return None
    rows = list(
        delivery_list(actor=actor)
        .filter(resident=obj)
        .order_by("-delivered_at", "-id")[: limit + 1]
    )
    return FileSection(
        key="deliveries",
        title=_("Services delivered"),
        template="grids/_file_deliveries.html",
        rows=rows[:limit],
        more=len(rows) > limit,
        order=40,
    )
