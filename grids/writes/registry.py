"""Grids, micro-grids, buildings, dwellings, households and tags: create and change.

Each write validates the whole row (full_clean), saves only what changed, and records an
audit event naming the changed fields, in one transaction.
"""

from django.db import models, transaction

from grids.models import (
    Building,
    Dwelling,
    Grid,
    Household,
    MicroGrid,
    Resident,
    ResidentTag,
    TagDef,
)
from portal.audit import audit_record


def _create(*, actor, model: type[models.Model], action: str, fields: dict) -> models.Model:
    with transaction.atomic():
        obj = model(**fields)
        obj.full_clean()
        obj.save()
        audit_record(actor=actor, action=action, obj=obj)
    return obj


def _update(
    *, actor, obj: models.Model, action: str, fields: dict, editable: tuple[str, ...]
) -> models.Model:
    unknown = set(fields) - set(editable)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    with transaction.atomic():
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        changed = [name for name, value in fields.items() if getattr(obj, name) != value]
        for name in changed:
            setattr(obj, name, fields[name])
        obj.full_clean()
        if changed:
            obj.save(update_fields=changed)
        audit_record(actor=actor, action=action, obj=obj, details={"fields": changed})
    return obj


GRID_EDITABLE = ("name", "kind", "household_cap", "boundary", "valid_from", "valid_to")
BUILDING_EDITABLE = ("grid", "micro_grid", "name", "address", "longitude", "latitude")
HOUSEHOLD_EDITABLE = ("number", "dwelling", "grid", "kind", "head")


def grid_create(*, actor, **fields) -> Grid:
    """Draw a new grid in a community; its 15-digit code must start with the community's code."""
    return _create(actor=actor, model=Grid, action="grid.create", fields=fields)


def grid_update(*, actor, grid: Grid, **fields) -> Grid:
    """Change a grid's name, kind, cap, boundary or validity (its code and community stay)."""
    return _update(
        actor=actor, obj=grid, action="grid.update", fields=fields, editable=GRID_EDITABLE
    )


def micro_grid_create(*, actor, **fields) -> MicroGrid:
    return _create(actor=actor, model=MicroGrid, action="micro_grid.create", fields=fields)


def building_create(*, actor, **fields) -> Building:
    return _create(actor=actor, model=Building, action="building.create", fields=fields)


def building_update(*, actor, building: Building, **fields) -> Building:
    return _update(
        actor=actor,
        obj=building,
        action="building.update",
        fields=fields,
        editable=BUILDING_EDITABLE,
    )


def dwelling_create(*, actor, **fields) -> Dwelling:
    return _create(actor=actor, model=Dwelling, action="dwelling.create", fields=fields)


def household_create(*, actor, **fields) -> Household:
    return _create(actor=actor, model=Household, action="household.create", fields=fields)


def household_update(*, actor, household: Household, **fields) -> Household:
    return _update(
        actor=actor,
        obj=household,
        action="household.update",
        fields=fields,
        editable=HOUSEHOLD_EDITABLE,
    )


def resident_tag_add(*, actor, resident: Resident, tag: TagDef, **fields) -> ResidentTag:
    """Put a tag on a resident; adding a tag the resident already has updates it instead."""
    with transaction.atomic():
        existing = (
            ResidentTag.objects.select_for_update().filter(resident=resident, tag=tag).first()
        )
        if existing is not None:
            return _update(
                actor=actor,
                obj=existing,
                action="resident_tag.update",
                fields=fields,
                editable=("source", "valid_from", "valid_to", "certificate_number", "grade"),
            )
        return _create(
            actor=actor,
            model=ResidentTag,
            action="resident_tag.add",
            fields={"resident": resident, "tag": tag, **fields},
        )


def resident_tag_remove(*, actor, resident_tag: ResidentTag) -> None:
    with transaction.atomic():
        audit_record(actor=actor, action="resident_tag.remove", obj=resident_tag)
        resident_tag.delete()
