"""The household and resident lists served from `.values()` rows (grids/api/flat.py) answer the
same JSON, byte for byte, as HouseholdSerializer and ResidentSerializer over model instances:
for every role, with masked and encrypted fields, NULLs, tags, search and both paginations."""

import base64
import os
from datetime import date

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import connection
from django.urls import reverse
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from grids import selectors
from grids.api.flat import HouseholdRows, ResidentRows
from grids.api.registry import HouseholdSerializer, ResidentSerializer
from grids.models import Building, Dwelling, Household, Resident, ResidentTag, TagDef
from tests.grids.factories import HouseholdFactory, ResidentFactory, TagDefFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "street_admin",
    "street_cadre",
    "community_cadre",
    "other_community_cadre",
    "grid_leader",
    "grid_worker",
    "other_grid_worker",
    "integration",
]
QUERIES = {
    "resident": ["?page_size=200", "?cursor=&page_size=3", "?ordering=-birth_date&page_size=200"],
    "household": ["?page_size=200", "?cursor=&page_size=3", "?ordering=-number&page_size=200"],
}
LISTS = {
    "resident": (selectors.resident_with_tags_list, ResidentSerializer),
    "household": (selectors.household_list, HouseholdSerializer),
}


def encrypted_with_old_key(plain: str, *, field: str) -> str:
    """A value as the previous key (the second of FIELD_ENCRYPTION_KEYS, still read) sealed it."""
    kid, _sep, text = settings.FIELD_ENCRYPTION_KEYS[1].partition(":")
    nonce = os.urandom(12)
    context = f"grids.resident.{field}".encode()
    sealed = AESGCM(base64.b64decode(text)).encrypt(nonce, plain.encode(), context)
    return f"{kid}:{base64.b64encode(nonce + sealed).decode()}"


@pytest.fixture
def varied(grid_a, grid_b, resident_a, resident_b):
    """Residents and households of every shape the lists show."""
    elderly = TagDefFactory(code="t_living_alone", group=TagDef.Group.ELDERLY)
    special = TagDefFactory(code="t_low_income", group=TagDef.Group.SPECIAL)
    child = TagDefFactory(code="t_left_behind", group=TagDef.Group.CHILD)
    other = TagDefFactory(code="t_a_other", group=TagDef.Group.OTHER)
    building = Building.objects.create(
        community=grid_a.community, grid=grid_a, name="江滨新村2幢", address="江滨路2号"
    )
    dwelling = Dwelling.objects.create(building=building, unit="1", room="302")
    ungridded = HouseholdFactory(grid=None, dwelling=dwelling, kind=Household.Kind.RESIDING)
    nowhere = HouseholdFactory(grid=None)
    tagged = ResidentFactory(household=resident_a.household, name="陈 大伯")
    for tag, valid_to in ((other, None), (special, date(2020, 1, 1)), (elderly, None)):
        ResidentTag.objects.create(resident=tagged, tag=tag, valid_to=valid_to)
    ResidentTag.objects.create(resident=resident_b, tag=child, source="department")
    resident_a.household.head = tagged
    resident_a.household.dwelling = dwelling
    resident_a.household.save()
    ResidentFactory(
        household=ungridded,
        name="Ан 🙂",
        sex=Resident.Sex.MALE,
        id_type=Resident.IdType.OTHER,
        id_number="AB12345",
        phone="",
        ethnicity="回族",
        relation_to_head="子",
        population_type=Resident.PopulationType.FLOATING,
        separated=True,
        political_status="群众",
        deceased_date=date(2024, 5, 6),
        data_source="公安",
        verified_date=date(2025, 1, 2),
    )
    ResidentFactory(household=None, name="无户")
    ResidentFactory(household=nowhere, phone="0577-6512345")
    old_key = ResidentFactory(household=resident_a.household, name="旧钥")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE grids_resident SET id_number = %s, phone = %s WHERE id = %s",
            [
                encrypted_with_old_key(old_key.id_number, field="id_number"),
                encrypted_with_old_key(old_key.phone, field="phone"),
                old_key.pk,
            ],
        )
    return {"old_key": old_key, "tagged": tagged}


def serializer_json(user, name, ids) -> bytes:
    """The JSON the serializer gives for these rows, in this order (the path before)."""
    selector, serializer_class = LISTS[name]
    request = APIRequestFactory().get("/")
    request.user = user
    by_id = {obj.pk: obj for obj in selector(actor=user).filter(pk__in=ids)}
    data = serializer_class([by_id[pk] for pk in ids], many=True, context={"request": request})
    return JSONRenderer().render(data.data)


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("role", ROLES)
def test_the_list_answers_what_the_serializer_answered(request, api_client_for, varied, name, role):
    user = request.getfixturevalue(role)
    client = api_client_for(user)

    for query in QUERIES[name]:
        response = client.get(reverse(f"{name}-list") + query)
        assert response.status_code == 200, response.content
        rows = response.data["results"]
        ids = [row["id"] for row in rows]
        assert JSONRenderer().render(rows) == serializer_json(user, name, ids), query


def test_every_kind_of_row_is_compared(api_client_for, street_admin, varied):
    """The comparison above covers tags, NULLs, masks of both lengths and an old key."""
    rows = api_client_for(street_admin).get(reverse("resident-list") + "?page_size=200").data
    by_name = {row["name"]: row for row in rows["results"]}

    assert by_name["陈 大伯"]["tags"] == ["t_living_alone", "t_a_other", "t_low_income"]
    assert by_name["无户"]["household"] is None and by_name["无户"]["grid"] is None
    assert by_name["Ан 🙂"]["grid"] is None and by_name["Ан 🙂"]["household"] is not None
    assert by_name["Ан 🙂"]["id_number_masked"] == "AB***45"
    assert by_name["Ан 🙂"]["phone_masked"] == ""
    assert by_name["Ан 🙂"]["deceased_date"] == "2024-05-06"
    old_key = varied["old_key"]
    assert by_name["旧钥"]["id_number_masked"] == old_key.id_number_masked
    assert by_name["旧钥"]["phone_masked"] == old_key.phone_masked


def test_rows_are_decrypted_by_their_field(grid_worker, varied):
    """`.values()` runs the encrypted field's from_db_value: clear values, either key."""
    old_key = varied["old_key"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM grids_resident WHERE id = %s", [old_key.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith(settings.FIELD_ENCRYPTION_KEYS[1].partition(":")[0] + ":")
    assert old_key.id_number not in stored

    queryset = selectors.resident_with_tags_list(actor=grid_worker)
    row = ResidentRows().rows(queryset).get(pk=old_key.pk)

    assert row["id_number"] == old_key.id_number
    assert row["phone"] == old_key.phone


@pytest.mark.parametrize("search", ["陈", "王秀", "旧"])
def test_search_answers_what_the_serializer_answered(api_client_for, grid_worker, varied, search):
    response = api_client_for(grid_worker).get(reverse("resident-list"), {"search": search})
    rows = response.data["results"]

    assert rows
    assert JSONRenderer().render(rows) == serializer_json(
        grid_worker, "resident", [row["id"] for row in rows]
    )


def test_search_by_id_number_and_phone_finds_the_decrypted_row(api_client_for, grid_worker, varied):
    old_key = varied["old_key"]
    client = api_client_for(grid_worker)

    for search in (old_key.id_number, old_key.phone):
        rows = client.get(reverse("resident-list"), {"search": search}).data["results"]
        assert [row["id"] for row in rows] == [old_key.pk]
        assert JSONRenderer().render(rows) == serializer_json(grid_worker, "resident", [old_key.pk])


def test_an_empty_page_asks_for_no_tags(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert ResidentRows().represent([]) == []
        assert HouseholdRows().represent([]) == []
