"""`?cursor=` on every API list (portal/api/pagination.py, docs/api.md "Pagination"): a keyset
walk that visits every row once while rows come and go, within the caller's scope, without a
count; a bad cursor is a 400. Without `?cursor=` the page-number answer is unchanged."""

import base64
import json
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from grids import writes as grid_writes
from grids.models import GridAssignment, Resident, ResidentTag, TagDef
from portal.urls import api_router
from tests.grids.factories import HouseholdFactory, ResidentFactory, TagDefFactory
from tests.helpers import assert_constant_queries
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db


def cursor_of(**tokens) -> str:
    """A cursor as DRF encodes one: base64 of a query string (o offset, r reverse, p position)."""
    return base64.b64encode(urlencode(tokens).encode()).decode()


def position(**values) -> str:
    return cursor_of(p=json.dumps(values))


def walk(client, url, *, between=None, max_pages=100) -> list[int]:
    """Follow `next` from `url` to the end; the ids in the order they came. `between(n)` runs
    after page n (from 0) has been read, before the next is asked for."""
    seen: list[int] = []
    for number in range(max_pages):
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"next", "previous", "results"}
        seen.extend(row["id"] for row in body["results"])
        if body["next"] is None:
            return seen
        if between is not None:
            between(number)
        url = body["next"]
    raise AssertionError("the walk did not end")


def walk_back(client, url, *, max_pages=100) -> list[int]:
    """From the last page reached from `url`, follow `previous` to the first: the ids in
    forward order."""
    while (body := client.get(url).json())["next"] is not None:
        url = body["next"]
    pages = [[row["id"] for row in body["results"]]]
    for _ in range(max_pages):
        if body["previous"] is None:
            return [pk for page in reversed(pages) for pk in page]
        response = client.get(body["previous"])
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([row["id"] for row in body["results"]])
    raise AssertionError("the walk back did not end")


def _residents(household, names):
    return [ResidentFactory(household=household, name=name).pk for name in names]


# --- A walk sees every row once ----------------------------------------------------------


def test_a_cursor_walk_visits_every_visible_row_once_while_rows_are_added(
    api_client_for, grid_worker, grid_a, grid_b
):
    """Names repeat across page boundaries (groups of 5, pages of 7). Between pages, rows are
    added with a name between the last two names walked, with the name of the page's last
    row, at the very end, and out of scope: DRF's own cursor (one field, and an offset among
    equal values) repeats a row here; the whole key as position does not."""
    household = HouseholdFactory(grid=grid_a)
    names = [f"陈名-{group:02d}" for group in range(1, 7) for _ in range(5)]
    visible = set(_residents(household, names))
    hidden = set(_residents(HouseholdFactory(grid=grid_b), names[:10]))
    client = api_client_for(grid_worker)
    added_at_the_end: list[int] = []
    added: set[int] = set()

    def add_rows(page):
        last_name = Resident.objects.get(pk=seen[-1]).name
        group = int(last_name.removeprefix("陈名-")[:2])
        added.update(_residents(household, [f"陈名-{group - 1:02d}z", last_name]))
        added_at_the_end.extend(_residents(household, [f"陈名-99-{page}"]))
        hidden.update(_residents(HouseholdFactory(grid=grid_b), [last_name]))

    seen: list[int] = []
    url = reverse("resident-list") + "?cursor=&page_size=7"
    for page in range(50):
        body = client.get(url).json()
        seen.extend(row["id"] for row in body["results"])
        if body["next"] is None:
            break
        add_rows(page)
        url = body["next"]

    assert len(seen) == len(set(seen)), "a row came twice"
    assert visible <= set(seen), "a row was skipped"
    assert not set(seen) & hidden, "a row out of scope"
    assert set(seen) <= visible | added | set(added_at_the_end)
    assert [pk for pk in seen if pk in added_at_the_end] == added_at_the_end, "rows added ahead"


def test_the_walk_follows_the_lists_order_and_ends_with_id(api_client_for, street_admin, grid_a):
    household = HouseholdFactory(grid=grid_a)
    for day in (3, 1, 2, 1, 3, 2, 1):
        ResidentFactory(household=household, birth_date=date(1950, 1, day))
    client = api_client_for(street_admin)
    expected = list(
        Resident.objects.order_by("-birth_date", "id").values_list("pk", flat=True)
    )  # the street sees every resident

    url = reverse("resident-list") + "?ordering=-birth_date&cursor=&page_size=2"
    assert walk(client, url) == expected
    assert walk_back(client, url) == expected
    default = reverse("resident-list") + "?cursor=&page_size=3"  # the model's name, id
    assert walk(client, default) == list(
        Resident.objects.order_by("name", "id").values_list("pk", flat=True)
    )


def test_previous_gives_back_the_page_before(api_client_for, grid_worker, grid_a):
    household = HouseholdFactory(grid=grid_a)
    _residents(household, [f"王{n % 4}" for n in range(12)])
    client = api_client_for(grid_worker)
    first = client.get(reverse("resident-list") + "?cursor=&page_size=4").json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    assert first["previous"] is None
    assert client.get(third["previous"]).json()["results"] == second["results"]
    assert client.get(second["previous"]).json()["results"] == first["results"]


def test_nullable_order_walks_every_row_once_both_ways(api_client_for, street_admin, grid_a):
    """`?ordering=end_date`: open assignments (no end date) sort after the ended ones on
    PostgreSQL, and the walk crosses from dates to NULLs and back."""
    ends = [None, date(2025, 6, 1), None, date(2025, 3, 1), date(2025, 6, 1), None, None]
    for end in ends:
        assignment = grid_writes.grid_assign(
            actor=None,
            person=UserFactory(),
            grid=grid_a,
            post="part_time",
            start_date=date(2025, 1, 1),
        )
        GridAssignment.objects.filter(pk=assignment.pk).update(end_date=end)
    client = api_client_for(street_admin)

    for ordering in ("end_date", "-end_date"):
        expected = list(
            GridAssignment.objects.order_by(ordering, "id").values_list("pk", flat=True)
        )
        url = reverse("gridassignment-list") + f"?ordering={ordering}&cursor=&page_size=2"
        assert walk(client, url) == expected, ordering
        assert walk_back(client, url) == expected, ordering


def test_a_list_ordered_through_related_rows_is_walked_by_id(
    api_client_for, community_cadre, grid_a
):
    """Tags on residents list by resident and tag (relations): a cursor walks them by id; an
    explicit ordering through a relation cannot be walked and says so."""
    household = HouseholdFactory(grid=grid_a)
    for resident in ResidentFactory.create_batch(3, household=household):
        for code in ("t_b", "t_a"):
            ResidentTag.objects.create(resident=resident, tag=TagDefFactory(code=code))
    client = api_client_for(community_cadre)

    assert walk(client, reverse("residenttag-list") + "?cursor=&page_size=4") == sorted(
        ResidentTag.objects.values_list("pk", flat=True)
    )
    response = client.get(reverse("residenttag-list") + "?ordering=resident&cursor=")
    assert response.status_code == 400
    assert list(response.json()) == ["ordering"]


def test_the_due_list_walks_its_risk_order(api_client_for, grid_worker, grid_a):
    """The due list orders by annotations (major event, tier, due time, id)."""
    high = TagDefFactory(code="t_high", group=TagDef.Group.ELDERLY, visit_tier=TagDef.Tier.HIGH)
    key = TagDefFactory(code="t_key", group=TagDef.Group.ELDERLY, visit_tier=TagDef.Tier.KEY)
    household = HouseholdFactory(grid=grid_a)
    for n in range(7):
        resident = ResidentFactory(household=household)
        ResidentTag.objects.create(resident=resident, tag=high if n % 2 else key)
    client = api_client_for(grid_worker)
    by_pages = client.get(reverse("visit-due") + "?page_size=200").json()["results"]
    expected = [row["id"] for row in by_pages]

    assert len(expected) == 7
    assert walk(client, reverse("visit-due") + "?cursor=&page_size=3") == expected
    assert walk_back(client, reverse("visit-due") + "?cursor=&page_size=3") == expected


# --- With ?updated_since= ------------------------------------------------------------------


def test_updated_since_walks_rows_changed_at_one_time_each_once(
    api_client_for, integration, grid_a
):
    """An import gives thousands of rows one `updated_at`; the cursor walks them by
    (updated_at, id). A row changed during the walk comes again at the end; none is lost."""
    household = HouseholdFactory(grid=grid_a)
    pks = _residents(household, [f"李{n}" for n in range(23)])
    imported_at = timezone.now() - timedelta(hours=1)
    Resident.objects.filter(pk__in=pks).update(updated_at=imported_at)
    older = ResidentFactory(household=household)
    Resident.objects.filter(pk=older.pk).update(updated_at=imported_at - timedelta(days=1))
    client = api_client_for(integration)
    changed: list[int] = []

    def change_rows(page):
        if page < 3:  # one the walk has not reached yet, from its far end
            resident = Resident.objects.get(pk=pks[-1 - page])
            resident.save(update_fields=["name"])
            changed.append(resident.pk)
        if page == 1:  # and one it has passed
            Resident.objects.get(pk=pks[0]).save(update_fields=["name"])
            changed.append(pks[0])

    since = (imported_at - timedelta(seconds=1)).isoformat()
    url = reverse("resident-list") + "?" + urlencode({"updated_since": since, "cursor": ""})
    seen = walk(client, url + "&page_size=5", between=change_rows)

    assert set(seen) == set(pks)
    assert older.pk not in seen
    assert len(seen) == len(pks) + 1, "only the row changed after it was read comes twice"
    assert seen[: len(pks) - 3] == pks[:-3]
    assert seen[-len(changed) :] == changed, "changed rows come again, at the end"


# --- Scope, counts, shapes -----------------------------------------------------------------


def test_no_cursor_reveals_a_row_out_of_scope(api_client_for, grid_worker, resident_a, resident_b):
    client = api_client_for(grid_worker)
    forged = [
        position(name="", id=0),
        position(name=resident_b.name, id=resident_b.pk - 1),
        cursor_of(r="1", p=json.dumps({"name": "\U0010ffff", "id": 2**40})),
    ]
    for cursor in forged:
        response = client.get(reverse("resident-list"), {"cursor": cursor})
        assert response.status_code == 200, response.content
        assert {row["id"] for row in response.json()["results"]} <= {resident_a.pk}
    for name in ("resident", "household"):
        assert set(walk(client, reverse(f"{name}-list") + "?cursor=")) == {
            resident_a.pk if name == "resident" else resident_a.household_id
        }


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!not base64",
        "w6k=",  # not ASCII inside
        cursor_of(o="5", p=json.dumps({"name": "陈", "id": 1})),  # our links carry no offset
        cursor_of(r="x"),
        cursor_of(p="not json"),
        cursor_of(p="[1, 2]"),
        position(id=5),  # made for another order
        position(name="陈", id=5, extra=1),
        position(name="陈", id="five"),
        position(name="陈", id=2**70),  # beyond the column's range
        position(name="陈", id=None),
        position(name="a\x00b", id=5),
        position(name="陈" * 65, id=5),  # longer than the column
        position(name=["陈"], id=5),
    ],
)
def test_a_bad_cursor_is_a_400_on_cursor(api_client_for, grid_worker, resident_a, cursor):
    response = api_client_for(grid_worker).get(reverse("resident-list"), {"cursor": cursor})

    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2026-01-31", "2026-01-31T08:00:00", "9999-99-99T00:00:00+08:00", 12],
)
def test_a_bad_time_in_a_cursor_is_a_400(api_client_for, integration, resident_a, value):
    query = {"updated_since": "2020-01-01T00:00:00+08:00"}
    query["cursor"] = position(updated_at=value, id=resident_a.pk)
    response = api_client_for(integration).get(reverse("resident-list"), query)

    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


def test_cursor_pages_count_nothing(api_client_for, grid_worker, grid_a):
    household = HouseholdFactory(grid=grid_a)
    _residents(household, [f"赵{n}" for n in range(5)])
    client = api_client_for(grid_worker)
    first = client.get(reverse("resident-list") + "?cursor=&page_size=2").json()

    for name, url in (
        ("resident", reverse("resident-list") + "?cursor="),
        ("resident", first["next"]),
        ("household", reverse("household-list") + "?cursor="),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert "count" not in response.json()
        counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
        assert counts == [], f"{name}: {counts}"


def test_cursor_pages_cost_the_same_queries_for_1_row_and_for_20(
    api_client_for, grid_worker, grid_a
):
    client = api_client_for(grid_worker)
    household = HouseholdFactory(grid=grid_a)

    def fetch():
        response = client.get(reverse("resident-list") + "?cursor=")
        assert response.status_code == 200
        assert response.json()["results"]

    assert_constant_queries(
        add_rows=lambda n: ResidentFactory.create_batch(n, household=household), fetch=fetch
    )


def test_page_numbers_keep_their_shape_and_count(api_client_for, grid_worker, grid_a):
    household = HouseholdFactory(grid=grid_a)
    _residents(household, [f"孙{n}" for n in range(3)])
    client = api_client_for(grid_worker)

    body = client.get(reverse("resident-list") + "?page=2&page_size=2").json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == 3
    assert "page=1" not in body["previous"] and "cursor" not in body["previous"]


def test_the_count_of_a_page_joins_nothing_it_does_not_filter_on(
    api_client_for, grid_worker, grid_a
):
    """Django's count() leaves out the list's order and its select_related joins; the flat
    lists must not bring a join back (grids/api/flat.py)."""
    household = HouseholdFactory(grid=grid_a)
    ResidentFactory(household=household)
    client = api_client_for(grid_worker)

    for name in ("resident", "household"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(f"{name}-list")).status_code == 200
        counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
        assert len(counts) == 1, name
        assert " JOIN " not in counts[0] and "ORDER BY" not in counts[0], counts[0]


@pytest.mark.parametrize("person", ["street_admin", "integration", "grid_worker"])
def test_every_list_of_the_api_pages_by_cursor(request, api_client_for, person, resident_a):
    client = api_client_for(request.getfixturevalue(person))
    lists = [
        basename for _prefix, viewset, basename in api_router.registry if hasattr(viewset, "list")
    ]
    assert len(lists) > 30
    answered = 0
    for basename in lists:
        response = client.get(reverse(f"{basename}-list"), {"cursor": ""})
        assert response.status_code in (200, 403), (basename, response.content)
        if response.status_code == 200 and "results" in response.json():  # paged lists
            answered += 1
            assert set(response.json()) == {"next", "previous", "results"}, basename
    assert answered > 5


def test_the_schema_describes_the_cursor_and_its_page():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/v1/residents/"]["get"]["parameters"]
    assert {"cursor", "page", "page_size"} <= {p["name"] for p in parameters}
    page, by_cursor = schema["components"]["schemas"]["PaginatedResidentList"]["oneOf"]
    assert "count" in page["required"]
    assert set(by_cursor["properties"]) == {"next", "previous", "results"}
    assert by_cursor["additionalProperties"] is False
