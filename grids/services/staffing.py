"""Staffing: who works in which grid and community, and the grants that follow."""

from datetime import date

from django.db import transaction

from grids.models import Grid, GridAssignment, Region
from portal.audit import audit_record
from portal.services import jurisdiction_grant, jurisdiction_revoke

# Posts that give their holder the grid as jurisdiction (instructors and micro-grid leaders
# are volunteers or supervisors without access to the registry).
POSTS_WITH_ACCESS = {
    GridAssignment.Post.LEADER,
    GridAssignment.Post.FULL_TIME,
    GridAssignment.Post.PART_TIME,
}


def grid_assign(*, actor, person, grid: Grid, post: str, start_date: date) -> GridAssignment:
    """Put `person` on `grid` in `post` from `start_date`, granting the grid when the post has access.

    Assigning the same person to the same grid and post again returns the open assignment.
    """
    with transaction.atomic():
        existing = GridAssignment.objects.filter(
            grid=grid, person=person, post=post, end_date__isnull=True
        ).first()
        if existing is not None:
            return existing
        assignment = GridAssignment(grid=grid, person=person, post=post, start_date=start_date)
        assignment.full_clean()
        assignment.save()
        if post in POSTS_WITH_ACCESS:
            jurisdiction_grant(actor=actor, user=person, perm="grids.work_in_grid", obj=grid)
        audit_record(actor=actor, action="grid_assignment.create", obj=assignment)
    return assignment


def grid_assignment_end(*, actor, assignment: GridAssignment, end_date: date) -> GridAssignment:
    """End an assignment; the grid grant goes when the person holds no other open post there."""
    with transaction.atomic():
        assignment = GridAssignment.objects.select_for_update().get(pk=assignment.pk)
        assignment.end_date = end_date
        assignment.full_clean()
        assignment.save(update_fields=["end_date"])
        still_there = GridAssignment.objects.filter(
            grid=assignment.grid_id,
            person=assignment.person_id,
            end_date__isnull=True,
            post__in=POSTS_WITH_ACCESS,
        ).exists()
        if not still_there:
            jurisdiction_revoke(
                actor=actor, user=assignment.person, perm="grids.work_in_grid", obj=assignment.grid
            )
        audit_record(actor=actor, action="grid_assignment.end", obj=assignment)
    return assignment


def region_staff_grant(*, actor, person, region: Region) -> None:
    """Give a community cadre (or an integration) a community or a whole street as jurisdiction."""
    jurisdiction_grant(actor=actor, user=person, perm="grids.work_in_region", obj=region)
