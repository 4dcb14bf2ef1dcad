"""Input and output: every query parameter and path id parsed by one helper (portal/params.py),
exports that cannot run a formula, redirects that stay on the host.

- a bad value (`99999999999999999999999`, `²`, full-width digits, `-1`, `abc`, `9999-12`, the
  years 0 and 99999) on a page is its default, an empty list or a 404; in the API a 400 naming
  the field — never a 500, and never a query carrying a number no column holds (PostgreSQL
  compares it as numeric, SQLite raises OverflowError: the acceptance pass's 500s);
- `<id:pk>` in every URLconf: a huge id does not even resolve;
- every export neutralises text cells starting with = + - @ tab or CR, numbers stay numbers;
- `next=https://evil.example/` lands on the page's default.

The planted street is tests/security/conftest.py's `world` (built once for the module); every
request runs in a rolled-back savepoint (`isolated()`).
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import DataError, connection, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from openpyxl import load_workbook
from rest_framework.test import APIClient

from portal import params
from portal.sensitive import export_response
from portal.spreadsheets import Column, template_workbook
from tests.helpers import login
from tests.security.conftest import isolated

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"  # above 2**63 - 1: SQLite's OverflowError
BAD_IDS = {
    "huge": HUGE,
    "superscript": "²",  # str.isdigit() says yes, int() says no
    "fullwidth": "１２",  # int() takes it, a URL or an id should not
    "negative": "-1",
    "word": "abc",
}
PAYLOAD = '=HYPERLINK("http://x","y")'


def _page_client(user) -> Client:
    return login(Client(raise_request_exception=False), user)


def _api_client(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


def _get(client, url, data=None):
    """The response, and whether a query carried the huge number to the database."""
    with isolated(), CaptureQueriesContext(connection) as queries:
        response = client.get(url, data or {})
    reached = [q["sql"] for q in queries.captured_queries if HUGE in q["sql"]]
    return response, reached


# --- The parser ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7), (" 12 ", 12), (str(params.MAX_ID), params.MAX_ID), ("0007", 7)]
    + [(bad, None) for bad in (*BAD_IDS.values(), None, "", "0", "1.5", "1e3", "+5", "٣")]
    + [(str(params.MAX_ID + 1), None), ("0" * 30 + "1", None)],
)
def test_id_param_takes_ascii_digits_a_column_holds(value, expected):
    assert params.id_param(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2026", 2026), ("2000", 2000), ("2100", 2100)]
    + [(bad, None) for bad in ("0", "99999", "1999", "2101", "²⁰²⁶", "２０２６", "-2026", "")],
)
def test_year_param_takes_2000_to_2100(value, expected):
    assert params.year_param(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2026-03", (2026, 3)), ("2100-12", (2100, 12)), ("2000-01", (2000, 1))]
    + [(bad, None) for bad in ("9999-12", "0000-01", "2026-13", "2026-00", "2026-3", "abc", "")],
)
def test_month_param_is_bounded(value, expected):
    assert params.month_param(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2026-03-01", datetime.date(2026, 3, 1))]
    + [(bad, None) for bad in ("9999-12-31", "2026-02-30", "2026-3-1", "０２６-03-01", "x")],
)
def test_date_param_is_bounded(value, expected):
    assert params.date_param(value) == expected


def test_api_parsers_raise_a_field_error():
    with pytest.raises(params.ValidationError) as caught:
        params.year_optional("99999")
    assert list(caught.value.message_dict) == ["year"]
    with pytest.raises(params.ValidationError) as caught:
        params.id_required("²", "partner")
    assert list(caught.value.message_dict) == ["partner"]
    assert params.year_optional("") is None


# --- Path ids: `<id:pk>` everywhere ---------------------------------------------------------------


def _routes(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def test_no_url_takes_an_unbounded_int():
    # The admin's own routes (django-otp's device pages) look rows up by pk, which Django
    # answers as "no row" for a number no column holds; ours are all `<id:...>`.
    unbounded = [
        route
        for route, _pattern in _routes()
        if "<int:" in route and not route.startswith("admin/")
    ]
    assert not unbounded, unbounded


def test_every_id_route_refuses_a_huge_or_odd_id_before_the_view():
    routes = [route for route, _pattern in _routes() if "<id:" in route]
    assert len(routes) > 100
    for route in routes:
        good = "/" + _fill(route, "7")
        assert resolve(good)  # the same route with a real id resolves
        for bad in (HUGE, str(params.MAX_ID + 1), "²", "１２"):
            with pytest.raises(Resolver404):
                resolve("/" + _fill(route, bad))


def _fill(route: str, value: str) -> str:
    import re

    return re.sub(r"<id:\w+>", value, re.sub(r"<(str|slug|path):\w+>", "x", route))


def test_the_converter_answers_404_on_a_page(world):
    client = _page_client(world.people["street_admin"])
    resident = world.objects["resident_a"]
    assert _get(client, f"/grids/residents/{resident.pk}/")[0].status_code == 200
    response, reached = _get(client, f"/grids/residents/{HUGE}/")
    assert response.status_code == 404
    assert not reached


@pytest.mark.parametrize(
    "resource",
    [
        "residents",
        "households",
        "visits",
        "referrals",
        "deliveries",
        "activities",
        "aid-cases",
        "party-orgs",
    ],
)
@pytest.mark.parametrize("bad", [HUGE, "²", "-1", "abc"])
def test_api_detail_with_a_bad_id_is_404(world, resource, bad):
    client = _api_client(world.people["street_admin"])
    response, reached = _get(client, f"/api/v1/{resource}/{bad}/")
    assert response.status_code == 404
    assert not reached


# --- Pages: a bad query parameter is the default, an empty list or a 404 ----------------------------

# (url name, parameter, the status a bad value gets)
PAGE_PARAMS = [
    ("grids:visit-list", "grid", 200),
    ("grids:visit-create", "resident", 404),
    ("grids:visit-create", "household", 404),
    ("grids:resident-create", "household", 200),
    ("grids:building-create", "grid", 200),
    ("grids:household-create", "building", 200),
    ("grids:coverage-map", "community", 404),
    ("grids:coverage-geojson", "community", 404),
    ("grids:resident-list", "grid", 200),
    ("grids:resident-list", "community", 200),
    ("grids:resident-list", "tag", 200),
    ("grids:household-list", "grid", 200),
    ("services:referral-create", "resident", 404),
    ("services:referral-list", "partner", 200),
    ("services:referral-list", "service_item", 200),
    ("services:delivery-list", "partner", 200),
    ("services:delivery-list", "month", 200),
    ("services:aid-case-create", "household", 404),
    ("services:contract-sign", "resident", 404),
    ("services:contract-sign", "referral", 404),
    ("services:activity-list", "community", 200),
    ("services:activity-list", "year", 200),
]


@pytest.mark.parametrize(("name", "param", "status"), PAGE_PARAMS)
@pytest.mark.parametrize("bad", list(BAD_IDS), ids=list(BAD_IDS))
def test_a_bad_query_parameter_on_a_page_is_never_a_500(world, name, param, status, bad):
    client = _page_client(world.people["street_admin"])
    response, reached = _get(client, reverse(name), {param: BAD_IDS[bad]})
    assert response.status_code == status, (name, param, response.status_code)
    assert not reached, reached


@pytest.mark.parametrize("month", ["9999-12", "0000-01", "2026-13", "abc"])
@pytest.mark.parametrize(
    "page", ["services:partner-statement", "services:partner-statement-export"]
)
def test_a_bad_month_on_the_statement_is_no_500(world, page, month):
    client = _page_client(world.people["street_admin"])
    url = reverse(page, args=[world.partner_p.pk])
    response, _reached = _get(client, url, {"month": month})
    assert response.status_code == 400  # the page says which month it shows instead
    assert _get(client, url, {"month": "2026-03"})[0].status_code == 200


def test_the_visit_list_ignores_a_bad_grid_but_filters_by_a_good_one(world):
    client = _page_client(world.people["street_admin"])
    visit_a, visit_b = world.objects["visit_a"], world.objects["visit_b"]
    response, _ = _get(client, reverse("grids:visit-list"), {"grid": world.grid_a.pk})
    listed = {visit.pk for visit in response.context["page"]}
    assert visit_a.pk in listed and visit_b.pk not in listed
    response, _ = _get(client, reverse("grids:visit-list"), {"grid": "²"})
    assert {visit_a.pk, visit_b.pk} <= {visit.pk for visit in response.context["page"]}


# --- The API: a bad query parameter is a 400 naming the field ---------------------------------------

API_PARAMS = [
    ("/api/v1/residents/", "grid"),
    ("/api/v1/residents/", "household"),
    ("/api/v1/residents/", "community"),
    ("/api/v1/households/", "grid"),
    ("/api/v1/households/", "building"),
    ("/api/v1/buildings/", "grid"),
    ("/api/v1/resident-tags/", "resident"),
    ("/api/v1/visits/", "household"),
    ("/api/v1/visits/", "resident"),
    ("/api/v1/visits/", "visitor"),
    ("/api/v1/referrals/", "partner"),
    ("/api/v1/referrals/", "resident"),
    ("/api/v1/referrals/", "service_item"),
    ("/api/v1/deliveries/", "partner"),
    ("/api/v1/deliveries/", "resident"),
    ("/api/v1/deliveries/", "referral"),
    ("/api/v1/deliveries/statement/", "partner"),
    ("/api/v1/activities/", "community"),
]


@pytest.mark.parametrize(("url", "param"), API_PARAMS)
@pytest.mark.parametrize("bad", ["huge", "negative", "superscript", "word"])
def test_a_bad_id_filter_in_the_api_is_a_400_on_the_field(world, url, param, bad):
    client = _api_client(world.people["street_admin"])
    data = {param: BAD_IDS[bad]}
    if url.endswith("/statement/"):
        data["month"] = "2026-03"
    response, reached = _get(client, url, data)
    assert response.status_code == 400, (url, param, response.status_code)
    assert param in response.json()
    assert not reached, reached


@pytest.mark.parametrize("year", ["0", "99999", "1999", "²", "-2026", "abc"])
def test_activity_totals_refuse_a_year_out_of_range(world, year):
    client = _api_client(world.people["street_admin"])
    response, _ = _get(client, "/api/v1/activities/totals/", {"year": year})
    assert response.status_code == 400
    assert "year" in response.json()
    assert _get(client, "/api/v1/activities/totals/", {"year": "2026"})[0].status_code == 200


@pytest.mark.parametrize("year", ["0", "99999", "²", "１２"])
@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/services/activities/", 200),  # the page: an empty list, the filter marked
        ("/api/v1/activities/", 400),
        ("/api/v1/trainings/", 400),
        ("/api/v1/meetings/", 400),
    ],
)
def test_a_year_filter_out_of_range_is_never_a_500(world, url, status, year):
    client = (_page_client if url.startswith("/services/") else _api_client)(
        world.people["street_admin"]
    )
    response, _ = _get(client, url, {"year": year})
    assert response.status_code == status
    if status == 400:
        assert "year" in response.json()


@pytest.mark.parametrize("month", ["9999-12", "0000-01", "2026-13"])
def test_the_statement_api_refuses_a_month_out_of_range(world, month):
    client = _api_client(world.people["street_admin"])
    response, _ = _get(
        client, "/api/v1/deliveries/statement/", {"partner": world.partner_p.pk, "month": month}
    )
    assert response.status_code == 400
    assert "month" in response.json()


def test_a_good_id_filter_still_filters(world):
    client = _api_client(world.people["street_admin"])
    response, _ = _get(
        client, "/api/v1/visits/", {"household": world.objects["resident_a"].household_id}
    )
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {world.objects["visit_a"].pk}


# --- The safety net: logged as a bug, never a 500 ---------------------------------------------------


def _real_out_of_range_error() -> DataError:
    with pytest.raises(DataError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint", [HUGE])
    return caught.value


def test_the_api_net_turns_an_out_of_range_error_into_a_400_and_logs_it(world, caplog):
    from portal.api.errors import exception_handler

    request = SimpleNamespace(method="GET", get_full_path=lambda: "/api/v1/x/?grid=" + HUGE)
    for exc in (_real_out_of_range_error(), OverflowError("Python int too large")):
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="portal.api.errors"):
            response = exception_handler(exc, {"request": request, "view": None})
        assert response.status_code == 400
        assert any(r.levelno == logging.ERROR for r in caplog.records)


def test_the_page_net_turns_an_out_of_range_error_into_a_404_and_logs_it(world, caplog):
    from portal.middleware import OutOfRangeInputMiddleware

    request = RequestFactory().get("/grids/visits/", {"grid": HUGE})
    request.user = world.people["street_admin"]
    net = OutOfRangeInputMiddleware(lambda request: None)
    with caplog.at_level(logging.ERROR, logger="portal.middleware"):
        response = net.process_exception(request, _real_out_of_range_error())
    assert response.status_code == 404
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    assert net.process_exception(request, ValueError("not ours")) is None


# --- Exports: no live formula ---------------------------------------------------------------------

FORMULAS = [PAYLOAD, "+1+1", "-1+cmd|'/c calc'!A0", "@SUM(A1)", "\t=1", "\r=1"]


def _xlsx(body: bytes):
    workbook = load_workbook(io.BytesIO(body))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def _csv(body: bytes):
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]


def test_export_response_neutralises_text_and_keeps_numbers_and_dates(world):
    rows = [
        (text, -3, Decimal("-1.50"), datetime.date(2026, 3, 1), "-2", None) for text in FORMULAS
    ]
    with isolated():
        xlsx = export_response(
            actor=world.people["street_admin"],
            rows=rows,
            headers=["=h", "a", "b", "c", "d", "e"],
            filename="t",
            fmt="xlsx",
            subject="t",
            unmasked=False,
        )
        text_csv = export_response(
            actor=world.people["street_admin"],
            rows=rows,
            headers=["=h", "a", "b", "c", "d", "e"],
            filename="t",
            fmt="csv",
            subject="t",
            unmasked=False,
        )
    cells = _xlsx(xlsx.content)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    by_row = {}
    for cell in cells:
        by_row.setdefault(cell.row, []).append(cell)
    for row in list(by_row.values())[1:]:
        assert row[0].value.startswith("'")
        assert row[1].value == -3 and row[1].data_type == "n"
        assert row[2].value == -1.5 and row[2].data_type == "n"
        assert row[3].is_date
        assert row[4].value == "'-2"  # text that looks like a number is still text
    values = _csv(text_csv.content)
    for formula in FORMULAS:
        assert formula not in values
        assert "'" + formula in values
    assert "-3" in values and "-1.50" in values and "2026-03-01" in values


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("export", ["grids:resident-export", "grids:household-export"])
def test_a_resident_named_like_a_formula_is_text_in_every_registry_export(world, export, fmt):
    from grids.models import Resident

    resident = world.objects["resident_a"]
    client = _page_client(world.people["street_admin"])
    with isolated():
        Resident.objects.filter(pk=resident.pk).update(name=PAYLOAD)
        type(resident.household).objects.filter(pk=resident.household_id).update(head=resident)
        response = client.get(reverse(export), {"format": fmt})
    assert response.status_code == 200
    if fmt == "xlsx":
        cells = _xlsx(response.content)
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        named = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
        assert named and all(c.data_type == "s" and c.value == "'" + PAYLOAD for c in named)
    else:
        values = _csv(response.content)
        assert PAYLOAD not in values
        assert "'" + PAYLOAD in values


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_service_named_like_a_formula_is_text_in_the_statement(world, fmt):
    from services.catalogue.models import ServiceItem

    client = _page_client(world.people["street_admin"])
    delivered = world.objects["delivery_a"].delivered_at
    month = f"{delivered:%Y-%m}"
    with isolated():
        ServiceItem.objects.filter(pk=world.item.pk).update(name=PAYLOAD)
        response = client.get(
            reverse("services:partner-statement-export", args=[world.partner_p.pk]),
            {"format": fmt, "month": month},
        )
    assert response.status_code == 200
    if fmt == "xlsx":
        cells = _xlsx(response.content)
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        assert "'" + PAYLOAD in [c.value for c in cells]
        assert any(c.data_type == "n" for c in cells)  # the amounts stay numbers
    else:
        assert "'" + PAYLOAD in _csv(response.content)


def test_the_feedback_sheet_title_is_never_a_formula():
    from partybuilding.serving.selectors import feedback_sheet_workbook

    sheet = {"org": SimpleNamespace(name=PAYLOAD), "year": 2026, "quarter": 1, "rows": []}
    cells = _xlsx(feedback_sheet_workbook(sheet))
    assert not [c.coordinate for c in cells if c.data_type == "f"]


def test_the_template_workbook_never_holds_a_formula():
    columns = [Column(key="a", header="=A", required=True, format="-x", example=PAYLOAD)]
    cells = _xlsx(template_workbook(columns=columns, text_keys=(), title="t"))
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert "'" + PAYLOAD in [c.value for c in cells]


# --- Redirects --------------------------------------------------------------------------------------


def _visit_form(**extra):
    from django.utils import timezone

    return {
        "mode": "home",
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "findings": "身体尚可",
        "major_event": "",
        "needs-TOTAL_FORMS": "0",
        "needs-INITIAL_FORMS": "0",
        "needs-MIN_NUM_FORMS": "0",
        "needs-MAX_NUM_FORMS": "5",
        **extra,
    }


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("https://evil.example/", "/grids/visits/due/"),
        ("//evil.example/", "/grids/visits/due/"),
        ("/\\evil.example/", "/grids/visits/due/"),
        ("javascript:alert(1)", "/grids/visits/due/"),
        ("/grids/visits/", "/grids/visits/"),
    ],
)
def test_the_visit_form_redirects_only_within_the_site(world, next_url, lands_on):
    resident = world.objects["resident_a"]
    client = _page_client(world.people["grid_worker"])
    url = f"{reverse('grids:visit-create')}?resident={resident.pk}"
    with isolated():
        response = client.post(url, _visit_form(resident=resident.pk, next=next_url))
    assert response.status_code == 302
    assert response["Location"] == lands_on


def test_safe_next_falls_back_to_the_default():
    factory = RequestFactory()
    request = factory.get("/", {"next": "https://evil.example/"})
    assert params.safe_next(request, "/home/") == "/home/"
    request = factory.post("/", {"next": "/grids/"})
    assert params.safe_next(request, "/home/") == "/grids/"
    request = factory.get("/", {"next": "http://testserver/grids/"})
    assert params.safe_next(request, "/home/") == "http://testserver/grids/"
