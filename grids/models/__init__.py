"""The registry's models, one module per concern; import them from here.

- areas: Region, Grid, MicroGrid
- staffing: GridAssignment and the object grants (region, grid, one shared resident)
- buildings: Building, Dwelling, Household
- residents: Resident, TagDef, ResidentTag
- visits: Visit, VisitNeed
- imports: ImportJob

Scope of every model here is decided in grids/querysets.py.
"""

from grids.models.areas import Grid, MicroGrid, Region
from grids.models.buildings import Building, Dwelling, Household
from grids.models.imports import ImportJob
from grids.models.residents import Resident, ResidentTag, TagDef
from grids.models.staffing import (
    GridAssignment,
    GridUserObjectPermission,
    RegionUserObjectPermission,
    ResidentUserObjectPermission,
)
from grids.models.visits import Visit, VisitNeed

__all__ = [
    "Building",
    "Dwelling",
    "Grid",
    "GridAssignment",
    "GridUserObjectPermission",
    "Household",
    "ImportJob",
    "MicroGrid",
    "Region",
    "RegionUserObjectPermission",
    "Resident",
    "ResidentTag",
    "ResidentUserObjectPermission",
    "TagDef",
    "Visit",
    "VisitNeed",
]
