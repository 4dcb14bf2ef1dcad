"""What the commit checks again (grids.imports.CheckedBefore): everything the database decides,
always; the model's validation of a new resident only when the dry run did not already pass
that very row as a new resident on the same day."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from grids.imports import CheckedBefore, rows_bitmap
from grids.models import ImportJob, Resident
from grids.writes.imports import import_job_commit_start, import_job_create
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.grids.test_import import _csv, _errors, _id, _row

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_INLINE_ROWS = 1_000


@pytest.fixture
def validated():
    """The residents put through Resident.full_clean, by name."""
    names = []
    original = Resident.full_clean

    def spy(self, *args, **kwargs):
        names.append(self.name)
        return original(self, *args, **kwargs)

    with mock.patch.object(Resident, "full_clean", spy):
        yield names


def _checked(actor, rows) -> ImportJob:
    job = import_job_create(actor=actor, uploaded_file=_csv(rows))
    assert job.report["errors"] == []
    return job


def test_the_bitmap_holds_exactly_the_rows_given():
    rows = {2, 3, 9, 100, 1001}
    checked = CheckedBefore.from_report(
        {"checked": {"on": "2026-12-05", "new_resident_rows": rows_bitmap(rows)}}
    )
    assert {n for n in range(1200) if checked.new_resident(n)} == rows
    assert not checked.new_resident(10**6)


@pytest.mark.parametrize(
    "checked",
    [None, {}, {"on": "yesterday", "new_resident_rows": ""}, {"on": "2026-12-05"}],
)
def test_a_report_without_a_readable_check_means_check_everything(checked):
    assert CheckedBefore.from_report({"checked": checked}) is None


def test_the_same_day_commit_does_not_validate_the_new_residents_twice(
    community_cadre, grid_a, validated
):
    rows = [_row(grid_a, n) for n in range(4)]
    job = _checked(community_cadre, rows)
    assert sorted(validated) == [f"导入居民{n}" for n in range(4)]  # the dry run
    validated.clear()
    job = import_job_commit_start(actor=community_cadre, job=job)
    assert job.status == ImportJob.Status.COMMITTED
    assert validated == []
    assert Resident.objects.count() == 4
    assert "checked" not in job.report  # the committed job keeps counts and errors only


def test_a_commit_on_a_later_day_validates_every_row_again(community_cadre, grid_a, validated):
    job = _checked(community_cadre, [_row(grid_a, n) for n in range(3)])
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    job.report["checked"]["on"] = yesterday
    job.save(update_fields=["report"])
    validated.clear()
    assert import_job_commit_start(actor=community_cadre, job=job).status == "committed"
    assert sorted(validated) == [f"导入居民{n}" for n in range(3)]


def test_a_row_that_was_an_update_in_the_dry_run_and_is_new_now_is_validated(
    community_cadre, grid_a, validated
):
    """The dry run saw the resident of row 2 in the registry (unchanged: not validated); it was
    removed before the commit, so the commit creates it — and validates it."""
    existing = ResidentFactory(
        household=HouseholdFactory(grid=grid_a, number="IMP-0000"), id_number=_id(0)
    )
    rows = [_row(grid_a, 0, name=existing.name), _row(grid_a, 1)]
    job = _checked(community_cadre, rows)
    existing.delete()
    validated.clear()
    job = import_job_commit_start(actor=community_cadre, job=job)
    assert job.status == ImportJob.Status.COMMITTED, job.report
    assert validated == [existing.name]


def test_what_the_database_decides_is_checked_again_the_same_day(community_cadre, grid_a, grid_b):
    """A resident of the file registered meanwhile in another community: the same-day commit
    still finds the ID number out of the uploader's reach and writes nothing."""
    job = _checked(community_cadre, [_row(grid_a, 0), _row(grid_a, 1)])
    ResidentFactory(household=HouseholdFactory(grid=grid_b), id_number=_id(1))
    job = import_job_commit_start(actor=community_cadre, job=job)
    assert job.status == ImportJob.Status.CHECKED
    assert (3, "证件号码", "resident_out_of_scope") in _errors(job)
    assert Resident.objects.filter(household__grid=grid_a).count() == 0
