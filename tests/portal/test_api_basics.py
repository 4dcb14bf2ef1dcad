"""What every API client meets: the schema and docs, JSON errors, pagination, query counts."""

import re

import pytest
import yaml
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from grids.models import Resident
from portal.models import AuditEvent
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.helpers import assert_constant_queries, login

pytestmark = pytest.mark.django_db

RESIDENTS = reverse("resident-list")


def resident_body(household, **overrides):
    body = {
        "name": "赵新民",
        "id_number": "11010519491231002X",
        "sex": "female",
        "birth_date": "1949-12-31",
        "phone": "13800138000",
        "household": household.pk,
    }
    return {**body, **overrides}


def assert_nothing_written(residents_before: int):
    assert Resident.objects.count() == residents_before
    assert not AuditEvent.objects.filter(action="resident.create").exists()


# --- Schema and docs ----------------------------------------------------------------------


def test_schema_is_openapi_3_listing_residents(api_client_for, street_admin):
    response = api_client_for(street_admin).get(reverse("api-schema"))

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/residents/" in schema["paths"]


def test_schema_as_json(api_client_for, street_admin):
    response = api_client_for(street_admin).get(reverse("api-schema"), {"format": "json"})

    assert response.status_code == 200
    assert "/api/v1/residents/{id}/" in response.json()["paths"]


def test_docs_load_their_assets_from_our_own_static_files(street_admin):
    client = login(Client(), street_admin)

    response = client.get(reverse("api-docs"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assets = re.findall(r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert assets, "the page loads Swagger UI from somewhere"
    assert all(url.startswith("/static/") for url in assets), assets
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)


# --- Errors -------------------------------------------------------------------------------


def test_serializer_errors_name_the_missing_field(api_client_for, street_admin, grid_a):
    household = HouseholdFactory(grid=grid_a)
    before = Resident.objects.count()
    body = resident_body(household, id_number="110105194912310021", phone="12345")
    del body["name"]

    response = api_client_for(street_admin).post(RESIDENTS, body, format="json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "name" in response.json()
    assert_nothing_written(before)


def test_bad_id_checksum_is_a_400_on_id_number(api_client_for, street_admin, grid_a):
    household = HouseholdFactory(grid=grid_a)
    before = Resident.objects.count()

    response = api_client_for(street_admin).post(
        RESIDENTS, resident_body(household, id_number="110105194912310021"), format="json"
    )

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["id_number"]
    assert errors["id_number"] and all(isinstance(m, str) and m for m in errors["id_number"])
    assert_nothing_written(before)


def test_bad_phone_is_a_400_on_phone(api_client_for, street_admin, grid_a):
    household = HouseholdFactory(grid=grid_a)
    before = Resident.objects.count()

    response = api_client_for(street_admin).post(
        RESIDENTS, resident_body(household, phone="12345"), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["phone"]
    assert_nothing_written(before)


def test_sex_disagreeing_with_id_number_is_a_400_on_sex(api_client_for, street_admin, grid_a):
    household = HouseholdFactory(grid=grid_a)
    before = Resident.objects.count()

    response = api_client_for(street_admin).post(
        RESIDENTS, resident_body(household, sex="male"), format="json"
    )

    assert response.status_code == 400
    assert "sex" in response.json()
    assert_nothing_written(before)


def test_valid_resident_is_created(api_client_for, street_admin, grid_a):
    """The body used above is valid as such: each 400 comes from the one field changed."""
    household = HouseholdFactory(grid=grid_a)

    response = api_client_for(street_admin).post(RESIDENTS, resident_body(household), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["id_number_masked"] != "11010519491231002X"
    assert AuditEvent.objects.filter(action="resident.create").count() == 1


def test_anonymous_request_is_refused_as_json(resident_a):
    response = APIClient().get(RESIDENTS)

    assert response.status_code in (401, 403)
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


# --- Pagination ---------------------------------------------------------------------------


def add_residents(grid, n):
    household = HouseholdFactory(grid=grid)
    ResidentFactory.create_batch(n, household=household)


def test_list_is_paginated_by_20(api_client_for, street_admin, grid_a):
    add_residents(grid_a, 25)
    client = api_client_for(street_admin)

    page = client.get(RESIDENTS).json()

    assert page["count"] == 25
    assert len(page["results"]) == 20
    assert page["next"]
    assert page["previous"] is None
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 5
    assert rest["next"] is None
    names = [r["name"] for r in page["results"] + rest["results"]]
    assert len(set(names)) == 25


def test_client_chooses_a_smaller_page(api_client_for, street_admin, grid_a):
    add_residents(grid_a, 25)

    page = api_client_for(street_admin).get(RESIDENTS, {"page_size": 5}).json()

    assert page["count"] == 25
    assert len(page["results"]) == 5


def test_page_size_is_capped_at_200(api_client_for, street_admin, grid_a):
    add_residents(grid_a, 201)

    page = api_client_for(street_admin).get(RESIDENTS, {"page_size": 1000}).json()

    assert page["count"] == 201
    assert len(page["results"]) == 200
    assert page["next"]


# --- Query counts -------------------------------------------------------------------------


def test_resident_api_list_queries_do_not_grow_with_rows(api_client_for, grid_worker, grid_a):
    client = api_client_for(grid_worker)

    def fetch():
        response = client.get(RESIDENTS)
        assert response.status_code == 200

    # 4: the scope's resolution (one query per request); the count; the page (resident and
    # household in one join); the page's tags (prefetch).
    assert_constant_queries(add_rows=lambda n: add_residents(grid_a, n), fetch=fetch, expected=4)


def test_resident_page_queries_do_not_grow_with_rows(grid_worker, grid_a):
    client = login(Client(), grid_worker)

    def fetch():
        response = client.get(reverse("grids:resident-list"))
        assert response.status_code == 200
        assert b'data-testid="resident-row"' in response.content

    # 8: as in tests/grids/test_pages.py — user, the scope's resolution, count, bell, the
    # filter's communities, grids and tags, the page in one join (the session comes from Redis
    # and is saved at most once a minute: portal/sessions.py; permissions from the role).
    assert_constant_queries(add_rows=lambda n: add_residents(grid_a, n), fetch=fetch, expected=8)
