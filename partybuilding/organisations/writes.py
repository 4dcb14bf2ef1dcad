"""Writes of the Party organisation tree and the membership register.

Each opens with its gate (partybuilding/organisations/policy.py), runs in one transaction,
validates with `full_clean()`, saves only the fields it changed and writes one audit row.

The tree path ("/1/7/23/") is the write's: creating an organisation inserts it and then sets
its path from the parent's; moving one rewrites the paths of its whole subtree in one UPDATE
(the rows locked first, in primary-key order), so a subtree stays one `LIKE '/1/7/%'`.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _

from partybuilding.organisations.models import MemberTransfer, PartyMember, PartyOrg
from partybuilding.organisations.policy import (
    access_party_member_create,
    access_party_member_login_create,
    access_party_member_transfer,
    access_party_member_update,
    access_party_org_create,
    access_party_org_secretary_set,
    access_party_org_update,
)
from portal.audit import audit_record
from portal.roles import Role

ORG_FIELDS = (
    "name", "kind", "parent", "community", "grid", "building", "host_unit", "host_unit_uscc",
    "founded_on", "dissolved_on",
)  # fmt: skip
MEMBER_FIELDS = (
    "name", "resident", "org", "status", "joined_party_on", "serving", "employer",
    "employer_org", "phone", "reported_community", "reported_on", "note",
)  # fmt: skip


def _place_in_area(org: PartyOrg) -> None:
    """A grid branch or a building group lies in its grid's or building's community."""
    if not org.community_id and org.grid_id:
        org.community_id = org.grid.community_id
    if not org.community_id and org.building_id:
        org.community_id = org.building.community_id


# --- Organisations ----------------------------------------------------------------------------


def party_org_create(*, actor, name: str, kind: str, parent=None, **fields) -> PartyOrg:
    """Found an organisation under `parent` (None: a street committee at the top)."""
    access_party_org_create(actor)
    unknown = set(fields) - set(ORG_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    with transaction.atomic():
        org = PartyOrg(name=name, kind=kind, parent=parent, **fields)
        _place_in_area(org)
        org.full_clean(exclude=["path"])
        org.save()
        org.path = PartyOrg.path_for(parent=parent, pk=org.pk)
        org.save(update_fields=["path"])
        audit_record(
            actor=actor,
            action="party_org.create",
            obj=org,
            details={"parent": parent.pk if parent else None, "kind": kind},
        )
    return org


def party_org_update(*, actor, org: PartyOrg, **fields) -> PartyOrg:
    """Change an organisation's details; a new parent moves its whole subtree."""
    access_party_org_update(actor, org)
    unknown = set(fields) - set(ORG_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    with transaction.atomic():
        # The subtree is locked in primary-key order before anything is read for the move.
        list(
            PartyOrg.objects.select_for_update()
            .filter(path__startswith=org.path)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        locked = PartyOrg.objects.select_related("parent").get(pk=org.pk)
        old_path = locked.path
        for name, value in fields.items():
            setattr(locked, name, value)
        _place_in_area(locked)
        locked.full_clean()
        changed = [name for name in ORG_FIELDS if name in fields] + ["community"]
        new_path = PartyOrg.path_for(parent=locked.parent, pk=locked.pk)
        moved = new_path != old_path
        locked.save(update_fields=sorted(set(changed)))
        if moved:
            # One UPDATE rewrites the prefix of every path in the subtree (this one included).
            PartyOrg.objects.filter(path__startswith=old_path).update(
                path=Concat(Value(new_path), Substr("path", len(old_path) + 1))
            )
            locked.path = new_path
        audit_record(
            actor=actor,
            action="party_org.update",
            obj=locked,
            details={
                "fields": sorted(fields),
                **({"moved": {"from": old_path, "to": new_path}} if moved else {}),
            },
        )
    return locked


def party_org_secretary_set(*, actor, org: PartyOrg, member: PartyMember | None) -> PartyOrg:
    """Name (or clear) the organisation's secretary, a current member of its subtree."""
    access_party_org_secretary_set(actor, org)
    if member is not None and not member.is_current:
        raise ValidationError({"secretary": _("This member has transferred out.")})
    with transaction.atomic():
        locked = PartyOrg.objects.select_for_update().get(pk=org.pk)
        previous = locked.secretary_id
        locked.secretary = member
        locked.full_clean()
        locked.save(update_fields=["secretary"])
        audit_record(
            actor=actor,
            action="party_org.secretary_set",
            obj=locked,
            details={"from": previous, "to": member.pk if member else None},
        )
    return locked


# --- Members ----------------------------------------------------------------------------------


def party_member_create(*, actor, name: str, org: PartyOrg, **fields) -> PartyMember:
    """Enter a member of one of the street's organisations in the register."""
    access_party_member_create(actor)
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    with transaction.atomic():
        member = PartyMember(name=name, org=org, **fields)
        member.full_clean()
        member.save()
        audit_record(actor=actor, action="party_member.create", obj=member)
    return member


def party_member_update(*, actor, member: PartyMember, **fields) -> PartyMember:
    """Correct a member's record (a move between organisations is a transfer, not an edit)."""
    access_party_member_update(actor, member)
    unknown = set(fields) - (set(MEMBER_FIELDS) - {"org"})
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    with transaction.atomic():
        locked = PartyMember.objects.select_for_update().get(pk=member.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        if not locked.serving:
            # Only a serving member reports to a community (双报到).
            locked.reported_community = None
            locked.reported_on = None
        locked.full_clean()
        update = set(fields) | {"reported_community", "reported_on"}
        if "phone" in update:
            update.add("phone_hash")
        locked.save(update_fields=sorted(update))
        audit_record(
            actor=actor,
            action="party_member.update",
            obj=locked,
            details={"fields": sorted(fields)},
        )
    return locked


def party_member_transfer(
    *,
    actor,
    member: PartyMember,
    direction: str,
    date,
    to_org: PartyOrg | None = None,
    to_org_name: str = "",
    from_org_name: str = "",
    note: str = "",
) -> MemberTransfer:
    """Record a transfer of the member's Party membership and keep the member's dates.

    In: the member joins `to_org` (ours) from an outside organisation (`from_org_name`) or from
    their present one; `transferred_in_on` is the date and any earlier transfer-out is undone.
    Out: to another organisation of the street (`to_org`: the member moves there and stays
    current) or to an outside one (`to_org_name`: `transferred_out_on` is the date).
    """
    access_party_member_transfer(actor, member)
    with transaction.atomic():
        locked = PartyMember.objects.select_for_update().select_related("org").get(pk=member.pk)
        transfer = MemberTransfer(
            member=locked, direction=direction, date=date, note=note, recorded_by=actor
        )
        update = []
        if direction == MemberTransfer.Direction.OUT:
            if not locked.is_current:
                raise ValidationError({"direction": _("This member has already transferred out.")})
            transfer.from_org = locked.org
            transfer.to_org = to_org
            transfer.to_org_name = "" if to_org else to_org_name
            if to_org is not None:
                locked.org = to_org
                locked.transferred_in_on = date
                update = ["org", "transferred_in_on"]
            else:
                locked.transferred_out_on = date
                update = ["transferred_out_on"]
        else:
            transfer.to_org = to_org
            if locked.is_current and to_org is not None and to_org.pk != locked.org_id:
                transfer.from_org = locked.org
            else:
                transfer.from_org_name = from_org_name
            if to_org is not None:
                locked.org = to_org
            locked.transferred_in_on = date
            locked.transferred_out_on = None
            update = ["org", "transferred_in_on", "transferred_out_on"]
        transfer.full_clean()
        locked.full_clean()
        transfer.save()
        locked.save(update_fields=update)
        audit_record(
            actor=actor,
            action=f"party_member.transfer_{direction}",
            obj=locked,
            details={
                "date": date.isoformat(),
                "from": transfer.from_display,
                "to": transfer.to_display,
            },
        )
    member.refresh_from_db()
    return transfer


def party_member_login_create(
    *, actor, member: PartyMember, username: str, password: str
) -> PartyMember:
    """Give a member their own login (role party_member): their hours, their needs, their page."""
    access_party_member_login_create(actor, member)
    User = get_user_model()
    username = username.strip()
    with transaction.atomic():
        locked = PartyMember.objects.select_for_update().get(pk=member.pk)
        if locked.user_id:
            raise ValidationError({"username": _("This member already has a login.")})
        if not locked.is_current:
            raise ValidationError({"username": _("This member has transferred out.")})
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": _("This username is taken.")})
        user = User(username=username, role=Role.PARTY_MEMBER, full_name=locked.name)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
        user.password_change_required = True  # the officer chose it: the member chooses their own
        user.full_clean()
        user.save()
        locked.user = user
        locked.save(update_fields=["user"])
        audit_record(
            actor=actor,
            action="party_member.login_create",
            obj=locked,
            details={"username": username},
        )
    member.user = user
    return locked
