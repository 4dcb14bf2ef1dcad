"""Helpers for the tests of the tables that carry a copy of their resident's jurisdiction
(`scope_grid`, `scope_community`: residents, referrals, deliveries): what the copy holds, who
sees the rows, who would see them the slow way, and a grid worker to look with."""

from datetime import date

from grids import writes as grid_writes
from grids.models import Resident
from portal.roles import Role
from tests.portal.factories import UserFactory


def scope_columns(row) -> tuple:
    """The row's (scope_grid, scope_community) as the database holds them now."""
    return tuple(
        type(row).objects.filter(pk=row.pk).values_list("scope_grid", "scope_community").get()
    )


def visible_ids(model, user) -> set[int]:
    return set(model.objects.visible_to(user).values_list("pk", flat=True))


def through_residents(model, user) -> set[int]:
    """The rows of `model` whose resident the user sees: the slow way the copy replaces."""
    residents = Resident.objects.visible_to(user).values("pk")
    return set(model.objects.filter(resident__in=residents).values_list("pk", flat=True))


def grid_worker_of(street_admin, grid):
    """A new grid worker assigned to `grid` since 2025."""
    worker = UserFactory(role=Role.GRID_WORKER)
    grid_writes.grid_assign(
        actor=street_admin, person=worker, grid=grid, post="full_time", start_date=date(2025, 1, 1)
    )
    return worker
