"""全覆盖、无死角 — full coverage as a computed fact, and every exception behind it.

Definitions (all taken on `today`, the local date; overdue is taken at `now`):

- A **current base grid** is a grid with `kind = base` whose validity contains today
  (`valid_from` empty or ≤ today, `valid_to` empty or ≥ today). A **current grid** is any grid
  (base or dedicated) valid today.
- A **building outside any base grid**: `building.grid` is empty, or its grid is not a current
  base grid (a dedicated grid, or a grid redrawn away). Counted in `building.community`.
- A **household outside any base grid**: `household.grid` is empty, or its grid is not a
  current base grid. A household belongs to its grid's community, or — with no grid — to the
  community of its dwelling's building. A household with neither grid nor dwelling belongs to
  no community: it is counted apart as *unlocated* (only street roles can see such rows).
- A **grid without a worker**: a current grid with no current `GridAssignment` (on today,
  `GridAssignment.objects.current(on=today)`) in post `full_time` or `part_time` held by an
  active account. A grid leader, instructor or micro-grid leader alone does not staff a grid:
  they supervise or volunteer, the grid worker (网格员) is the one who visits.
- A **grid over its cap**: a current grid holding more households than its `household_cap`.
- An **overdue resident**: a resident of a household placed in a grid of the scope, whom
  `grids.cadence.residents_overdue` says is overdue at `now`. Due dates are never computed
  here. Residents of households without a grid are not counted: their household is already an
  exception, and a visiting duty starts when it is placed in a grid.

A community (or the whole scope) has **full coverage** when all five counts are zero (and, for
the street, no household is unlocated).

Scope: every set starts from `visible_to(actor)`.
- street roles: every community; a community cadre: their communities; a grid worker or grid
  leader: the community rows of their grids, each count limited to their grids (that is what
  `visible_to` of buildings, households and grids gives them);
- households without a grid are not in `Household.visible_to` below street level, so they are
  reached through their dwelling (`Dwelling.objects.visible_to(actor)`): a community cadre sees
  the un-gridded households living in their community's buildings;
- a resident shared case by case (`grids.view_resident`) does not bring a community into the
  report: residents are counted through the grids of the scope;
- partner staff and Party officers hold no registry permission: the read gate
  `grids.policy.access_coverage_view` refuses them (the pages and API answer 403 for lists,
  404 for a community), and every function here answers an empty report.

Every function runs a fixed number of queries, whatever the number of communities or grids:
counts are grouped in the database (one query per kind), never one query per row.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.cadence import residents_overdue
from grids.models import Building, Dwelling, Grid, GridAssignment, Household, Region, Resident
from grids.policy import access_coverage_view
from grids.selectors import cadence_tag_holders
from portal.policy import allowed

# Exception kinds, as they appear in URLs (pages and API).
BUILDINGS = "buildings"
HOUSEHOLDS = "households"
NO_WORKER = "grids-without-worker"
OVER_CAP = "grids-over-cap"
OVERDUE = "overdue-residents"

KINDS = {
    BUILDINGS: _("Buildings outside any base grid"),
    HOUSEHOLDS: _("Households outside any base grid"),
    NO_WORKER: _("Grids without a worker"),
    OVER_CAP: _("Grids over their household cap"),
    OVERDUE: _("Residents overdue for a visit"),
}

# Each kind's count on a CommunityCoverage row.
KIND_FIELDS = {
    BUILDINGS: "buildings_outside",
    HOUSEHOLDS: "households_outside",
    NO_WORKER: "grids_without_worker",
    OVER_CAP: "grids_over_cap",
    OVERDUE: "overdue_residents",
}

# The posts that staff a grid: the grid workers who visit.
WORKER_POSTS = (GridAssignment.Post.FULL_TIME, GridAssignment.Post.PART_TIME)

# Grid colours on the map (Bootstrap's success / warning / danger).
COVERED, OVER_CAP_STATUS, UNCOVERED = "covered", "over_cap", "uncovered"
STATUS_COLOURS = {COVERED: "#198754", OVER_CAP_STATUS: "#ffc107", UNCOVERED: "#dc3545"}
STATUS_LABELS = {
    COVERED: _("Covered"),
    OVER_CAP_STATUS: _("Over its household cap"),
    UNCOVERED: _("No worker, or residents overdue"),
}


@dataclass(frozen=True)
class CommunityCoverage:
    """One community's row of the report."""

    community: Region
    grids: int = 0
    households: int = 0
    buildings_outside: int = 0
    households_outside: int = 0
    grids_without_worker: int = 0
    grids_over_cap: int = 0
    overdue_residents: int = 0

    def count(self, kind: str) -> int:
        return getattr(self, KIND_FIELDS[kind])

    @property
    def exceptions(self) -> int:
        return sum(self.count(kind) for kind in KINDS)

    @property
    def covered(self) -> bool:
        return self.exceptions == 0


@dataclass(frozen=True)
class CoverageSummary:
    """The report for one actor: rows per community and households in no community at all."""

    today: date
    rows: list[CommunityCoverage] = field(default_factory=list)
    unlocated_households: int = 0

    @property
    def exceptions(self) -> int:
        return sum(row.exceptions for row in self.rows) + self.unlocated_households

    @property
    def covered(self) -> bool | None:
        """True: 全覆盖; False: at least one exception; None: nothing in the scope to judge."""
        if not self.rows and not self.unlocated_households:
            return None
        return self.exceptions == 0

    def total(self, kind: str) -> int:
        return sum(row.count(kind) for row in self.rows)


@dataclass(frozen=True)
class GridCoverage:
    """One current grid on the map: its load, its workers, its overdue residents, its colour."""

    grid: Grid
    households: int
    workers: list[str]
    overdue: int

    @property
    def has_worker(self) -> bool:
        return bool(self.workers)

    @property
    def over_cap(self) -> bool:
        return self.households > self.grid.household_cap

    @property
    def status(self) -> str:
        if not self.has_worker or self.overdue:
            return UNCOVERED
        if self.over_cap:
            return OVER_CAP_STATUS
        return COVERED

    @property
    def colour(self) -> str:
        return STATUS_COLOURS[self.status]


# --- Scope ---------------------------------------------------------------------------------


def coverage_communities(*, actor) -> QuerySet:
    """Communities that get a row: those of the actor's jurisdiction (and of their grids)."""
    return Region.objects.visible_to(actor).filter(level=Region.Level.COMMUNITY).order_by("code")


def _scope_grids(actor) -> QuerySet:
    return Grid.objects.visible_to(actor)


def _scope_households(actor) -> QuerySet:
    """Households of the report: visible ones, and un-gridded ones living in visible dwellings."""
    if actor.is_superuser or actor.is_street_staff:
        return Household.objects.visible_to(actor)
    visible = Household.objects.visible_to(actor).values("pk")
    dwellings = Dwelling.objects.visible_to(actor).values("pk")
    return Household.objects.filter(
        Q(pk__in=visible) | Q(grid__isnull=True, dwelling__in=dwellings)
    )


def _scope_overdue(actor, now) -> QuerySet:
    """Overdue residents of households in the scope's grids (not cases shared one by one).
    Due dates are computed for the holders of a cadence tag only (`cadence_tag_holders`)."""
    holders = cadence_tag_holders(on=timezone.localtime(now).date())
    residents = Resident.objects.visible_to(actor).filter(pk__in=holders)
    if actor.is_superuser or actor.is_street_staff:
        residents = residents.filter(household__grid__isnull=False)
    else:
        residents = residents.filter(household__grid__in=_scope_grids(actor))
    return residents_overdue(residents, now=now)


# --- Predicates ----------------------------------------------------------------------------


def grid_current_q(today: date, prefix: str = "") -> Q:
    """Grids (reached by `prefix`, e.g. "grid__") valid on `today`."""
    return (
        Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": today})
    ) & (Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": today}))


def outside_base_grid_q(today: date) -> Q:
    """Buildings or households (both have `grid`) not in a current base grid."""
    return (
        Q(grid__isnull=True)
        | ~Q(grid__kind=Grid.Kind.BASE)
        | Q(grid__valid_from__gt=today)
        | Q(grid__valid_to__lt=today)
    )


def outside_reason(grid: Grid | None, today: date) -> str:
    """Why a building or household with this grid lies outside every current base grid."""
    if grid is None:
        return str(_("No grid"))
    if grid.kind != Grid.Kind.BASE:
        return str(_("In a dedicated grid: %(grid)s") % {"grid": grid.name})
    if (grid.valid_from and grid.valid_from > today) or (grid.valid_to and grid.valid_to < today):
        return str(_("Grid not valid today: %(grid)s") % {"grid": grid.name})
    return ""


def _household_community():
    return Coalesce(F("grid__community"), F("dwelling__building__community"))


def _has_worker(today: date):
    return Exists(
        GridAssignment.objects.current(on=today).filter(
            grid=OuterRef("pk"), post__in=WORKER_POSTS, person__is_active=True
        )
    )


def _household_count():
    counts = (
        Household.objects.filter(grid=OuterRef("pk"))
        .order_by()
        .values("grid")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def _current_grids(actor, today: date) -> QuerySet:
    return (
        _scope_grids(actor)
        .filter(grid_current_q(today))
        .annotate(has_worker=_has_worker(today), household_count=_household_count())
    )


def _now_and_today(today, now):
    now = now or timezone.now()
    return (today or timezone.localdate(now)), now


# --- The report ----------------------------------------------------------------------------


def coverage_summary(
    *, actor, today: date | None = None, now=None, community: Region | None = None
) -> CoverageSummary:
    """Rows per community in the actor's scope (or just `community`), with the five counts.

    Five queries in all: the communities, then one grouped count per source (grids,
    buildings, households, overdue residents).
    """
    today, now = _now_and_today(today, now)
    if not allowed(access_coverage_view, actor):
        return CoverageSummary(today=today)
    communities = coverage_communities(actor=actor)
    grids = _current_grids(actor, today)
    buildings = Building.objects.visible_to(actor).filter(outside_base_grid_q(today))
    households = _scope_households(actor).annotate(community=_household_community())
    overdue = _scope_overdue(actor, now)
    if community is not None:
        communities = communities.filter(pk=community.pk)
        grids = grids.filter(community=community)
        buildings = buildings.filter(community=community)
        households = households.filter(community=community.pk)
        overdue = overdue.filter(household__grid__community=community)
    communities = list(communities)
    counts: dict[int | None, dict[str, int]] = {c.pk: {} for c in communities}

    def merge(rows, **names):
        for row in rows:
            target = counts.get(row["community"])
            if target is None and row["community"] is None:
                target = counts.setdefault(None, {})
            if target is not None:
                for key, name in names.items():
                    target[name] = target.get(name, 0) + row[key]

    merge(
        grids.order_by()
        .values("community")
        .annotate(
            n=Count("pk"),
            no_worker=Count("pk", filter=Q(has_worker=False)),
            over_cap=Count("pk", filter=Q(household_count__gt=F("household_cap"))),
        ),
        n="grids",
        no_worker="grids_without_worker",
        over_cap="grids_over_cap",
    )
    merge(
        buildings.order_by().values("community").annotate(n=Count("pk")),
        n="buildings_outside",
    )
    merge(
        households.order_by()
        .values("community")
        .annotate(n=Count("pk"), outside=Count("pk", filter=outside_base_grid_q(today))),
        n="households",
        outside="households_outside",
    )
    merge(
        overdue.order_by()
        .values(community=F("household__grid__community"))
        .annotate(n=Count("pk")),
        n="overdue_residents",
    )
    rows = [CommunityCoverage(community=c, **counts[c.pk]) for c in communities]
    unlocated = counts.get(None, {}).get("households_outside", 0)
    return CoverageSummary(today=today, rows=rows, unlocated_households=unlocated)


def coverage_row(*, actor, community: Region, today: date | None = None, now=None):
    """The row of one community (None when it is not in the actor's scope)."""
    summary = coverage_summary(actor=actor, today=today, now=now, community=community)
    return summary.rows[0] if summary.rows else None


def coverage_exceptions(
    *, actor, community: Region | None, kind: str, today: date | None = None, now=None
) -> QuerySet:
    """The objects behind one count of one community, in the actor's scope.

    `community=None` with kind `households` lists the unlocated households (no grid, no
    dwelling). Buildings and households come with their grid, grids with `household_count`,
    residents with the cadence annotations (`due_at`, `last_visit_at`...), most overdue first.
    """
    today, now = _now_and_today(today, now)
    if kind not in KINDS:
        raise ValueError(f"unknown coverage kind {kind!r}")
    if community is None:
        if kind != HOUSEHOLDS:
            raise ValueError("only households can lie outside every community")
        return (
            _scope_households(actor)
            .filter(grid__isnull=True, dwelling__isnull=True)
            .select_related("head")
            .order_by("number")
        )
    if kind == BUILDINGS:
        return (
            Building.objects.visible_to(actor)
            .filter(outside_base_grid_q(today), community=community)
            .select_related("grid")
            .order_by("name", "pk")
        )
    if kind == HOUSEHOLDS:
        return (
            _scope_households(actor)
            .annotate(community=_household_community())
            .filter(outside_base_grid_q(today), community=community.pk)
            .select_related("grid", "dwelling__building", "head")
            .order_by("number")
        )
    grids = _current_grids(actor, today).filter(community=community).order_by("code")
    if kind == NO_WORKER:
        return grids.filter(has_worker=False).prefetch_related(_current_staff(today))
    if kind == OVER_CAP:
        return grids.filter(household_count__gt=F("household_cap")).prefetch_related(
            _current_staff(today)
        )
    return (
        _scope_overdue(actor, now)
        .filter(household__grid__community=community)
        .select_related("household__grid")
    )


def _current_staff(today: date) -> Prefetch:
    return Prefetch(
        "assignments",
        queryset=GridAssignment.objects.current(on=today)
        .filter(person__is_active=True)
        .select_related("person")
        .order_by("post", "person__full_name"),
        to_attr="current_staff",
    )


def coverage_grids(
    *, actor, community: Region | None = None, today: date | None = None, now=None
) -> list[GridCoverage]:
    """Current grids of the scope (optionally one community) with load, workers and overdue.

    Three queries: the grids with their household counts, their current staff, and the overdue
    residents grouped by grid.
    """
    today, now = _now_and_today(today, now)
    if not allowed(access_coverage_view, actor):
        return []
    grids = _current_grids(actor, today).select_related("community").order_by("code")
    overdue = _scope_overdue(actor, now)
    if community is not None:
        grids = grids.filter(community=community)
        overdue = overdue.filter(household__grid__community=community)
    grids = list(grids.prefetch_related(_current_staff(today)))
    overdue_by_grid = dict(
        overdue.order_by()
        .values("household__grid")
        .annotate(n=Count("pk"))
        .values_list("household__grid", "n")
    )
    return [
        GridCoverage(
            grid=grid,
            households=grid.household_count,
            workers=[
                a.person.get_full_name() for a in grid.current_staff if a.post in WORKER_POSTS
            ],
            overdue=overdue_by_grid.get(grid.pk, 0),
        )
        for grid in grids
    ]


def grid_boundary(grid: Grid) -> dict | None:
    """The grid's boundary when it is a usable GeoJSON Polygon or MultiPolygon, else None."""
    boundary = grid.boundary
    if (
        isinstance(boundary, dict)
        and boundary.get("type") in ("Polygon", "MultiPolygon")
        and isinstance(boundary.get("coordinates"), list)
        and boundary["coordinates"]
    ):
        return {"type": boundary["type"], "coordinates": boundary["coordinates"]}
    return None


def coverage_geojson(*, actor, community: Region | None = None, today=None, now=None) -> dict:
    """A GeoJSON FeatureCollection of the current grids with a boundary, coloured by coverage.

    Grids without a usable boundary are listed by name in `grids_without_boundary`.
    """
    features, missing = [], []
    for item in coverage_grids(actor=actor, community=community, today=today, now=now):
        geometry = grid_boundary(item.grid)
        if geometry is None:
            missing.append(item.grid.name)
            continue
        features.append(
            {
                "type": "Feature",
                "id": item.grid.pk,
                "geometry": geometry,
                "properties": {
                    "id": item.grid.pk,
                    "code": item.grid.code,
                    "name": item.grid.name,
                    "kind": item.grid.kind,
                    "kind_label": str(item.grid.get_kind_display()),
                    "community": item.grid.community.name,
                    "households": item.households,
                    "household_cap": item.grid.household_cap,
                    "workers": item.workers,
                    "overdue": item.overdue,
                    "status": item.status,
                    "status_label": str(STATUS_LABELS[item.status]),
                    "colour": item.colour,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features, "grids_without_boundary": missing}


__all__ = [
    "BUILDINGS",
    "HOUSEHOLDS",
    "KINDS",
    "NO_WORKER",
    "OVERDUE",
    "OVER_CAP",
    "CommunityCoverage",
    "CoverageSummary",
    "GridCoverage",
    "coverage_communities",
    "coverage_exceptions",
    "coverage_geojson",
    "coverage_grids",
    "coverage_row",
    "coverage_summary",
    "grid_boundary",
    "grid_current_q",
    "outside_base_grid_q",
    "outside_reason",
]
