"""Shared test helpers: the person × action access matrix and query-count checks."""

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def login(client, user):
    """force_login through the model backend (django-axes' backend, listed first, loads no users)."""
    client.force_login(user, backend=MODEL_BACKEND)
    return client


# --- The access matrix ------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One action on a resource: HTTP method, URL and optional body (JSON for the API, form
    fields for pages)."""

    method: str
    url: str
    data: dict | None = None


def api_call(user, call: Call) -> int:
    """The status the REST API answers `user` (None: anonymous) for `call`."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    response = getattr(client, call.method)(call.url, data=call.data, format="json")
    return response.status_code


def page_call(user, call: Call) -> int:
    """The status a page answers `user` (None: anonymous) for `call`, logged in by session."""
    from django.test import Client

    client = Client()
    if user is not None:
        login(client, user)
    response = getattr(client, call.method)(call.url, data=call.data or {})
    return response.status_code


ANONYMOUS = "anonymous"


def status_table(text: str) -> tuple[list[str], dict[str, dict[str, int]]]:
    """Read a matrix written as a table: a header of action names, then one row per person.

        '''
                          list  detail  create
        street_admin      200   200     302
        # a comment line, to say why a row reads as it does
        anonymous         302   302     302
        '''

    Returns (the actions in header order, {person: {action: status}}).
    """
    lines = [line.split() for line in text.splitlines()]
    lines = [words for words in lines if words and not words[0].startswith("#")]
    header, rows = lines[0], lines[1:]
    table: dict[str, dict[str, int]] = {}
    for person, *codes in rows:
        assert len(codes) == len(header), f"{person}: {len(codes)} statuses for {len(header)}"
        assert person not in table, f"{person} has two rows"
        table[person] = {action: int(code) for action, code in zip(header, codes, strict=True)}
    return header, table


def assert_access_matrix(
    request,
    actions: dict[str, Call],
    expected: str,
    *,
    perform: Callable = api_call,
) -> None:
    """Every person of `expected` performs every action; the statuses must be the table's.

    `request` is pytest's: each row names a person fixture of tests/conftest.py (`anonymous` is
    the visitor who is not logged in). `actions` is the resource: name → Call (method, URL,
    body). `expected` is a table of statuses (see `status_table`) whose columns are exactly
    `actions`. `perform` is `api_call` (DRF, JSON) or `page_call` (pages, a session login).

    Each cell runs in its own savepoint that is rolled back, so a successful delete or update
    by one person does not change what the next person meets. On failure the whole table is
    printed, expected against actual, so one run shows every wrong cell.
    """
    header, table = status_table(expected)
    assert set(header) == set(actions), f"columns {header} are not the actions {list(actions)}"
    people = {
        person: None if person == ANONYMOUS else request.getfixturevalue(person) for person in table
    }
    actual: dict[str, dict[str, int]] = {}
    for person, user in people.items():
        actual[person] = {}
        for name in header:
            with transaction.atomic():
                actual[person][name] = perform(user, actions[name])
                transaction.set_rollback(True)
    if actual != table:
        width = max(map(len, table)) + 2
        lines = ["".ljust(width) + "".join(f"{name:>12}" for name in header)]
        for person in table:
            cells = "".join(
                f"{actual[person][name]:>12}"
                if actual[person][name] == table[person][name]
                else f"{table[person][name]}→{actual[person][name]}".rjust(12)
                for name in header
            )
            lines.append(person.ljust(width) + cells)
        raise AssertionError("access matrix mismatch (expected→actual):\n" + "\n".join(lines))


# --- Query counts -----------------------------------------------------------------------------


def count_queries(func: Callable) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def assert_constant_queries(
    *, add_rows: Callable[[int], None], fetch: Callable[[], object], expected: int | None = None
) -> int:
    """The same number of queries for 1 row and for 20 rows (and `expected`, when pinned);
    prints the SQL if not.

    `add_rows(n)` creates n more visible rows; `fetch()` performs the request. Returns the count.
    Pin `expected` with a comment listing the queries, so that a new query on a key page is a
    decision someone reads, not a drift.
    """
    add_rows(1)
    fetch()  # warm caches (content types, sessions) so both measured runs see the same state
    one, sql_one = count_queries(fetch)
    add_rows(19)
    twenty, sql_twenty = count_queries(fetch)
    assert one == twenty, f"{one} queries for 1 row but {twenty} for 20 rows:\n" + "\n".join(
        sql_twenty[len(sql_one) - 3 :] if twenty > one else sql_twenty
    )
    if expected is not None:
        listing = "\n".join(f"{n:>3}. {sql}" for n, sql in enumerate(sql_one, 1))
        assert one == expected, f"{one} queries, {expected} pinned:\n{listing}"
    return one


# --- Query plans ------------------------------------------------------------------------------


def plan_when_only_indexes(sql: str, params=None) -> str:
    """PostgreSQL's plan of `sql` with sequential scans, bitmap scans and sorts forbidden: an
    index that answers the query in its order shows by name and without a Sort node; one that
    cannot (an expression written differently, a column missing) leaves a Sort or a scan the
    planner was told to avoid. Test data is small, so the planner's own choice proves nothing."""
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in ("enable_sort", "enable_seqscan", "enable_bitmapscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


# --- The API's answers against its own OpenAPI document ----------------------------------------


@functools.cache
def openapi_document() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _json_schema(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema: the value may also be null."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        if isinstance(converted.get("type"), str):
            converted["type"] = [converted["type"], "null"]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


def assert_answer_documented(response, path: str, method: str = "get") -> None:
    """The JSON of `response` is what the OpenAPI document says `method path` answers with that
    status (`path` as the document writes it: `/api/v1/buildings/{id}/dwellings/`)."""
    import jsonschema

    spec = openapi_document()
    operation = spec["paths"][path][method.lower()]
    documented = operation["responses"].get(str(response.status_code))
    assert documented, f"{method.upper()} {path} does not document {response.status_code}"
    body = documented["content"]["application/json"]["schema"]
    schema = _json_schema({**body, "components": spec["components"]})
    jsonschema.validate(response.json(), schema)
