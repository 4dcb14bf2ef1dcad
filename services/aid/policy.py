"""Who may write bundled aid — one gate per action, one condition per line.

The role's model permission decides the kind of work (services/apps.py): the street registers
funders and bundles and records disbursements; the street and community cadres open, close and
cancel aid cases. A case must also be in the actor's scope (`AidCase.objects.visible_to`):
changed for closing and cancelling, seen for paying. Partner staff see nothing of aid.
"""

from django.utils.translation import gettext_lazy as _

from portal.policy import deny_unless, require_perm

MAY_NOT = _("You may not do this.")
NOT_THIS_CASE = _("You may not do this to this case.")


def _require_perm(actor, perm: str) -> None:
    deny_unless(actor is not None, MAY_NOT)
    deny_unless(actor.has_perm(perm), MAY_NOT)


def _require_case_in_scope(actor, case, action: str) -> None:
    from services.aid.models import AidCase

    in_scope = AidCase.objects.visible_to(actor, action).filter(pk=case.pk).exists()
    deny_unless(in_scope, NOT_THIS_CASE)


def access_funder_create(actor, obj=None) -> None:
    _require_perm(actor, "services.add_funder")


def access_aid_bundle_create(actor, obj=None) -> None:
    _require_perm(actor, "services.add_aidbundle")


def access_aid_bundle_line_add(actor, bundle=None) -> None:
    _require_perm(actor, "services.add_aidbundleline")


def access_aid_case_open(actor, obj=None) -> None:
    """The household must also be in the actor's scope: the write says so on its field."""
    _require_perm(actor, "services.add_aidcase")


def access_aid_case_close(actor, case) -> None:
    _require_perm(actor, "services.change_aidcase")
    _require_case_in_scope(actor, case, "change")


def access_aid_case_cancel(actor, case) -> None:
    _require_perm(actor, "services.change_aidcase")
    _require_case_in_scope(actor, case, "change")


def access_disbursement_record(actor, case) -> None:
    """Paying is the street's (the role's add permission), on a case it sees."""
    _require_perm(actor, "services.add_disbursement")
    _require_case_in_scope(actor, case, "view")


# --- Reads: which pages a role may open at all ------------------------------------------------


def access_aid_bundle_list(actor, obj=None) -> None:
    """A list the role may not read at all is a 403 (an empty scope is an empty list)."""
    require_perm(actor, "services.view_aidbundle")


def access_aid_case_list(actor, obj=None) -> None:
    require_perm(actor, "services.view_aidcase")
