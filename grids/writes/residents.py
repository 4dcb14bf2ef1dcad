"""Residents: registration, changes, sharing one case. Gated, atomic, validated, audited.

A resident registered or corrected must stay in the writer's jurisdiction (their household in
the writer's grids, or a case shared with them): otherwise a field error on `household` and
nothing is written.
"""

from django.db import transaction

from grids.age_tags import age_tags_apply
from grids.models import Resident
from grids.policy import (
    access_resident_change,
    access_resident_create,
    access_resident_delete,
    access_resident_share,
    access_resident_view,
)
from grids.writes.registry import _require_placed_in_scope
from portal.audit import audit_record
from portal.grants import jurisdiction_grant

RESIDENT_FILE_VIEW = "resident.view"

RESIDENT_EDITABLE = (
    "name", "id_type", "id_number", "sex", "birth_date", "phone", "ethnicity", "household",
    "relation_to_head", "population_type", "separated", "political_status", "deceased_date",
    "data_source", "verified_date",
)  # fmt: skip


def resident_create(*, actor, **fields) -> Resident:
    """Register a resident after validating the ID number, sex/birth agreement and phone."""
    access_resident_create(actor)
    with transaction.atomic():
        resident = Resident(**{k: v for k, v in fields.items() if k in RESIDENT_EDITABLE})
        resident.full_clean()
        resident.save()
        _require_placed_in_scope(access_resident_create, actor, resident, "household")
        age_tags_apply(resident)  # the age-derived tags now, not at night (grids/age_tags.py)
        audit_record(actor=actor, action="resident.create", obj=resident)
    return resident


def resident_update(*, actor, resident: Resident, **fields) -> Resident:
    """Change a resident's fields; the audit event lists which fields changed (not their values)."""
    access_resident_change(actor, resident)
    with transaction.atomic():
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        changed = [
            k for k, v in fields.items() if k in RESIDENT_EDITABLE and getattr(resident, k) != v
        ]
        for key in changed:
            setattr(resident, key, fields[key])
        resident.full_clean()
        hashes = [f"{k}_hash" for k in changed if k in ("id_number", "phone")]
        resident.save(update_fields=[*changed, *hashes] or None)
        _require_placed_in_scope(access_resident_change, actor, resident, "household")
        if {"birth_date", "deceased_date"} & set(changed):
            age_tags_apply(resident)
        audit_record(
            actor=actor, action="resident.update", obj=resident, details={"fields": changed}
        )
    return resident


def resident_delete(*, actor, resident: Resident) -> None:
    """Delete a resident entered by mistake (a death is recorded with `deceased_date` instead)."""
    access_resident_delete(actor, resident)
    with transaction.atomic():
        audit_record(actor=actor, action="resident.delete", obj=resident)
        resident.delete()


def resident_share(*, actor, resident: Resident, person, change: bool = False) -> None:
    """Share one case with one person (a social worker, a cadre of another community).

    A share lets them see the case (`grids.view_resident`); correcting it is a second, explicit
    grant (`change=True`: `grids.change_resident` on the case as well). Either way their role
    must carry the permission too (portal/roles.py).
    """
    access_resident_share(actor, resident)
    with transaction.atomic():
        jurisdiction_grant(actor=actor, user=person, perm="grids.view_resident", obj=resident)
        if change:
            jurisdiction_grant(actor=actor, user=person, perm="grids.change_resident", obj=resident)


def resident_file_view(*, actor, resident: Resident) -> None:
    """Record that the actor opened the resident's file (PIPL: reads of a person's whole file
    are traceable); the street administrator sees these on the file."""
    access_resident_view(actor, resident)
    with transaction.atomic():
        audit_record(actor=actor, action=RESIDENT_FILE_VIEW, obj=resident)
