"""Staffing: who works in which grid and community, and the grants that follow.

Each write opens with its gate (grids/policy.py). A handover is its own action with its own
gate (a community cadre may hand over a grid of their community without being allowed to
assign people at will), so it ends and starts posts through the private steps below, not
through the gated `grid_assign` / `grid_assignment_end`.
"""

from datetime import date, timedelta
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Grid, GridAssignment, Region, VisitNeed
from grids.policy import (
    access_grid_assign,
    access_grid_assignment_end,
    access_grid_assignments_expire,
    access_grid_handover,
    access_region_staff_grant,
    access_region_staff_revoke,
)
from portal.audit import audit_record
from portal.grants import jurisdiction_grant, jurisdiction_revoke

# How far back the daily expiry looks for assignments that ended (a missed day is caught up).
EXPIRE_LOOKBACK_DAYS = 31

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
    access_grid_assign(actor, grid)
    return _assign(actor=actor, person=person, grid=grid, post=post, start_date=start_date)


def _assign(*, actor, person, grid: Grid, post: str, start_date: date) -> GridAssignment:
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
    """End an assignment on `end_date`, its last day.

    The grid grant goes when the person holds no other post there that is still running: at
    once for a date already past, otherwise the day after `end_date` (the daily
    `grid_assignments_expire`) — an end announced ahead never takes access away early.
    """
    access_grid_assignment_end(actor, assignment)
    return _assignment_end(actor=actor, assignment=assignment, end_date=end_date)


def _assignment_end(*, actor, assignment: GridAssignment, end_date: date) -> GridAssignment:
    with transaction.atomic():
        assignment = GridAssignment.objects.select_for_update().get(pk=assignment.pk)
        assignment.end_date = end_date
        assignment.full_clean()
        assignment.save(update_fields=["end_date"])
        _revoke_if_over(actor=actor, assignment=assignment, today=timezone.localdate())
        audit_record(actor=actor, action="grid_assignment.end", obj=assignment)
    return assignment


def _revoke_if_over(*, actor, assignment: GridAssignment, today: date) -> bool:
    """Take the grid grant back once `assignment` is over (its end date before `today`) and the
    person holds no other post with access there that still runs today or later."""
    if assignment.end_date is None or assignment.end_date >= today:
        return False
    still_there = (
        GridAssignment.objects.filter(
            grid=assignment.grid_id, person=assignment.person_id, post__in=POSTS_WITH_ACCESS
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .exists()
    )
    if still_there:
        return False
    return jurisdiction_revoke(
        actor=actor, user=assignment.person, perm="grids.work_in_grid", obj=assignment.grid
    )


def grid_assignments_expire(*, actor=None, today: date | None = None) -> dict:
    """Take back the grid grants of assignments that ended before `today` (daily, by beat).

    Idempotent: a grant already gone is not revoked twice (nor audited twice). Only
    assignments that ended within the last EXPIRE_LOOKBACK_DAYS are looked at, so a day the
    beat missed is caught up the next day.
    """
    access_grid_assignments_expire(actor)
    today = today or timezone.localdate()
    ended = GridAssignment.objects.filter(
        post__in=POSTS_WITH_ACCESS,
        end_date__lt=today,
        end_date__gte=today - timedelta(days=EXPIRE_LOOKBACK_DAYS),
    ).select_related("grid", "person")
    revoked = 0
    for assignment in ended.order_by("pk"):
        with transaction.atomic():
            revoked += _revoke_if_over(actor=actor, assignment=assignment, today=today)
    return {"revoked": revoked}


def region_staff_grant(*, actor, person, region: Region) -> None:
    """Give a community cadre (or an integration) a community or a whole street as jurisdiction."""
    access_region_staff_grant(actor, region)
    jurisdiction_grant(actor=actor, user=person, perm="grids.work_in_region", obj=region)


def region_staff_revoke(*, actor, person, region: Region) -> bool:
    """Take a community (or the street) back from a community cadre or an integration.

    Returns whether the grant was held (revoking one not held changes nothing)."""
    access_region_staff_revoke(actor, region)
    return jurisdiction_revoke(actor=actor, user=person, perm="grids.work_in_region", obj=region)


class Handover(NamedTuple):
    """What a handover did: the assignments ended and started, and how many needs moved."""

    ended: list[GridAssignment]
    started: list[GridAssignment]
    needs_moved: int


def grid_handover(
    *, actor, grid: Grid, from_person, to_person, on_date: date, post: str | None = None
) -> Handover:
    """Hand a grid over from one worker to another in one step, keeping the history.

    In one transaction: `from_person`'s open assignment(s) on the grid (only those in `post`
    when given) end the day before `on_date` (taking the grid grant back); `to_person` takes
    the same post(s) from `on_date` (granting the grid), so on any day exactly one of them
    holds the post; and the open work moves: needs raised in visits to the grid's households, still open or
    referred and assigned to `from_person`, are assigned to `to_person` (one bulk update,
    audited with its count). Visits due need no moving: grids/cadence.py computes them per
    grid, so they follow the grant to the new worker.
    """
    access_grid_handover(actor, grid)
    errors = {}
    if to_person.pk == from_person.pk:
        errors["to_person"] = _("Choose someone other than the person handing over.")
    elif not to_person.is_active or not to_person.is_grid_staff:
        errors["to_person"] = _("Only an active grid worker or grid leader can take over a grid.")
    if on_date > timezone.localdate():
        errors["on_date"] = _("A handover cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        # One handover of a grid at a time; rows locked grid first, then assignments by id.
        Grid.objects.select_for_update().filter(pk=grid.pk).first()
        handing_over = GridAssignment.objects.select_for_update().filter(
            grid=grid, person=from_person, end_date__isnull=True
        )
        if post:
            handing_over = handing_over.filter(post=post)
        handing_over = list(handing_over.order_by("pk"))
        if not handing_over:
            raise ValidationError(
                {"from_person": _("This person holds no open post in this grid to hand over.")}
            )
        if any(on_date <= assignment.start_date for assignment in handing_over):
            raise ValidationError(
                {"on_date": _("The handover date must be after the day the current post began.")}
            )

        posts = list(dict.fromkeys(assignment.post for assignment in handing_over))
        ended = [
            _assignment_end(
                actor=actor, assignment=assignment, end_date=on_date - timedelta(days=1)
            )
            for assignment in handing_over
        ]
        started = [
            _assign(actor=actor, person=to_person, grid=grid, post=p, start_date=on_date)
            for p in posts
        ]
        needs_moved = VisitNeed.objects.filter(
            assignee=from_person,
            status__in=[VisitNeed.Status.OPEN, VisitNeed.Status.REFERRED],
            visit__household__grid=grid,
        ).update(assignee=to_person)
        audit_record(
            actor=actor,
            action="grid.handover",
            obj=grid,
            details={
                "from": from_person.username,
                "to": to_person.username,
                "posts": posts,
                "on": on_date.isoformat(),
                "needs_moved": needs_moved,
            },
        )
    return Handover(ended=ended, started=started, needs_moved=needs_moved)
