"""Jurisdiction grants: the object permissions that `visible_to` reads (a grid, a community, a
partner organisation, one shared case).

A primitive that gated writes compose (`grid_assign`, `region_staff_grant`,
`partner_staff_bind`, `resident_share`): it decides no permission of its own. Whether a grant
is held is read by `portal.querysets.jurisdiction_holds`.
"""

from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from portal.audit import audit_record
from portal.querysets import jurisdiction_holds


def jurisdiction_grant(*, actor, user, perm: str, obj) -> bool:
    """Give `user` the object permission `perm` on `obj` (a grid, a community, a partner, a case).

    Granting again changes nothing and writes no second audit event. Returns whether it was new.
    """
    with transaction.atomic():
        if jurisdiction_holds(user=user, perm=perm, obj=obj):
            return False
        assign_perm(perm, user, obj)
        audit_record(
            actor=actor, action="grant", obj=obj, details={"user": user.username, "perm": perm}
        )
    return True


def jurisdiction_revoke(*, actor, user, perm: str, obj) -> bool:
    """Take back an object permission given by jurisdiction_grant. Returns whether one was held."""
    with transaction.atomic():
        if not jurisdiction_holds(user=user, perm=perm, obj=obj):
            return False
        remove_perm(perm, user, obj)
        audit_record(
            actor=actor, action="revoke", obj=obj, details={"user": user.username, "perm": perm}
        )
    return True
