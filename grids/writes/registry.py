"""Grids, micro-grids, buildings, dwellings, households and tags: create and change.

Each write opens with its gate (grids/policy.py), validates the whole row (full_clean), saves
only what changed, and records an audit event naming the changed fields, in one transaction.
A write that places a row (a household in a grid, a building in a community) asks its gate
again about the written row: outside the writer's jurisdiction, it is a field error and
nothing is written.
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from grids.models import (
    Building,
    Dwelling,
    Grid,
    Household,
    MicroGrid,
    Region,
    Resident,
    ResidentTag,
    TagDef,
)
from grids.policy import (
    access_building_change,
    access_building_create,
    access_dwelling_create,
    access_grid_change,
    access_grid_create,
    access_household_change,
    access_household_create,
    access_micro_grid_create,
    access_region_change,
    access_region_create,
    access_resident_tag_add,
    access_resident_tag_remove,
)
from portal.audit import audit_record
from portal.policy import allowed

GRID_EDITABLE = ("name", "kind", "household_cap", "boundary", "valid_from", "valid_to")
BUILDING_EDITABLE = ("grid", "micro_grid", "name", "address", "longitude", "latitude")
HOUSEHOLD_EDITABLE = ("number", "dwelling", "grid", "kind", "head")
RESIDENT_TAG_EDITABLE = ("source", "valid_from", "valid_to", "certificate_number", "grade")


def _require_placed_in_scope(gate: Callable, actor, obj: models.Model, field: str) -> None:
    """The written row must lie where `gate` lets `actor` have it; else a ValidationError on
    `field` (the one that placed it), which rolls the caller's transaction back."""
    if not allowed(gate, actor, obj):
        raise ValidationError({field: _("Choose one within your jurisdiction.")})


def _create(
    *,
    actor,
    model: type[models.Model],
    action: str,
    fields: dict,
    placed_by: tuple[Callable, str] | None = None,
) -> models.Model:
    with transaction.atomic():
        obj = model(**fields)
        obj.full_clean()
        obj.save()
        if placed_by is not None:
            _require_placed_in_scope(placed_by[0], actor, obj, placed_by[1])
        audit_record(actor=actor, action=action, obj=obj)
    return obj


def _update(
    *,
    actor,
    obj: models.Model,
    action: str,
    fields: dict,
    editable: tuple[str, ...],
    placed_by: tuple[Callable, str] | None = None,
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
        if placed_by is not None:
            _require_placed_in_scope(placed_by[0], actor, obj, placed_by[1])
        audit_record(actor=actor, action=action, obj=obj, details={"fields": changed})
    return obj


REGION_EDITABLE = ("name",)


def region_create(*, actor, name: str, code: str, parent: Region) -> Region:
    """Add a community under a street; its 12-digit code continues the street's (its first 9
    digits)."""
    access_region_create(actor)
    code = (code or "").strip()
    errors = {}
    if parent is None or parent.level != Region.Level.STREET:
        errors["parent"] = _("A community belongs to a street.")
    if not (len(code) == 12 and code.isdigit()):
        errors["code"] = _("A community's code has 12 digits.")
    elif parent is not None and not code.startswith(parent.code[:9]):
        errors["code"] = _("A community's code starts with its street's first 9 digits.")
    if errors:
        raise ValidationError(errors)
    fields = {"name": (name or "").strip(), "code": code, "parent": parent}
    return _create(
        actor=actor,
        model=Region,
        action="region.create",
        fields={**fields, "level": Region.Level.COMMUNITY},
    )


def region_update(*, actor, region: Region, **fields) -> Region:
    """Rename a community (its code and street stay)."""
    access_region_change(actor, region)
    return _update(
        actor=actor, obj=region, action="region.update", fields=fields, editable=REGION_EDITABLE
    )


def grid_create(*, actor, **fields) -> Grid:
    """Draw a new grid in a community; its 15-digit code must start with the community's code."""
    access_grid_create(actor)
    return _create(actor=actor, model=Grid, action="grid.create", fields=fields)


def grid_update(*, actor, grid: Grid, **fields) -> Grid:
    """Change a grid's name, kind, cap, boundary or validity (its code and community stay)."""
    access_grid_change(actor, grid)
    return _update(
        actor=actor, obj=grid, action="grid.update", fields=fields, editable=GRID_EDITABLE
    )


def micro_grid_create(*, actor, **fields) -> MicroGrid:
    """Add a micro-grid (a building or stairwell led by a volunteer) to a grid."""
    access_micro_grid_create(actor, fields.get("grid"))
    return _create(actor=actor, model=MicroGrid, action="micro_grid.create", fields=fields)


def building_create(*, actor, **fields) -> Building:
    """Add a building to a community (and, when known, its grid and micro-grid)."""
    access_building_create(actor)
    return _create(
        actor=actor,
        model=Building,
        action="building.create",
        fields=fields,
        placed_by=(access_building_create, "community"),
    )


def building_update(*, actor, building: Building, **fields) -> Building:
    """Change a building's name, address, position, grid or micro-grid (its community stays)."""
    access_building_change(actor, building)
    return _update(
        actor=actor,
        obj=building,
        action="building.update",
        fields=fields,
        editable=BUILDING_EDITABLE,
        placed_by=(access_building_change, "community"),
    )


def dwelling_create(*, actor, **fields) -> Dwelling:
    """Add a dwelling (unit and room) to a building."""
    access_dwelling_create(actor, fields.get("building"))
    return _create(actor=actor, model=Dwelling, action="dwelling.create", fields=fields)


def household_create(*, actor, **fields) -> Household:
    """Add a household; it must land in the writer's jurisdiction (its grid)."""
    access_household_create(actor)
    return _create(
        actor=actor,
        model=Household,
        action="household.create",
        fields=fields,
        placed_by=(access_household_create, "grid"),
    )


def household_update(*, actor, household: Household, **fields) -> Household:
    """Change a household; moved, it must stay in the writer's jurisdiction."""
    access_household_change(actor, household)
    return _update(
        actor=actor,
        obj=household,
        action="household.update",
        fields=fields,
        editable=HOUSEHOLD_EDITABLE,
        placed_by=(access_household_change, "grid"),
    )


def resident_tag_add(*, actor, resident: Resident, tag: TagDef, **fields) -> ResidentTag:
    """Put a tag on a resident; adding a tag the resident already has updates it instead."""
    access_resident_tag_add(actor, resident)
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
                editable=RESIDENT_TAG_EDITABLE,
            )
        return _create(
            actor=actor,
            model=ResidentTag,
            action="resident_tag.add",
            fields={"resident": resident, "tag": tag, **fields},
        )


def resident_tag_remove(*, actor, resident_tag: ResidentTag) -> None:
    """Take a tag off a resident (the audit trail keeps that it was there)."""
    access_resident_tag_remove(actor, resident_tag)
    with transaction.atomic():
        audit_record(actor=actor, action="resident_tag.remove", obj=resident_tag)
        resident_tag.delete()
