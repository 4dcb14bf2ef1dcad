"""Every GET of the OpenAPI document, called with real ids of the planted street, answers what
the document says it answers.

Schemathesis (test_schemathesis.py) guesses ids, so a detail route is only checked when a guess
hits a planted row. Here each `{id}` is taken from the list route above it (the first row the
street administrator sees, who sees the whole street), so every list, detail and detail action
with one id is called for real. Routes with other parameters are listed, not guessed.
"""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from tests.helpers import assert_answer_documented, openapi_document
from tests.security.conftest import COUNTS, isolated

pytestmark = pytest.mark.django_db

ONE_ID = re.compile(r"^(?P<list>/api/v1/.+?/)\{id\}/")


def _get_paths() -> list[str]:
    return sorted(
        path for path, operations in openapi_document()["paths"].items() if "get" in operations
    )


def _first_id(client, list_path: str, cache: dict):
    if list_path not in cache:
        with isolated():
            answer = client.get(list_path)
        rows = answer.json() if answer.status_code == 200 else None
        if isinstance(rows, dict):
            rows = rows.get("results")
        cache[list_path] = rows[0]["id"] if rows and isinstance(rows[0], dict) else None
    return cache[list_path]


def test_every_get_with_a_real_id_answers_as_documented(world):
    client = APIClient()
    client.force_authenticate(world.people["street_admin"])
    ids: dict = {}
    checked, unreached, other_parameters = [], [], []
    for path in _get_paths():
        url = path
        if "{" in path:
            match = ONE_ID.match(path)
            if not match or path.count("{") != 1:
                other_parameters.append(path)
                continue
            pk = _first_id(client, match["list"], ids)
            if pk is None:
                unreached.append(path)
                continue
            url = path.replace("{id}", str(pk))
        with isolated():
            answer = client.get(url)
        if answer.status_code != 200 or answer.get("Content-Type", "") != "application/json":
            unreached.append(f"{path} ({answer.status_code})")
            continue
        assert_answer_documented(answer, path)
        checked.append(path)
    COUNTS["schema answers checked with real ids"] = len(checked)
    COUNTS["schema GET routes with other parameters (not called)"] = len(other_parameters)
    # The planted street reaches most of the API (75 routes when this was written; the rest
    # have no planted row, or answer a summary rather than rows to take an id from): a floor,
    # so that this test cannot quietly check nothing.
    assert len(checked) >= 60, (checked, unreached)
