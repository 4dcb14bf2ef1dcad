"""Who may read the burden dashboard and set its hours-saved rule — one gate per action.

- the dashboard: whoever holds reporting assignments in their view — the street (every
  department and community) and community cadres (their communities' share: the forms issued
  to them, the fields prefilled and asked there). Grid workers (who see single delegated
  fields), integrations, partners and Party roles: 403;
- the rule: the street, who decides reporting tasks (`change_reporttask`).
"""

from django.utils.translation import gettext_lazy as _

from portal.policy import deny_unless, require_active, require_perm


def access_burden_dashboard(actor, obj=None) -> None:
    require_perm(actor, "reporting.view_reportassignment")


def access_burden_rule_change(actor, obj=None) -> None:
    if actor is None:
        return  # the demo loader
    require_active(actor)
    deny_unless(
        actor.has_perm("reporting.change_reporttask"),
        _("Only the street office sets the hours-saved rule."),
    )
