"""Shared test helpers: the person × action access matrix and query-count checks."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient


@dataclass(frozen=True)
class Call:
    """One action on a resource: HTTP method, URL and optional JSON body."""

    method: str
    url: str
    data: dict | None = None


def api_call(user, call: Call) -> int:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    response = getattr(client, call.method)(call.url, data=call.data, format="json")
    return response.status_code


MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def login(client, user):
    """force_login through the model backend (django-axes' backend, listed first, loads no users)."""
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def page_call(user, call: Call) -> int:
    from django.test import Client

    client = Client()
    if user is not None:
        login(client, user)
    response = getattr(client, call.method)(call.url, data=call.data or {})
    return response.status_code


def assert_access_matrix(
    *,
    people: dict[str, object],
    actions: dict[str, Call],
    expected: dict[str, dict[str, int]],
    perform: Callable = api_call,
) -> None:
    """Every person performs every action; the status table must equal `expected`.

    Each cell runs in its own savepoint that is rolled back, so a successful delete or update
    by one person does not change what the next person meets. On failure the whole table is
    printed, expected against actual, so one run shows every wrong cell.
    """
    actual: dict[str, dict[str, int]] = {}
    for person, user in people.items():
        actual[person] = {}
        for name, call in actions.items():
            with transaction.atomic():
                actual[person][name] = perform(user, call)
                transaction.set_rollback(True)
    wrong = [
        f"  {person:<22} {name:<10} expected {expected[person][name]} got {actual[person][name]}"
        for person in people
        for name in actions
        if expected[person][name] != actual[person][name]
    ]
    assert not wrong, "access matrix mismatch:\n" + "\n".join(wrong)


def count_queries(func: Callable) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def assert_constant_queries(*, add_rows: Callable[[int], None], fetch: Callable[[], object]) -> int:
    """The same number of queries for 1 row and for 20 rows; prints the SQL if not.

    `add_rows(n)` creates n more visible rows; `fetch()` performs the request. Returns the count.
    """
    add_rows(1)
    fetch()  # warm caches (content types, sessions) so both measured runs see the same state
    one, sql_one = count_queries(fetch)
    add_rows(19)
    twenty, sql_twenty = count_queries(fetch)
    assert one == twenty, f"{one} queries for 1 row but {twenty} for 20 rows:\n" + "\n".join(
        sql_twenty[len(sql_one) - 3 :] if twenty > one else sql_twenty
    )
    return one
