"""Records that cannot be true are refused by the models, so the pages, the API and the import
agree: a future or absurd birth date (any document), tag validity ending before it starts, a
disability grade outside 1–4, coordinates off the globe, a household head living elsewhere.

Each case is tried through the write (the model's clean), and the main ones through the page
(form error on the field), the API (400 naming the field) and the spreadsheet import (a row
error in the field's column); nothing is written.
"""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from grids import imports
from grids import writes as grid_writes
from grids.models import Building, Household, Resident, ResidentTag, TagDef
from grids.writes.imports import import_job_create
from tests.grids.factories import ResidentFactory, TagDefFactory
from tests.helpers import login

pytestmark = pytest.mark.django_db


def tomorrow() -> date:
    return timezone.localdate() + timedelta(days=1)


def _field_errors(exc) -> dict:
    """The field messages of a raised ValidationError, in English (their source text)."""
    with translation.override("en"):
        return exc.value.message_dict


@pytest.fixture
def disability(db):
    return TagDefFactory(code="t_disabled", name="残疾人", group=TagDef.Group.SPECIAL)


# --- 1. Birth dates, whatever the document ---------------------------------------------------


def _passport_resident(household, **fields) -> dict:
    return {
        "name": "约翰",
        "id_type": Resident.IdType.OTHER,
        "id_number": "E12345678",
        "sex": Resident.Sex.MALE,
        "birth_date": tomorrow(),
        "household": household,
    } | fields


@pytest.mark.parametrize(
    ("birth", "message"),
    [
        (lambda: tomorrow(), "The birth date cannot be in the future."),
        (lambda: date(1899, 12, 31), "The birth date cannot be before 1900-01-01."),
    ],
)
def test_a_birth_date_in_the_future_or_before_1900_is_refused_for_any_document(
    grid_worker, resident_a, birth, message
):
    before = Resident.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        grid_writes.resident_create(
            actor=grid_worker, **_passport_resident(resident_a.household, birth_date=birth())
        )
    assert _field_errors(exc)["birth_date"] == [message]
    assert Resident.objects.count() == before


def test_a_death_before_birth_or_in_the_future_is_refused(grid_worker, resident_a):
    for deceased, message in [
        (resident_a.birth_date - timedelta(days=1), "The date of death cannot be before"),
        (tomorrow(), "The date of death cannot be in the future."),
    ]:
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            grid_writes.resident_update(
                actor=grid_worker, resident=resident_a, deceased_date=deceased
            )
        assert message in _field_errors(exc)["deceased_date"][0]
    resident_a.refresh_from_db()
    assert resident_a.deceased_date is None


def test_future_birth_date_page(english, grid_worker, resident_a):
    login(english, grid_worker)
    before = Resident.objects.count()
    data = _passport_resident(resident_a.household, birth_date=tomorrow().isoformat())
    data["household"] = resident_a.household.number
    response = english.post(reverse("grids:resident-create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["birth_date"] == [
        "The birth date cannot be in the future."
    ]
    assert Resident.objects.count() == before


def test_future_birth_date_api(api_client_for, grid_worker, resident_a):
    before = Resident.objects.count()
    data = _passport_resident(resident_a.household.pk, birth_date=tomorrow().isoformat())
    with translation.override("en"):
        response = api_client_for(grid_worker).post(
            reverse("resident-list"), data, format="json", HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 400, response.content
    assert "birth_date" in response.json()
    assert Resident.objects.count() == before


@pytest.mark.parametrize("birth", [lambda: tomorrow(), lambda: date(1899, 12, 31)])
def test_future_or_absurd_birth_date_import(settings, tmp_path, community_cadre, grid_a, birth):
    """The import refused a future date already; a date before 1900 now fails the model's check
    the same way (a row error in 出生日期)."""
    settings.MEDIA_ROOT = tmp_path
    values = {
        "household_number": "IMP-FUTURE",
        "grid_code": grid_a.code,
        "name": "约翰",
        "id_type": "其他证件",
        "id_number": "E12345678",
        "sex": "男",
        "birth_date": birth().isoformat(),
        "relation_to_head": "户主",
    }
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.header for column in imports.COLUMNS])
    writer.writerow([values.get(column.key, "") for column in imports.COLUMNS])
    upload = SimpleUploadedFile("居民.csv", buffer.getvalue().encode("utf-8-sig"))
    before = Resident.objects.count()
    job = import_job_create(actor=community_cadre, uploaded_file=upload)
    errors = {(error["row"], error["column"]) for error in job.report["errors"]}
    assert (2, "出生日期") in errors
    assert Resident.objects.count() == before


# --- 3 and 4. Tag validity and disability grade ----------------------------------------------


def test_tag_validity_ending_before_it_starts_is_refused(grid_worker, resident_a, disability):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        grid_writes.resident_tag_add(
            actor=grid_worker,
            resident=resident_a,
            tag=disability,
            valid_from=date(2026, 6, 1),
            valid_to=date(2026, 5, 31),
        )
    assert _field_errors(exc)["valid_to"] == ["The end of validity cannot be before its start."]
    assert not ResidentTag.objects.exists()


def test_tag_validity_api(api_client_for, grid_worker, resident_a, disability):
    response = api_client_for(grid_worker).post(
        reverse("residenttag-list"),
        {
            "resident": resident_a.pk,
            "tag": disability.pk,
            "valid_from": "2026-06-01",
            "valid_to": "2026-05-31",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "valid_to" in response.json()
    assert not ResidentTag.objects.exists()


def test_tag_validity_page(english, grid_worker, resident_a, disability):
    login(english, grid_worker)
    response = english.post(
        reverse("grids:resident-tag-add", args=[resident_a.pk]),
        {
            "tag-tag": disability.pk,
            "tag-source": ResidentTag.Source.GRID_WORKER,
            "tag-valid_from": "2026-06-01",
            "tag-valid_to": "2026-05-31",
        },
    )
    assert response.status_code == 400
    assert "The end of validity cannot be before its start." in response.content.decode()
    assert not ResidentTag.objects.exists()


def test_a_disability_grade_outside_1_to_4_is_refused(
    api_client_for, grid_worker, resident_a, disability
):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        grid_writes.resident_tag_add(
            actor=grid_worker, resident=resident_a, tag=disability, grade=7
        )
    assert _field_errors(exc)["grade"] == ["The grade must be between 1 and 4."]
    response = api_client_for(grid_worker).post(
        reverse("residenttag-list"),
        {"resident": resident_a.pk, "tag": disability.pk, "grade": 0},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "grade" in response.json()
    assert not ResidentTag.objects.exists()
    tag = grid_writes.resident_tag_add(
        actor=grid_worker, resident=resident_a, tag=disability, grade=4
    )
    assert tag.grade == 4


# --- 5. Coordinates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("latitude", Decimal("999"), "The latitude must be between -90 and 90."),
        ("latitude", Decimal("-90.000001"), "The latitude must be between -90 and 90."),
        ("longitude", Decimal("999"), "The longitude must be between -180 and 180."),
    ],
)
def test_coordinates_off_the_globe_are_refused(
    api_client_for, street_admin, community_a, field, value, message
):
    fields = {"community": community_a, "name": "坐标楼", "address": "江滨路9号", field: value}
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        grid_writes.building_create(actor=street_admin, **fields)
    assert _field_errors(exc)[field] == [message]
    response = api_client_for(street_admin).post(
        reverse("building-list"),
        {"community": community_a.pk, "name": "坐标楼", "address": "江滨路9号", field: str(value)},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Building.objects.filter(name="坐标楼").exists()


def test_plausible_coordinates_are_kept(street_admin, community_a):
    building = grid_writes.building_create(
        actor=street_admin,
        community=community_a,
        name="坐标楼",
        address="江滨路9号",
        latitude=Decimal("27.78"),
        longitude=Decimal("120.65"),
    )
    assert (building.latitude, building.longitude) == (Decimal("27.78"), Decimal("120.65"))


# --- 7. The household head lives in the household --------------------------------------------


@pytest.fixture
def neighbour(resident_a, grid_a):
    """A resident of another household of the same grid (visible to grid A's worker)."""
    return ResidentFactory(name="邻居", household__grid=grid_a)


def test_a_head_from_another_household_is_refused(grid_worker, resident_a, neighbour):
    household = resident_a.household
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        grid_writes.household_update(actor=grid_worker, household=household, head=neighbour)
    assert _field_errors(exc)["head"] == ["The head must be a member of this household."]
    household.refresh_from_db()
    assert household.head_id is None
    grid_writes.household_update(actor=grid_worker, household=household, head=resident_a)
    household.refresh_from_db()
    assert household.head_id == resident_a.pk


def test_a_new_household_cannot_name_a_head_living_elsewhere(grid_worker, grid_a, neighbour):
    with pytest.raises(ValidationError) as exc:
        grid_writes.household_create(
            actor=grid_worker, number="HEAD-ELSEWHERE", grid=grid_a, head=neighbour
        )
    assert "head" in _field_errors(exc)
    assert not Household.objects.filter(number="HEAD-ELSEWHERE").exists()


def test_a_head_from_another_household_api(api_client_for, grid_worker, resident_a, neighbour):
    household = resident_a.household
    response = api_client_for(grid_worker).patch(
        reverse("household-detail", args=[household.pk]), {"head": neighbour.pk}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "head" in response.json()
    household.refresh_from_db()
    assert household.head_id is None


def test_a_head_from_another_household_page(english, grid_worker, resident_a, neighbour):
    household = resident_a.household
    login(english, grid_worker)
    response = english.post(
        reverse("grids:household-edit", args=[household.pk]),
        {
            "number": household.number,
            "kind": household.kind,
            "grid": household.grid_id,
            "head": neighbour.pk,
        },
    )
    assert response.status_code == 400
    assert "head" in response.context["form"].errors
    household.refresh_from_db()
    assert household.head_id is None


def test_moving_the_head_out_leaves_no_head_from_elsewhere(grid_worker, resident_a, neighbour):
    """The rule holds from the household's side: a household whose head moved away cannot be
    saved with that head until it names a member."""
    household = resident_a.household
    grid_writes.household_update(actor=grid_worker, household=household, head=resident_a)
    grid_writes.resident_update(
        actor=grid_worker, resident=resident_a, household=neighbour.household
    )
    with pytest.raises(ValidationError) as exc:
        grid_writes.household_update(actor=grid_worker, household=household, kind="residing")
    assert "head" in _field_errors(exc)
