"""Who may log deliveries, import canteens' meal logs and read a partner's statement — one gate
per action, one condition per line.

The street acts for every partner; a partner's staff act for their own organisation only
(`user.acts_for(partner)`); community and grid staff read deliveries of their residents but log
none. What a delivery says (the referral's state, the resident, the service, the money) is the
writes' validation, answered with field errors, not here.
"""

from django.utils.translation import gettext_lazy as _

from portal.policy import deny_unless, require_perm
from services.deliveries.models import LOGGABLE_REFERRAL_STATES, MealImport


def _for_every_partner(actor) -> bool:
    """The street (and a superuser) act for every partner."""
    return actor.is_superuser or actor.is_street_staff


def access_delivery_log(actor, partner) -> None:
    """Logging a delivery: the role's add permission, for a partner the actor acts for."""
    deny_unless(actor is not None, _("You may not log deliveries."))
    deny_unless(actor.has_perm("services.add_delivery"), _("You may not log deliveries."))
    if _for_every_partner(actor):
        return
    deny_unless(
        actor.acts_for(partner), _("You may log deliveries only for your own organisation.")
    )


def access_statement_close(actor, partner=None) -> None:
    """Closing a partner's monthly statement is the street's (it pays the bill): after it,
    nothing in that month changes. Without a partner: whether the button is offered at all."""
    deny_unless(actor is not None, _("Only the street closes statements."))
    deny_unless(actor.is_active, _("Only the street closes statements."))
    deny_unless(_for_every_partner(actor), _("Only the street closes statements."))


def access_statement_adjust(actor, delivery=None) -> None:
    """Correcting what the street pays for a delivery (an adjustment in the next open month,
    with its reason) is the street's: the subsidy is never the partner's to set."""
    deny_unless(actor is not None, _("Only the street adjusts statements."))
    deny_unless(actor.is_active, _("Only the street adjusts statements."))
    deny_unless(_for_every_partner(actor), _("Only the street adjusts statements."))


def access_referral_delivery_log(actor, referral) -> None:
    """Logging on a referral (the page under it): the partner it is assigned to, while serving."""
    deny_unless(referral.partner_id is not None)
    access_delivery_log(actor, referral.partner)
    deny_unless(referral.status in LOGGABLE_REFERRAL_STATES)


def access_meal_import_create(actor, partner=None) -> None:
    """Uploading a canteen's meal log: the role's add permission, for a partner the actor acts
    for (without a partner: whether the import pages are open to the actor at all)."""
    deny_unless(actor is not None, _("You may not import meal logs."))
    deny_unless(actor.has_perm("services.add_mealimport"), _("You may not import meal logs."))
    if partner is None or _for_every_partner(actor):
        return
    deny_unless(
        actor.acts_for(partner), _("You may import meal logs only for your own organisation.")
    )


def access_meal_import_commit(actor, meal_import) -> None:
    """Importing a checked file: the role's add permission, on an import in the add scope."""
    deny_unless(actor is not None, _("You may not import meal logs."))
    deny_unless(actor.has_perm("services.add_mealimport"), _("You may not import meal logs."))
    in_scope = MealImport.objects.visible_to(actor, "add").filter(pk=meal_import.pk).exists()
    deny_unless(in_scope, _("You may import meal logs only for your own organisation."))


# --- Reads: which pages a role may open at all ------------------------------------------------


def access_delivery_list(actor, obj=None) -> None:
    """A role that may not read deliveries at all gets 403 (an empty scope is an empty list)."""
    require_perm(actor, "services.view_delivery")


def access_meal_import_list(actor, obj=None) -> None:
    require_perm(actor, "services.view_mealimport")


def access_partner_statement(actor, partner=None) -> None:
    """A partner's monthly statement is the street's and the partner's own staff's: community
    and grid staff see partners, not their bills (theirs would only hold their residents'
    share). Without a partner: whether the statement pages are open to the actor at all."""
    require_perm(actor, "services.view_delivery")
    if _for_every_partner(actor):
        return
    deny_unless(actor.is_partner_staff)
    if partner is not None:
        deny_unless(actor.acts_for(partner))
