"""`grids.selectors.cadence_tag_holders`: the residents whose due dates are worth computing.

The reminder sweep, the coverage report and the due list narrow their residents to these before
grids.cadence computes due dates row by row (at a million residents, a fifth hold such a tag).
The narrowing must never drop anyone grids.cadence would keep, nor keep anyone it drops.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from grids.cadence import residents_overdue
from grids.coverage import coverage_summary
from grids.models import Resident, ResidentTag, TagDef
from grids.reminders import visit_reminders_send
from grids.selectors import cadence_tag_holders, visits_due_list
from tests.grids.factories import HouseholdFactory, ResidentFactory, TagDefFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 11, 28, 10, 0))
TODAY = timezone.localtime(NOW).date()


@pytest.fixture
def age_band(db):
    """A tag that says who someone is but sets no cadence (tier `none`, like 60+)."""
    return TagDefFactory(
        code="t_age", name="60岁以上", group=TagDef.Group.ELDERLY, visit_tier=TagDef.Tier.NONE
    )


@pytest.fixture
def residents(grid_a, key_tag, age_band):
    """Five residents of grid_a, all registered 60 days ago and never visited: one holds a
    current key-tier tag, the others a tier-none tag, an expired one, one not yet in force,
    or none at all. Only the first is on a cadence (and overdue)."""
    household = HouseholdFactory(grid=grid_a)
    people = {
        name: ResidentFactory(name=name, household=household)
        for name in ("当前", "无周期", "已过期", "未生效", "无标签")
    }
    ResidentTag.objects.create(resident=people["当前"], tag=key_tag)
    ResidentTag.objects.create(resident=people["无周期"], tag=age_band)
    ResidentTag.objects.create(
        resident=people["已过期"], tag=key_tag, valid_to=TODAY - timedelta(days=1)
    )
    ResidentTag.objects.create(
        resident=people["未生效"], tag=key_tag, valid_from=TODAY + timedelta(days=1)
    )
    Resident.objects.update(created_at=NOW - timedelta(days=60))
    return people


def test_holders_are_the_residents_with_a_current_tag_of_a_visiting_tier(residents):
    holders = Resident.objects.filter(pk__in=cadence_tag_holders(on=TODAY))

    assert set(holders.values_list("name", flat=True)) == {"当前"}
    # exactly the residents grids.cadence puts on a cadence
    assert set(holders) == set(residents_overdue(Resident.objects.all(), now=NOW))


def test_the_sweep_reminds_only_the_resident_on_a_cadence(residents, grid_worker):
    assert visit_reminders_send(now=NOW) == {"overdue": 1, "worker": 1, "leader": 0, "community": 0}


def test_coverage_and_due_list_count_only_the_resident_on_a_cadence(
    residents, grid_a, street_admin, grid_worker
):
    rows = coverage_summary(actor=street_admin, now=NOW).rows
    assert {row.community: row.overdue_residents for row in rows}[grid_a.community] == 1
    due = visits_due_list(actor=grid_worker, now=NOW)
    assert [resident.name for resident in due] == ["当前"]
    assert due[0].is_overdue
