"""Who may register partners, bind their staff and keep the service catalogue — one gate per
action, one condition per line (portal/policy.py says how gates work).

`actor=None` is the system: the demo loader and the bench set up partners and the catalogue
without a user, and the test people are bound to their partner the same way.
"""

from portal.policy import deny_unless, require_active, require_perm


def access_partner_create(actor, obj=None) -> None:
    """Registering a partner organisation is the street's (the role's add permission)."""
    if actor is None:
        return  # the system: demo data, bench
    require_perm(actor, "services.add_partner")


def access_partner_staff_bind(actor, partner=None) -> None:
    """Binding an account to its organisation changes who sees that partner's referrals."""
    if actor is None:
        return  # the system: demo data, bench, the test people
    require_perm(actor, "services.change_partner")


def access_partner_update(actor, partner=None) -> None:
    """Changing a partner's registration (name, code, agreement) is the street's."""
    if actor is None:
        return  # the system: demo data
    require_perm(actor, "services.change_partner")


def access_partner_staff_unbind(actor, partner=None) -> None:
    """Unbinding an account takes the organisation's referrals out of its sight."""
    if actor is None:
        return  # the system
    require_perm(actor, "services.change_partner")


def access_partner_agreement_reminders_send(actor, obj=None) -> None:
    """Work of the daily task, which runs without a user; no person starts it."""
    deny_unless(actor is None)


def access_partner_agreements_daily(actor, obj=None) -> None:
    """Work of the daily task, which runs without a user; no person starts it."""
    deny_unless(actor is None)


def access_service_item_create(actor, obj=None) -> None:
    """Adding to the catalogue is the street's (the role's add permission)."""
    if actor is None:
        return  # the system: demo data, bench
    require_perm(actor, "services.add_serviceitem")


def access_service_item_update(actor, service_item=None) -> None:
    """Changing a catalogue entry (its rule, its subsidy, its providers) is the street's."""
    if actor is None:
        return  # the system: demo data
    require_perm(actor, "services.change_serviceitem")


# --- Reads: which pages a role may open at all ------------------------------------------------


def access_partner_list(actor, obj=None) -> None:
    """The partner pages are the street's (a role-wide refusal: 403 for every partner alike);
    local staff see the providers' names in the catalogue, partner staff their referrals."""
    require_active(actor)
    if actor.is_superuser:
        return
    deny_unless(actor.is_street_staff)


def access_service_item_list(actor, obj=None) -> None:
    """The catalogue page is for every role that may view the catalogue."""
    require_perm(actor, "services.view_serviceitem")
