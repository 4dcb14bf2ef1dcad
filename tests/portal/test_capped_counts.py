"""Lists count at most `LIST_COUNT_CAP` rows (portal/paginator.py, issue 13 item 2): exact up to
the cap, "more than the cap" above it, on the API (`count_capped`, page numbers up to the cap,
`?cursor=` beyond) and on the pages; the count is of the caller's scope and its SQL stops at
cap + 1 rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from grids.models import Resident
from portal import paginator, process_memory
from portal.paginator import CappedPaginator
from portal.urls import api_router
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.helpers import login

pytestmark = pytest.mark.django_db

CAP = 5


@pytest.fixture
def small_cap(settings):
    settings.LIST_COUNT_CAP = CAP


@pytest.fixture
def seven_in_a_three_in_b(grid_a, grid_b):
    household_a, household_b = HouseholdFactory(grid=grid_a), HouseholdFactory(grid=grid_b)
    a = [ResidentFactory(household=household_a, name=f"陈{n}").pk for n in range(7)]
    b = [ResidentFactory(household=household_b, name=f"陈乙{n}").pk for n in range(3)]
    return a, b


# --- The API ----------------------------------------------------------------------------------


def test_a_list_longer_than_the_cap_says_so_and_pages_stop_at_the_cap(
    small_cap, seven_in_a_three_in_b, api_client_for, street_cadre
):
    client = api_client_for(street_cadre)  # sees all ten
    url = reverse("resident-list") + "?page_size=2"
    body = client.get(url).json()
    assert (body["count"], body["count_capped"]) == (CAP, True)
    last = client.get(url + "&page=3").json()  # rows 5 of the first 5
    assert len(last["results"]) == 1 and last["next"] is None
    beyond = client.get(url + "&page=4")
    assert beyond.status_code == 404
    assert "cursor" in beyond.json()["detail"]
    # The cursor walks the whole list.
    seen, page = [], client.get(url + "&cursor=").json()
    while True:
        seen += [row["id"] for row in page["results"]]
        if page["next"] is None:
            break
        page = client.get(page["next"]).json()
    assert len(seen) == len(set(seen)) == 10


def test_up_to_the_cap_the_count_is_exact_and_of_the_callers_scope(
    small_cap, seven_in_a_three_in_b, api_client_for, other_grid_worker, grid_b
):
    client = api_client_for(other_grid_worker)  # grid B: three residents
    body = client.get(reverse("resident-list")).json()
    assert body["count"] == 3 and "count_capped" not in body
    # At the cap exactly, still exact.
    ResidentFactory.create_batch(2, household=HouseholdFactory(grid=grid_b))
    body = client.get(reverse("resident-list")).json()
    assert body["count"] == CAP and "count_capped" not in body


def test_the_count_query_stops_at_the_cap(
    small_cap, seven_in_a_three_in_b, api_client_for, street_cadre
):
    client = api_client_for(street_cadre)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("resident-list") + "?search=陈")
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts, "no count query"
    assert all(f"LIMIT {CAP + 1}" in sql for sql in counts), counts


def test_the_schema_describes_count_capped():
    schema = SchemaGenerator(patterns=api_router.urls).get_schema(request=None, public=True)
    page = schema["components"]["schemas"]["PaginatedResidentList"]["oneOf"][0]
    assert "count_capped" not in page["required"]  # only on a capped page
    assert page["properties"]["count_capped"]["type"] == "boolean"


# --- The pages --------------------------------------------------------------------------------


def test_the_resident_page_says_more_than_the_cap(
    small_cap, seven_in_a_three_in_b, client, english, street_cadre
):
    login(client, street_cadre)
    html = client.get(reverse("grids:resident-list")).content.decode()
    assert f"More than {CAP}" in html
    assert f'data-capped="{CAP}"' in html
    assert "Page 1 of the first 1" not in html  # 20 to a page: one page


def test_the_resident_page_below_the_cap_gives_the_exact_number(
    small_cap, seven_in_a_three_in_b, client, english, other_grid_worker
):
    login(client, other_grid_worker)
    html = client.get(reverse("grids:resident-list")).content.decode()
    assert "3 residents" in html
    assert "More than" not in html


def test_a_list_in_memory_is_never_capped(small_cap):
    paginator = CappedPaginator(list(range(12)), 5)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (12, False, 3)


def test_a_capped_page_list_says_of_the_first(
    settings, small_cap, grid_a, client, english, street_cadre
):
    household = HouseholdFactory(grid=grid_a)
    ResidentFactory.create_batch(30, household=household)
    settings.LIST_COUNT_CAP = 25
    login(client, street_cadre)
    html = client.get(reverse("grids:resident-list") + "?page=2").content.decode()
    assert "Page 2 of the first 2" in html
    assert "More than 25" in html


# --- A list above the cap is remembered for a minute ----------------------------------------


def _counts(queries) -> int:
    return sum("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


def _list(client, url):
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url).json()
    return body, _counts(queries)


def test_a_list_above_the_cap_is_not_counted_again_for_a_minute(
    small_cap, seven_in_a_three_in_b, api_client_for, street_cadre, monkeypatch
):
    client = api_client_for(street_cadre)
    url = reverse("resident-list")
    body, counted = _list(client, url)
    assert (body["count"], body.get("count_capped"), counted) == (CAP, True, 1)
    body, counted = _list(client, url)
    assert (body["count"], body.get("count_capped"), counted) == (CAP, True, 0)
    # A minute later it is counted again, and a list fallen below the cap is exact again.
    in_a, _in_b = seven_in_a_three_in_b
    Resident.objects.filter(pk__in=in_a[:6]).delete()
    later = process_memory.time.monotonic() + paginator.DEFAULT_MEMORY_SECONDS + 1
    monkeypatch.setattr(process_memory.time, "monotonic", lambda: later)
    body, counted = _list(client, url)
    assert (body["count"], "count_capped" in body, counted) == (4, False, 1)


def test_the_memory_is_of_one_list_in_one_scope(
    small_cap, seven_in_a_three_in_b, api_client_for, street_cadre, other_grid_worker, grid_b
):
    street = api_client_for(street_cadre)
    assert street.get(reverse("resident-list")).json()["count_capped"] is True
    # Another scope, another filter: counted, and exactly.
    body, counted = _list(api_client_for(other_grid_worker), reverse("resident-list"))
    assert (body["count"], counted) == (3, 1)
    body, counted = _list(street, reverse("resident-list") + "?search=陈乙")
    assert (body["count"], "count_capped" in body, counted) == (3, False, 1)
    # Below the cap every view counts: a new row shows at once.
    ResidentFactory(household=HouseholdFactory(grid=grid_b), name="陈乙新")
    body, counted = _list(street, reverse("resident-list") + "?search=陈乙")
    assert (body["count"], counted) == (4, 1)


def test_the_memory_can_be_turned_off(
    settings, small_cap, seven_in_a_three_in_b, api_client_for, street_cadre
):
    settings.LIST_COUNT_CAP_MEMORY_SECONDS = 0
    client = api_client_for(street_cadre)
    assert _list(client, reverse("resident-list"))[1] == 1
    assert _list(client, reverse("resident-list"))[1] == 1


# --- What the count reads ---------------------------------------------------------------------


def _count_sql(rows) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        counted = CappedPaginator(rows, 20).count
    [query] = captured.captured_queries
    return counted, query["sql"]


def test_the_count_leaves_out_what_only_shows_on_each_row(seven_in_a_three_in_b):
    """An annotation a row shows (a rank, a flag) is not computed for every row counted — the
    count reads index entries, not the table — and a filter on it still counts."""
    from django.db.models import Case, IntegerField, Value, When

    a, _b = seven_in_a_three_in_b
    ranked = Resident.objects.annotate(
        first_of_a=Case(When(pk=a[0], then=Value(1)), default=Value(0), output_field=IntegerField())
    )
    counted, sql = _count_sql(ranked)
    assert counted == 10
    assert "CASE" not in sql
    counted, sql = _count_sql(ranked.filter(first_of_a=1))
    assert counted == 1
    assert "CASE" in sql  # in WHERE, where the rows are chosen


def test_the_count_keeps_what_decides_the_rows(seven_in_a_three_in_b):
    """Grouping, DISTINCT and aggregates decide which rows there are: those counts keep them."""
    from django.db.models import Count

    per_household = (
        Resident.objects.values("household").annotate(n=Count("pk")).order_by("household")
    )
    assert _count_sql(per_household)[0] == 2
    households = Resident.objects.values("household").distinct().order_by("household")
    assert _count_sql(households)[0] == 2
    with_tags = (
        Resident.objects.annotate(tag_count=Count("tags")).filter(tag_count=0).order_by("pk")
    )
    counted, sql = _count_sql(with_tags)
    assert counted == 10 and "COUNT(" in sql.split("FROM", 1)[1]
