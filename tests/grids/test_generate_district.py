"""`manage.py generate_district`: a district-scale registry that is valid, capped and run once."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from grids.cadence import residents_with_due
from grids.models import (
    Grid,
    GridAssignment,
    Household,
    Region,
    Resident,
    ResidentTag,
    Visit,
)
from portal.demo import district
from portal.validators import (
    citizen_id_birth_date,
    citizen_id_sex,
    validate_citizen_id,
    validate_mobile,
)

pytestmark = pytest.mark.django_db

CITY = "330382"


def _generate(residents=300, **options) -> str:
    out = StringIO()
    call_command(
        "generate_district",
        residents=residents,
        seed=7,
        city_code=CITY,
        force=True,  # tests run with DEBUG off, as production does
        stdout=out,
        **options,
    )
    return out.getvalue()


def _in_city(code=CITY):
    return Resident.objects.filter(household__grid__community__code__startswith=code)


def _age(birth_date, today) -> int:
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def test_makes_exactly_the_residents_asked_for_with_valid_unique_id_numbers():
    output = _generate(300)

    residents = list(_in_city())
    assert len(residents) == 300
    assert "Generated 300 residents" in output
    id_field = Resident._meta.get_field("id_number")
    phone_field = Resident._meta.get_field("phone")
    for resident in residents:
        validate_citizen_id(resident.id_number)
        assert citizen_id_sex(resident.id_number) == resident.sex
        assert citizen_id_birth_date(resident.id_number) == resident.birth_date
        assert resident.id_number_hash == id_field.hash_of(resident.id_number)
        if resident.phone:
            validate_mobile(resident.phone)
            assert resident.phone_hash == phone_field.hash_of(resident.phone)
        else:
            assert resident.phone_hash == ""
        resident.full_clean()  # the model's own rules, as a form would apply them
    assert len({r.id_number for r in residents}) == 300
    # Locals carry the city's area code; the exact-ID search finds them through the hash.
    assert sum(r.id_number.startswith(CITY) for r in residents) > 150
    someone = residents[123]
    found = Resident.objects.filter(id_number_hash=id_field.hash_of(someone.id_number))
    assert list(found) == [someone]


def test_stored_id_numbers_and_phones_are_encrypted_not_clear():
    _generate(300)

    clear = set(_in_city().values_list("id_number", flat=True))
    clear |= set(_in_city().exclude(phone="").values_list("phone", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM grids_resident")
        stored = cursor.fetchall()
    assert len(stored) == 300
    for id_number, phone in stored:
        assert id_number.startswith("test2:")  # the current key's id, then the ciphertext
        assert id_number not in clear and phone not in clear


def test_households_fit_their_grids_and_look_like_real_ones():
    _generate(1200)

    grids = Grid.objects.filter(community__code__startswith=CITY).annotate(
        households_count=Count("households")
    )
    assert grids.exists()
    for grid in grids:
        assert grid.households_count <= grid.household_cap, grid.name
        grid.full_clean()  # 15-digit code under its community's
    base = [grid for grid in grids if grid.kind == Grid.Kind.BASE]
    assert base and all(150 <= grid.household_cap <= 500 for grid in base)

    households = Household.objects.filter(grid__in=grids).annotate(size=Count("members"))
    sizes = [household.size for household in households]
    assert all(1 <= size <= 5 for size in sizes)
    assert 2.2 <= 1200 / len(sizes) <= 3.0
    heads = Counter(
        Resident.objects.filter(household__in=households, relation_to_head="户主").values_list(
            "household", flat=True
        )
    )
    assert all(count == 1 for count in heads.values())
    for household in households.select_related("head", "dwelling__building"):
        assert household.head.relation_to_head == "户主"
        assert household.head.household_id == household.pk
        assert household.dwelling.building.grid_id == household.grid_id


def test_ages_and_tags_follow_the_demo_population():
    _generate(1200)

    today = timezone.localdate()
    residents = list(_in_city().prefetch_related("tags__tag"))
    for resident in residents:
        age = _age(resident.birth_date, today)
        codes = {tag.tag.code for tag in resident.tags.all()}
        assert 0 <= age <= 101
        assert ("elderly_60" in codes) == (age >= 60)
        assert ("minor" in codes) == (age < 18)
    elderly = [r for r in residents if _age(r.birth_date, today) >= 60]
    assert 0.1 < len(elderly) / len(residents) < 0.4  # about a fifth, as in 温州
    disabled = ResidentTag.objects.filter(resident__in=residents, tag__code="disabled")
    assert disabled.exists()
    assert all(1 <= tag.grade <= 4 and tag.certificate_number for tag in disabled)


def test_grid_workers_and_visits_give_due_and_overdue_residents():
    _generate(1200)

    grids = Grid.objects.filter(community__code__startswith=CITY)
    staffed = GridAssignment.objects.filter(grid__in=grids, post="full_time")
    assert staffed.count() >= grids.count() - 2
    visits = Visit.objects.filter(household__grid__in=grids)
    assert visits.exists()
    assert set(visits.values_list("visitor__role", flat=True)) == {"grid_worker"}
    for visit in visits.select_related("resident")[:200]:
        visit.full_clean()  # the resident belongs to the household, not in the future

    cadence = residents_with_due(_in_city())
    overdue = cadence.filter(is_overdue=True).count()
    on_time = cadence.filter(is_overdue=False).count()
    assert overdue > 0 and on_time > 0
    assert on_time > overdue  # most are visited on time, as in a working street


def test_refuses_a_second_run_into_the_same_city_unless_appending():
    _generate(300)
    streets = set(Region.objects.filter(parent__code=CITY).values_list("code", flat=True))

    with pytest.raises(CommandError, match="already has 1 street"):
        _generate(300)
    assert _in_city().count() == 300

    output = _generate(300, append=True)
    assert _in_city().count() == 600
    assert "Generated 300 residents" in output
    new_streets = set(Region.objects.filter(parent__code=CITY).values_list("code", flat=True))
    assert streets < new_streets  # the first street is left as it was
    hashes = Resident.objects.values_list("id_number_hash", flat=True)
    assert len(set(hashes)) == len(hashes) == 600


def test_another_city_code_is_another_city():
    _generate(300)
    out = StringIO()
    call_command(
        "generate_district", residents=200, seed=7, city_code="330383", force=True, stdout=out
    )

    assert _in_city(CITY).count() == 300
    assert _in_city("330383").count() == 200
    assert Region.objects.get(code="330383").name == "龙港市"


def test_refused_with_debug_off_or_bad_arguments_before_anything_is_written():
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("generate_district", residents=10, stdout=StringIO())
    with pytest.raises(CommandError, match="six digits"):
        call_command(
            "generate_district", residents=10, city_code="33", force=True, stdout=StringIO()
        )
    with pytest.raises(CommandError, match="at least 1"):
        call_command("generate_district", residents=0, force=True, stdout=StringIO())
    assert not Region.objects.exists()


def _fingerprint(code=CITY):
    """What a run made, without its primary keys or the moment it ran."""
    residents = _in_city(code)
    return (
        sorted(
            residents.values_list(
                "name", "sex", "birth_date", "id_number_hash", "phone_hash", "household__number"
            )
        ),
        sorted(
            Household.objects.filter(grid__community__code__startswith=code).values_list(
                "number", "head__id_number_hash", "grid__code", "dwelling__building__name"
            )
        ),
        sorted(
            ResidentTag.objects.filter(resident__in=residents).values_list(
                "resident__id_number_hash", "tag__code", "valid_from", "grade"
            )
        ),
        sorted(
            (number, resident or "", mode, findings)
            for number, resident, mode, findings in Visit.objects.filter(
                household__grid__community__code__startswith=code
            ).values_list("household__number", "resident__id_number_hash", "mode", "findings")
        ),
    )


def test_the_same_seed_makes_the_same_city():
    class Undone(Exception):
        pass

    with pytest.raises(Undone), transaction.atomic():
        _generate(1200)
        first = _fingerprint()
        raise Undone
    assert not Resident.objects.exists()

    _generate(1200)

    assert _fingerprint() == first
    assert len(first[0]) == 1200 and first[3]


def test_rows_written_with_copy_keep_tabs_newlines_backslashes_and_nulls():
    _generate(300)
    household = Household.objects.filter(visits__isnull=False).first()
    visit = household.visits.first()
    rows = district._Rows(Visit, district._ROW_COLUMNS[Visit])
    findings = "血压\t偏高\\n 已提醒\n按时服药\r\\N"
    (pk,) = rows.ids(1)
    now = timezone.now()
    rows.add(
        (pk, household.pk, None, visit.visitor_id, "phone", now, findings, ["health"], "", now, now)
    )
    rows.write()

    written = Visit.objects.get(pk=pk)
    assert written.findings == findings
    assert written.resident_id is None and written.risk_flags == ["health"]
    assert written.outcome == Visit.Outcome.MET and written.photo.name == ""  # the defaults
    assert pk > visit.pk  # from the table's own sequence


def test_rows_refuse_a_field_whose_default_changes_per_row():
    with pytest.raises(ValueError, match=r"(created_at|updated_at) has a default per row"):
        district._Rows(Resident, ["id", "name"])
