"""Who may do what to Party organisations and members — one gate per action, one condition per
line.

- read: the role's view permission; which rows is the scope's (querysets.py: out of scope is a
  404, as missing);
- the tree and the membership register (create, edit, move, set the secretary, add and edit
  members, record a transfer, give a member a login): the Party office only — street staff and
  the Party-work officer. A community cadre granted Party work reads their subtree but does not
  redraw it, and a secretary reads their branch;
- the coverage of the area tree: whoever may read organisations (the page lists the areas the
  reader sees).

`actor=None` is the system (the demo loader, a management command): it builds the tree.
"""

from django.utils.translation import gettext_lazy as _

from portal.policy import deny_unless, require_active, require_perm

NOT_PARTY_OFFICE = _("Only the street's Party office may change Party organisations and members.")


def _require_party_office(actor) -> None:
    """Street staff or the Party-work officer (the system, actor None, as well)."""
    if actor is None:
        return  # the demo loader and management commands build the tree
    require_active(actor)
    deny_unless(
        actor.is_superuser or actor.is_street_staff or actor.is_party_officer, NOT_PARTY_OFFICE
    )


# --- Reads ------------------------------------------------------------------------------------


def access_party_org_list(actor, obj=None) -> None:
    require_perm(actor, "partybuilding.view_partyorg")


def access_party_member_list(actor, obj=None) -> None:
    require_perm(actor, "partybuilding.view_partymember")


def access_party_coverage_view(actor, obj=None) -> None:
    require_perm(actor, "partybuilding.view_partyorg")


# --- Organisations ----------------------------------------------------------------------------


def access_party_org_create(actor, obj=None) -> None:
    _require_party_office(actor)


def access_party_org_update(actor, org=None) -> None:
    """Editing covers moving: the whole subtree moves with the organisation."""
    _require_party_office(actor)


def access_party_org_secretary_set(actor, org=None) -> None:
    _require_party_office(actor)


# --- Members ----------------------------------------------------------------------------------


def access_party_member_create(actor, obj=None) -> None:
    _require_party_office(actor)


def access_party_member_update(actor, member=None) -> None:
    _require_party_office(actor)


def access_party_member_transfer(actor, member=None) -> None:
    _require_party_office(actor)


def access_party_member_login_create(actor, member=None) -> None:
    """A login carries the member's own data and a role: the Party office only."""
    _require_party_office(actor)
