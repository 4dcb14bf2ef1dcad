"""Writes of the registry, one module per concern; import them from here.

Each opens with its gate (grids/policy.py); all are atomic, validated with full_clean(),
audited, with keyword-only arguments.
"""

from grids.writes.registry import (
    building_create,
    building_update,
    dwelling_create,
    grid_create,
    grid_update,
    household_create,
    household_update,
    micro_grid_create,
    region_create,
    region_update,
    resident_tag_add,
    resident_tag_remove,
)
from grids.writes.residents import (
    RESIDENT_EDITABLE,
    resident_create,
    resident_delete,
    resident_share,
    resident_update,
)
from grids.writes.staffing import (
    POSTS_WITH_ACCESS,
    grid_assign,
    grid_assignment_end,
    grid_assignments_expire,
    grid_handover,
    region_staff_grant,
    region_staff_revoke,
)
from grids.writes.visits import visit_need_set_status, visit_record

__all__ = [
    "POSTS_WITH_ACCESS",
    "RESIDENT_EDITABLE",
    "building_create",
    "building_update",
    "dwelling_create",
    "grid_assign",
    "grid_assignment_end",
    "grid_assignments_expire",
    "grid_create",
    "grid_handover",
    "grid_update",
    "household_create",
    "household_update",
    "micro_grid_create",
    "region_create",
    "region_staff_grant",
    "region_staff_revoke",
    "region_update",
    "resident_create",
    "resident_delete",
    "resident_share",
    "resident_tag_add",
    "resident_tag_remove",
    "resident_update",
    "visit_need_set_status",
    "visit_record",
]
