"""Who may sign, renew, switch and lapse family-doctor contracts — one gate per action, one
condition per line.

- sign: the role's add permission, and the street or a clinic's staff (community and grid staff
  only read contracts). Which clinic and which resident a clinic's staff may sign is checked by
  the write as field errors (their own clinic; a resident referred to it).
- renew, lapse: whoever may change the contract (`visible_to(actor, "change")`): the street,
  and the clinic's own staff.
- switch: the street only. It ends one clinic's contract and starts another's, and partner
  staff see only their own clinic's contracts, so neither clinic may act on the other's.
- the daily run (lapse the expired, remind the expiring) is the system's (actor None).
"""

from django.utils.translation import gettext_lazy as _

from portal.policy import deny_unless, require_perm

MAY_NOT_SIGN = _("You may not sign family-doctor contracts.")
MAY_NOT_CHANGE = _("You may not change this contract.")


def _require_system(actor) -> None:
    """Work of the daily task, which runs without a user; no person starts it."""
    deny_unless(actor is None)


def access_family_doctor_contract_sign(actor, obj=None) -> None:
    deny_unless(actor is not None, MAY_NOT_SIGN)
    deny_unless(actor.has_perm("services.add_familydoctorcontract"), MAY_NOT_SIGN)
    deny_unless(actor.is_street_staff or actor.is_partner_staff, MAY_NOT_SIGN)


def _require_may_change(actor, contract) -> None:
    """The contract is in the actor's change scope: the street, or the clinic's own staff."""
    from services.contracts.models import FamilyDoctorContract

    # Without a person (actor None) there is no scope: refused as well.
    in_scope = FamilyDoctorContract.objects.visible_to(actor, "change").filter(pk=contract.pk)
    deny_unless(in_scope.exists(), MAY_NOT_CHANGE)


def access_family_doctor_contract_renew(actor, contract) -> None:
    _require_may_change(actor, contract)


def access_family_doctor_contract_switch(actor, contract) -> None:
    """Switching moves a resident between two clinics: the street decides."""
    _require_may_change(actor, contract)
    deny_unless(
        actor.is_street_staff, _("Only the street office may switch a contract to another clinic.")
    )


def access_family_doctor_contract_lapse(actor, contract) -> None:
    """Ending a contract by hand (the resident died or moved away); the daily task lapses
    contracts whose term ran out (actor None)."""
    if actor is None:
        return
    _require_may_change(actor, contract)


def access_family_doctor_contracts_lapse_expired(actor, obj=None) -> None:
    _require_system(actor)


def access_family_doctor_contract_reminders_send(actor, obj=None) -> None:
    _require_system(actor)


def access_family_doctor_contracts_daily(actor, obj=None) -> None:
    _require_system(actor)


# --- Reads: which pages a role may open at all ------------------------------------------------


def access_family_doctor_contract_list(actor, obj=None) -> None:
    """A role without the view permission gets 403 on the list (an empty scope is an empty list)."""
    require_perm(actor, "services.view_familydoctorcontract")
