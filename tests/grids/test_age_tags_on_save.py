"""Age-derived tags set when a resident is saved, not only by the nightly job (issue 12): a
72-year-old registered today is eligible for an age-based service at once."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from grids.cadence import current_tags
from grids.models import Resident, ResidentTag, TagDef
from grids.writes import resident_create, resident_update
from grids.writes.imports import import_job_commit_start, import_job_create
from portal.validators import citizen_id_make
from services.catalogue.eligibility import resident_is_eligible
from tests.grids.factories import HouseholdFactory
from tests.grids.test_import import _csv, _id, _row

pytestmark = pytest.mark.django_db


@pytest.fixture
def age_tags(db):
    return {
        code: TagDef.objects.create(code=code, name=name, group=group, age_derived=True)
        for code, name, group in [
            ("elderly_60", "60岁以上老人", "elderly"),
            ("elderly_80", "80岁以上高龄老人", "elderly"),
            ("minor", "未成年人", "child"),
        ]
    }


def _years_ago(years: int) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - timedelta(days=10)


def _codes(resident):
    today = timezone.localdate()
    return set(current_tags(on=today).filter(resident=resident).values_list("tag__code", flat=True))


def _register(actor, grid, born: date) -> Resident:
    return resident_create(
        actor=actor,
        name="钱老伯",
        id_type=Resident.IdType.CITIZEN_ID,
        id_number=citizen_id_make(area_code="330381", birth_date=born, sequence=11),
        sex=Resident.Sex.MALE,
        birth_date=born,
        household=HouseholdFactory(grid=grid),
    )


def test_a_72_year_old_registered_today_is_tagged_and_eligible_at_once(
    age_tags, grid_worker, grid_a
):
    resident = _register(grid_worker, grid_a, _years_ago(72))
    assert _codes(resident) == {"elderly_60"}
    row = ResidentTag.objects.get(resident=resident, tag=age_tags["elderly_60"])
    assert row.source == ResidentTag.Source.AGE
    assert row.valid_from == resident.birth_date.replace(year=resident.birth_date.year + 60)
    assert resident_is_eligible(resident=resident, rule="elderly_60 or disabled")


def test_a_corrected_birth_date_moves_the_tags(age_tags, grid_worker, grid_a):
    resident = _register(grid_worker, grid_a, _years_ago(72))
    born = _years_ago(8)
    resident = resident_update(
        actor=grid_worker,
        resident=resident,
        birth_date=born,
        id_number=citizen_id_make(area_code="330381", birth_date=born, sequence=11),
    )
    assert _codes(resident) == {"minor"}
    ended = ResidentTag.objects.get(resident=resident, tag=age_tags["elderly_60"])
    assert ended.valid_to == timezone.localdate() - timedelta(days=1)


def test_a_hand_entered_tag_is_not_doubled(age_tags, grid_worker, grid_a):
    resident = _register(grid_worker, grid_a, _years_ago(85))
    assert _codes(resident) == {"elderly_60", "elderly_80"}
    resident_update(actor=grid_worker, resident=resident, deceased_date=None, name="钱老伯伯")
    assert ResidentTag.objects.filter(resident=resident).count() == 2


def test_residents_imported_from_a_file_are_age_tagged_at_once(
    age_tags, community_cadre, grid_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    """An import is a save too: the 72-year-old and the child of the file hold their age tags
    when the import is committed; importing the file again adds no second row."""
    rows = [
        _row(grid_a, 0, id_number=_id(0, born=_years_ago(72))),
        _row(grid_a, 1, id_number=_id(1, born=_years_ago(10)), relation_to_head="子女"),
        _row(grid_a, 2, id_number=_id(2, born=_years_ago(40))),
    ]
    for _ in range(2):
        job = import_job_create(actor=community_cadre, uploaded_file=_csv(rows))
        assert job.report["errors"] == []
        import_job_commit_start(actor=community_cadre, job=job)

    by_name = {r.name: r for r in Resident.objects.all()}
    assert _codes(by_name["导入居民0"]) == {"elderly_60"}
    assert _codes(by_name["导入居民1"]) == {"minor"}
    assert _codes(by_name["导入居民2"]) == set()
    assert ResidentTag.objects.filter(source=ResidentTag.Source.AGE).count() == 2
    assert resident_is_eligible(resident=by_name["导入居民0"], rule="elderly_60 or disabled")


def test_an_import_that_corrects_a_birth_date_moves_the_age_tags(
    age_tags, community_cadre, grid_a, settings, tmp_path
):
    """New residents get their tag rows from the plan; a resident the file changes goes
    through the set-wise rule: a resident with another document first imported as 40, then corrected to 72,
    holds elderly_60 after the second import and still no row twice."""
    settings.MEDIA_ROOT = tmp_path / "media"

    def other_document(born):
        return _row(
            grid_a,
            0,
            id_type="其他证件",
            id_number="E12345678",
            sex="男",
            birth_date=born.isoformat(),
        )

    for born, expected in ((_years_ago(40), set()), (_years_ago(72), {"elderly_60"})):
        job = import_job_create(actor=community_cadre, uploaded_file=_csv([other_document(born)]))
        assert job.report["errors"] == []
        import_job_commit_start(actor=community_cadre, job=job)
        resident = Resident.objects.get(id_number_hash__isnull=False, name="导入居民0")
        assert resident.birth_date == born
        assert _codes(resident) == expected
    assert ResidentTag.objects.count() == 1
