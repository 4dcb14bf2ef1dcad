"""Who may read the Party-building dashboard — one read gate.

The page counts only what the reader's scope holds (selectors.py): the street and the
Party-work officer see the whole street, a community cadre granted Party work their subtree, a
secretary their branch, a member their own records. A role without any Party permission (grid
staff, partner staff, integrations) gets 403; a community cadre without a grant has the role's
permission but an empty scope, so their dashboard is empty, as every Party list is for them.
"""

from portal.policy import require_perm


def access_party_dashboard(actor, obj=None) -> None:
    require_perm(actor, "partybuilding.view_partyorg")
