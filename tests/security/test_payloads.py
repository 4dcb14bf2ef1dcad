"""An XSS and formula corpus saved through the API into every writable text field the OpenAPI
document lists, then every page and export that shows those objects is read:

- HTML is parsed (html5lib): no <script> holding a payload, no event-handler attribute, no
  `javascript:` link, and the raw `<script>alert(1)</script>` never appears unescaped;
- xlsx is read with openpyxl: no cell is a formula (data_type 'f');
- csv is read with the csv module: no cell starts with = + - @, tab or carriage return.

Fields are the string properties (no format, no enum) of each PATCH operation's request body;
the object patched is a planted one the first person able to change it can see, so the other
fields stay valid. Each round puts a different payload into every field, then sweeps the pages
(every page route without an id, the detail pages of the patched objects, every export as csv
and xlsx). Counts: payloads × fields tried and saved, pages read.
"""

from __future__ import annotations

import os
import re

import html5lib
import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.helpers import login
from tests.security.conftest import (
    COUNTS,
    XLSX_TYPE,
    csv_formula_cells,
    isolated,
    response_bytes,
    xlsx_formula_cells,
)
from tests.security.test_crawler import (
    _fill,
    _project_frame,
    api_model,
    api_operations,
    ids_for,
    model_for_name,
    page_routes,
)

pytestmark = pytest.mark.django_db

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}<b>ssti</b>",
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "'><svg onload=alert(1)>",
)
# Each round puts a different payload into every field (shifted by field), then sweeps the pages:
# four rounds put every payload into dozens of fields while keeping the sweep affordable.
ROUNDS = int(os.environ.get("SECURITY_PAYLOAD_ROUNDS", "4"))
EDITORS = ("street_admin", "street_cadre", "party_officer", "integration", "other_partner_staff")
SCRIPT = "<script>alert(1)</script>"
NAMESPACE = "http://www.w3.org/1999/xhtml"


def _ref(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def text_fields(schema: dict, operation: dict) -> dict[str, int | None]:
    """{field: maxLength} of the free-text string properties of an operation's JSON body."""
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema")
    if not body:
        return {}
    props = _ref(schema, body).get("properties", {})
    fields = {}
    for name, prop in props.items():
        prop = _ref(schema, prop) if "$ref" in prop else prop
        if prop.get("readOnly") or prop.get("type") != "string":
            continue
        if prop.get("format") or prop.get("enum") or prop.get("pattern"):
            continue
        fields[name] = prop.get("maxLength")
    return fields


def _people(world) -> dict:
    return {
        **world.people,
        "integration": world.integration,
        "other_partner_staff": world.other_partner_staff,
    }


def _editor_clients(world) -> dict[str, APIClient]:
    people = _people(world)
    clients = {}
    for name in EDITORS:
        client = APIClient()
        client.force_authenticate(people[name])
        clients[name] = client
    return clients


@pytest.fixture(scope="module")
def targets(world, django_db_blocker):
    """[(path with the id, fields, editor name, model, pk)] of every PATCH operation with free
    text, on a planted object its editor may change (an empty PATCH answers 200)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    people = _people(world)
    clients = _editor_clients(world)
    found = []
    with django_db_blocker.unblock():
        for path, method, operation in api_operations():
            if method != "patch":
                continue
            fields = text_fields(schema, operation)
            COUNTS["payloads: PATCH operations"] += 1
            if not fields:
                continue
            model = api_model(path)
            for editor in EDITORS:
                pk = ids_for(model, people[editor]).get("in")
                if pk is None:
                    continue
                url = re.sub(r"\{[^}]+\}", str(pk), path)
                with isolated():
                    status = clients[editor].patch(url, {}, format="json").status_code
                if status == 200:
                    found.append((url, fields, editor, model, pk))
                    break
            else:
                COUNTS["payloads: PATCH operations nobody could use"] += 1
    return found


def _sweep_urls(world, editor: str, patched: list) -> list[str]:
    """Every page route without an id, the detail pages of the patched objects' models, and
    every export as csv and xlsx."""
    urls = []
    for route in page_routes():
        if not route.name or route.is_admin or route.name in ("logout", "set_language"):
            continue
        if not route.params:
            url = reverse(route.name)
            urls.append(url)
            if "export" in route.name or route.pattern.endswith(".xlsx"):
                urls += [url + "?format=csv", url + "?format=xlsx"]
            continue
        model = model_for_name(route.name)
        for _url, _fields, who, patched_model, pk in patched:
            if who == editor and model is patched_model and route.converters[0] == "int":
                try:
                    urls.append(reverse(route.name, kwargs=_fill(route, pk, None)))
                except Exception:  # noqa: S112 — a nested route the filler cannot build
                    continue
    return list(dict.fromkeys(urls))


def html_problems(text: str) -> list[str]:
    problems = []
    if SCRIPT in text:
        problems.append("raw <script>alert(1)</script>")
    document = html5lib.parse(text, namespaceHTMLElements=False)
    for element in document.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "script" and "alert(1)" in (element.text or ""):
            problems.append(f"<script> runs {element.text[:60]!r}")
        for name, value in element.attrib.items():
            if name.lower().startswith("on") and "alert(1)" in value:
                problems.append(f"<{tag} {name}={value[:60]!r}>")
            if name.lower() in ("href", "src", "action", "formaction") and re.match(
                r"\s*javascript:", value, re.IGNORECASE
            ):
                problems.append(f"<{tag} {name}={value[:60]!r}>")
    return problems


def read_problems(response) -> list[str]:
    body = response_bytes(response)
    kind = response.get("Content-Type", "")
    if kind.startswith(XLSX_TYPE):
        COUNTS["payloads: workbooks read"] += 1
        return [f"live formula {cell}" for cell in xlsx_formula_cells(body)]
    if kind.startswith("text/csv"):
        COUNTS["payloads: csv files read"] += 1
        return [f"formula-led cell {cell[:40]!r}" for cell in csv_formula_cells(body)]
    if kind.startswith("text/html"):
        COUNTS["payloads: HTML pages read"] += 1
        return html_problems(body.decode("utf-8", errors="replace"))
    return []


def test_the_corpus_is_never_live_in_pages_or_exports(world, targets):
    assert len(targets) >= 12, targets  # most resources take free text
    clients = _editor_clients(world)
    failures, saved = [], 0
    editors = sorted({editor for _url, _fields, editor, _model, _pk in targets})
    sweeps = {editor: _sweep_urls(world, editor, targets) for editor in editors}
    people = _people(world)
    for round_ in range(ROUNDS):
        for index, (url, fields, editor, _model, _pk) in enumerate(targets):
            for offset, (field, limit) in enumerate(sorted(fields.items())):
                payload = PAYLOADS[(round_ + index + offset) % len(PAYLOADS)]
                if limit is not None and len(payload) > limit:
                    continue
                COUNTS["payloads: payloads × fields tried"] += 1
                try:
                    with transaction.atomic():  # a crash undoes this PATCH only
                        response = clients[editor].patch(url, {field: payload}, format="json")
                except Exception as exc:  # the view raised: a 500
                    failures.append(f"PATCH {url} {field}={payload!r} → {_project_frame(exc)}")
                    continue
                if response.status_code >= 500:
                    failures.append(f"PATCH {url} {field}={payload!r} → {response.status_code}")
                elif response.status_code == 200:
                    saved += 1
                    COUNTS["payloads: payloads × fields saved"] += 1
        for editor in editors:
            client = login(Client(raise_request_exception=False), people[editor])
            for page in sweeps[editor]:
                with isolated():
                    response = client.get(page)
                COUNTS["payloads: responses read"] += 1
                if response.status_code >= 500:
                    continue  # the crawler reports 500s; here only what the reader sees
                failures += [f"{editor} GET {page}: {p}" for p in read_problems(response)]
    tried = COUNTS["payloads: payloads × fields tried"]
    assert saved >= 0.7 * tried, (saved, tried)  # most payloads are accepted as text
    assert not failures, "\n".join(dict.fromkeys(failures))


def test_the_checks_see_what_they_look_for():
    """The readers flag what they must (so a pass above means something)."""
    assert html_problems(f"<p>{SCRIPT}</p>")
    assert html_problems('<img src=x onerror="alert(1)">')
    assert html_problems('<a href=" javascript:alert(1)">x</a>')
    assert not html_problems("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")
    assert csv_formula_cells('名字,=HYPERLINK("http://x","y")\r\n'.encode())
    assert csv_formula_cells(b"a,\t=1\r\n")
    assert not csv_formula_cells(b"a,-1.5,'=1\r\n")
