"""Who may do what in the registry — the one place each action's permission is decided.

One gate per action, `access_<entity>_<verb>(actor, obj=None)`, one condition per line; each
returns None or raises PermissionDenied (portal/policy.py). Every write in grids/writes/ calls
its gate on its first line; pages ask `portal.policy.allowed(gate, user, obj)` which forms and
buttons to offer; views, APIs and tasks decide nothing themselves.

The conditions are the role's model permission (portal/roles.py, registered in grids/apps.py)
and the object's scope for that action (`visible_to(actor, action)`, grids/querysets.py). A
gate called without an object answers "may this actor do this at all?" (a page's "add"
button); with the object, whether they may do it to that one.

The writes that place a row somewhere (a household in a grid, a resident in a household) ask
their gate a second time with the written row, inside the same transaction: a row that would
land outside the writer's jurisdiction is refused and nothing is written.

`actor=None` is the system — the demo loader, management commands, tests setting the scene —
which sets up the registry and its staffing: the gates of those writes let it through. Filing a
visit is never the system's work (a visit has a visitor).

Read gates (`access_<entity>_list`) decide whether a role may read a list at all: 403 for a
role without the permission; an empty scope is an empty list, not a 403.
"""

from grids.models import (
    Building,
    Grid,
    GridAssignment,
    Household,
    Region,
    Resident,
    ResidentTag,
    VisitNeed,
)
from grids.querysets import granted_communities
from portal.policy import deny_unless, require_active, require_in_scope, require_perm

# --- Lists (read gates) ------------------------------------------------------------------------


def access_grid_list(actor, obj=None) -> None:
    require_perm(actor, "grids.view_grid")


def access_building_list(actor, obj=None) -> None:
    require_perm(actor, "grids.view_building")


def access_household_list(actor, obj=None) -> None:
    require_perm(actor, "grids.view_household")


def access_resident_list(actor, obj=None) -> None:
    """The resident list, its search and its export."""
    require_perm(actor, "grids.view_resident")


def access_visit_list(actor, obj=None) -> None:
    require_perm(actor, "grids.view_visit")


def access_visits_due_list(actor, obj=None) -> None:
    """Who is due for a visit: a list for those who file visits."""
    require_perm(actor, "grids.add_visit")


def access_coverage_view(actor, obj=None) -> None:
    """The coverage report and map: registry roles (partners and Party officers hold none)."""
    require_perm(actor, "grids.view_grid")


# --- Grids and micro-grids ---------------------------------------------------------------------


def access_region_create(actor, obj=None) -> None:
    """Add a community to the street: street roles (`grids.add_region`)."""
    if actor is None:
        return  # the system: the demo street, the district generator
    require_perm(actor, "grids.add_region")


def access_region_change(actor, region: Region) -> None:
    """Rename a community: street roles (`grids.change_region`) — whose scope is the street."""
    if actor is None:
        return  # the system
    require_perm(actor, "grids.change_region")
    deny_unless(actor.is_superuser or actor.is_street_staff)


def access_grid_create(actor, obj=None) -> None:
    """Draw a grid: street roles (`grids.add_grid`), whose jurisdiction is the whole street."""
    if actor is None:
        return  # the system: the demo street, the district generator
    require_perm(actor, "grids.add_grid")


def access_grid_change(actor, grid: Grid) -> None:
    """Change a grid: the role's change permission, on a grid of its jurisdiction."""
    if actor is None:
        return  # the system
    require_in_scope(actor, Grid.objects, grid, "change")


def access_micro_grid_create(actor, grid: Grid | None = None) -> None:
    """Add a micro-grid to a grid the actor sees."""
    if actor is None:
        return  # the system
    require_perm(actor, "grids.add_microgrid")
    if grid is not None:
        require_in_scope(actor, Grid.objects, grid, "view")


# --- Buildings, dwellings, households ----------------------------------------------------------


def access_building_create(actor, building: Building | None = None) -> None:
    """Add a building: street roles and community cadres; the building in their jurisdiction."""
    if actor is None:
        return  # the system
    require_perm(actor, "grids.add_building")
    if building is not None:
        require_in_scope(actor, Building.objects, building, "add")


def access_building_change(actor, building: Building) -> None:
    if actor is None:
        return  # the system
    require_in_scope(actor, Building.objects, building, "change")


def access_dwelling_create(actor, building: Building | None = None) -> None:
    """Add a dwelling (a flat, a room) to a building the actor sees."""
    if actor is None:
        return  # the system
    require_perm(actor, "grids.add_dwelling")
    if building is not None:
        require_in_scope(actor, Building.objects, building, "view")


def access_household_create(actor, household: Household | None = None) -> None:
    """Add a household; it must lie in the actor's jurisdiction (its grid, or its building's
    community when it has no grid)."""
    if actor is None:
        return  # the system: the demo street, the spreadsheet import's own checks
    require_perm(actor, "grids.add_household")
    if household is not None:
        require_in_scope(actor, Household.objects, household, "add")


def access_household_change(actor, household: Household) -> None:
    if actor is None:
        return  # the system
    require_in_scope(actor, Household.objects, household, "change")


# --- Residents and their tags ------------------------------------------------------------------


def access_resident_create(actor, resident: Resident | None = None) -> None:
    """Register a resident, in a household of the actor's jurisdiction."""
    if actor is None:
        return  # the system
    require_perm(actor, "grids.add_resident")
    if resident is not None:
        require_in_scope(actor, Resident.objects, resident, "add")


def access_resident_change(actor, resident: Resident) -> None:
    """Correct a resident: in the actor's jurisdiction, or a case shared with them for change
    (a plain share is for viewing only: ResidentQuerySet.visible_to)."""
    if actor is None:
        return  # the system
    require_in_scope(actor, Resident.objects, resident, "change")


def access_resident_delete(actor, resident: Resident) -> None:
    """Delete a resident entered by mistake: the street administrator (`grids.delete_resident`)."""
    if actor is None:
        return  # the system
    require_in_scope(actor, Resident.objects, resident, "delete")


def access_resident_share(actor, resident: Resident) -> None:
    """Share one case with one person: a cadre (street or community) who may change the case."""
    if actor is None:
        return  # the system
    require_in_scope(actor, Resident.objects, resident, "change")
    deny_unless(actor.is_superuser or actor.is_street_staff or actor.is_community_cadre)


def access_resident_view(actor, resident: Resident) -> None:
    """Open a resident's file: a resident in the actor's scope (the read is audited)."""
    if actor is None:
        return  # the system
    require_in_scope(actor, Resident.objects, resident, "view")


def access_resident_file_audit_view(actor, resident: Resident | None = None) -> None:
    """See who opened a resident's file (the read audit): the street administrator."""
    require_active(actor)
    deny_unless(actor.is_superuser or actor.is_street_admin)


def access_resident_tag_add(actor, resident: Resident | None = None) -> None:
    """Tag a resident (or change the tag they have): the role's permission, on a resident the
    actor may change."""
    if actor is None:
        return  # the system
    require_perm(actor, "grids.add_residenttag")
    if resident is not None:
        require_in_scope(actor, Resident.objects, resident, "change")


def access_resident_tag_remove(actor, resident_tag: ResidentTag | None = None) -> None:
    """Take a tag off: removing a tag changes the resident's record (`change_residenttag`)."""
    if actor is None:
        return  # the system
    require_perm(actor, "grids.change_residenttag")
    if resident_tag is not None:
        require_in_scope(actor, ResidentTag.objects, resident_tag, "change")
        # A case shared for viewing only is not theirs to change (ResidentQuerySet.visible_to).
        require_in_scope(actor, Resident.objects, resident_tag.resident, "change")


# --- Staffing ----------------------------------------------------------------------------------


def access_grid_assign(actor, obj=None) -> None:
    """Put a person on a grid: street roles (`grids.add_gridassignment`), any grid of the
    street. A community cadre moves people only by handing a grid over."""
    if actor is None:
        return  # the system: the demo street, tests setting up their staff
    require_perm(actor, "grids.add_gridassignment")


def access_grid_assignment_end(actor, assignment: GridAssignment) -> None:
    if actor is None:
        return  # the system
    require_in_scope(actor, GridAssignment.objects, assignment, "change")


def access_grid_assignments_expire(actor, obj=None) -> None:
    """Take back the grants of ended assignments: the system's daily work (beat), or a street
    role that may end assignments anywhere."""
    if actor is None:
        return  # the system: the daily task
    require_perm(actor, "grids.change_gridassignment")
    deny_unless(actor.is_superuser or actor.is_street_staff)


def access_grid_handover(actor, grid: Grid) -> None:
    """Hand a grid over: street roles for any grid, a community cadre for the grids of their
    own communities. Grid leaders and workers do not hand over their own grid."""
    if actor is None:
        return  # the system
    require_active(actor)
    if actor.is_superuser or actor.is_street_staff:
        return
    deny_unless(actor.is_community_cadre)
    deny_unless(granted_communities(actor).filter(pk=grid.community_id).exists())


def access_region_staff_grant(actor, region: Region) -> None:
    """Give someone a community or the street as jurisdiction: street roles, like assigning."""
    if actor is None:
        return  # the system: the demo street, tests, the integration set-up
    require_in_scope(actor, Region.objects, region, "change")


def access_region_staff_revoke(actor, region: Region) -> None:
    """Take a community or the street back from someone: whoever may give it."""
    if actor is None:
        return  # the system
    require_in_scope(actor, Region.objects, region, "change")


# --- Visits ------------------------------------------------------------------------------------


def access_visit_record(actor, household: Household | None = None) -> None:
    """File a visit: the role's permission, to a household the actor sees (never the system:
    a visit has a visitor)."""
    require_perm(actor, "grids.add_visit")
    if household is not None:
        require_in_scope(actor, Household.objects, household, "view")


def access_visit_need_set_status(actor, need: VisitNeed) -> None:
    """Mark a need referred, resolved or closed: someone who may change it (its grid's staff,
    its assignee, cadres above them)."""
    if actor is None:
        return  # the system
    require_in_scope(actor, VisitNeed.objects, need, "change")


# --- Imports -----------------------------------------------------------------------------------


def access_import_job_list(actor, obj=None) -> None:
    """The list of import jobs: roles that import see their own (street roles everyone's)."""
    require_perm(actor, "grids.view_importjob")


def access_import_job_create(actor, obj=None) -> None:
    """Upload a spreadsheet (and see the upload page, its template and its layout): street roles
    and community cadres. What a file may touch is the uploader's scope, checked row by row."""
    require_perm(actor, "grids.add_importjob")


def access_import_job_check(actor, job) -> None:
    """The dry run of a job: it runs as the uploader, during the upload or queued."""
    if actor is None:
        return  # the system: a worker checks a queued job, as its uploader
    deny_unless(job.uploaded_by_id == actor.pk)


def access_import_job_sweep(actor, obj=None) -> None:
    """Fail the jobs whose worker went away, queue again the ones never started: the system's
    (beat's) work only."""
    deny_unless(actor is None)


def access_import_job_commit(actor, job) -> None:
    """Import a checked file: only the person who uploaded it (the rows are written in their
    scope), while they may still import."""
    if actor is None:
        return  # the system: a worker commits a job its uploader started
    require_perm(actor, "grids.change_importjob")
    deny_unless(job.uploaded_by_id == actor.pk)
