"""The route crawler: every URL pattern and every OpenAPI operation, as every named person and
anonymously, against one planted street (tests/security/conftest.py).

For each page route (GET) and each API operation (GET and the unsafe methods with an empty
body), path ids are filled three ways — an object the person may see, an object of the same
kind they may not see, and an id no row has — and the crawler asserts:

- no 5xx anywhere (an exception is a 500: its last frame in the project is reported);
- anonymous: pages redirect to the login page, the API answers 401/403 — except the routes of
  PUBLIC_PAGES (listed, each with its reason);
- an object outside the person's scope answers exactly like a missing one (same status, and
  404 when the missing one is a 404);
- the canary of the other scope (name 金丝雀甲, its 18-digit citizen ID, its household number)
  never appears in what a person outside its scope gets: pages, lists, searches (`?search=`,
  `?q=`), exports (`?format=csv|xlsx`, xlsx cells read with openpyxl), dashboards, API bodies.

The counts (routes crawled, requests made) are printed at the end of the run.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from functools import cache

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache as django_cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from rest_framework.test import APIClient

from tests.helpers import login
from tests.security.conftest import (
    CANARY_HOUSEHOLD,
    CANARY_NAME,
    COUNTS,
    MISSING_ID,
    isolated,
    response_text,
)

pytestmark = pytest.mark.django_db

PEOPLE = (
    "street_admin",
    "street_cadre",
    "community_cadre",
    "grid_leader",
    "grid_worker",
    "other_grid_worker",
    "partner_staff",
    "party_officer",
    "outsider",
    "anonymous",
)

# Pages an anonymous visitor may open (anything else must redirect to the login page).
PUBLIC_PAGES = {
    "login": "the login page itself",
    "logout": "logging out is harmless (Django answers GET with 405)",
    "healthz": "the load balancer's health check",
    "set_language": "choosing the language (i18n/setlang)",
    "javascript-catalog": "the translations the pages' scripts read",
    "api-schema": "the OpenAPI document (describes routes, holds no data)",
    "api-docs": "Swagger UI over that document",
    "admin:login": "the admin's login page",
    "admin:logout": "the admin's logout",
    "admin:password_reset": "Django's password reset form (not wired: 404)",
    "two-factor-verify": "the second step of logging in",
    "two-factor-setup": "the second step of logging in",
}
# Anonymous API answers: 401 (a token is asked for) or 403.
API_ANONYMOUS = {401, 403}
SEARCH = CANARY_NAME[:3]  # a prefix: the page may echo what was searched, never the full name
UNSAFE = ("post", "put", "patch", "delete")

# URL names whose first token does not name their model (the rest are found by name).
MODEL_ALIASES = {
    "hours": "partybuilding.ServiceHours",
    "need": "partybuilding.CommunityNeed",
    "import": "grids.ImportJob",
    "coverage": "grids.Region",
    "partner-statement": "services.Partner",
    "meal-import": "services.MealImport",
    "aid-bundle": "services.AidBundle",
    "aid-case": "services.AidCase",
    "contract": "services.FamilyDoctorContract",
    "training": "partybuilding.TrainingCourse",
    "training-threshold": "partybuilding.TrainingThreshold",
    "meeting": "partybuilding.OrgLifeMeeting",
    "meeting-requirement": "partybuilding.MeetingRequirement",
    "circle": "partybuilding.ExchangeCircle",
    "party-org": "partybuilding.PartyOrg",
    "member-report": "partybuilding.PartyMember",
    "lead-goose": "partybuilding.LeadGooseEnrolment",
    "task": "reporting.ReportTask",
    "assignment": "reporting.ReportAssignment",
    "delegation": "reporting.FieldDelegation",
    "template": "reporting.ReportTemplate",
    "field": "reporting.ReportTemplate",
    "element": "reporting.DataElement",
    "duty": "reporting.DutyItem",
    "alias": "reporting.IndicatorAlias",
    "services:need": "grids.VisitNeed",
    # second ids of nested routes (tag_pk, member_pk, ...)
    "tag": "grids.ResidentTag",
    "partybuilding:member": "partybuilding.AllianceMember",
    "agreement": "partybuilding.AllianceAgreement",
    "record": "partybuilding.TrainingRecord",
    "indicator": "partybuilding.ContestIndicator",
    "contestant": "partybuilding.Contestant",
    "judge": "partybuilding.ContestJudge",
    "milestone": "partybuilding.LeadGooseMilestone",
    "review": "reporting.FieldReview",
}
SLUG_VALUES = {"action": "submit", "kind": "overdue", "name": "open"}


# --- The routes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # namespaced URL name
    pattern: str
    params: tuple[str, ...]
    converters: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/v1/")

    @property
    def is_admin(self) -> bool:
        return self.name.startswith("admin:")


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), (namespace + p.name) if p.name else "", p


@cache
def all_routes() -> list[Route]:
    routes = []
    for pattern, name, p in _walk(get_resolver().url_patterns):
        converters = getattr(p.pattern, "converters", {}) or {}
        params = tuple(_params(pattern))
        routes.append(Route(name, pattern, params, tuple(_kind(converters.get(k)) for k in params)))
    return routes


def _kind(converter) -> str:
    """ "int" for a converter of digits (Django's or a bounded one), else its class name."""
    regex = getattr(converter, "regex", "")
    return "int" if regex.startswith(("[0-9]", r"\d")) else type(converter).__name__


def _params(pattern: str) -> list[str]:
    return [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", pattern)]


def page_routes() -> list[Route]:
    return [r for r in all_routes() if not r.is_api and not r.pattern.startswith("api/")]


@cache
def model_for_name(name: str):
    """The model a page route's pk names: its URL name's leading tokens, or MODEL_ALIASES."""
    from django.apps import apps

    if name.startswith("admin:"):
        match = re.match(r"admin:(\w+?)_(\w+)_(change|delete|history)$", name)
        if match:
            try:
                return apps.get_model(match[1], match[2])
            except LookupError:
                return None
        return None
    namespace, _, local = name.rpartition(":")
    tokens = local.split("-")
    for end in range(len(tokens), 0, -1):
        key = "-".join(tokens[:end])
        for alias in (f"{namespace}:{key}", key):
            if alias in MODEL_ALIASES:
                return apps.get_model(MODEL_ALIASES[alias])
        wanted = "".join(tokens[:end])
        for app in ("grids", "services", "partybuilding", "reporting", "portal"):
            for model in apps.get_app_config(app).get_models():
                if model._meta.model_name == wanted:
                    return model
    return None


def ids_for(model, user) -> dict[str, int]:
    """{"in": a visible pk, "out": an invisible pk, "missing": MISSING_ID} — those that exist."""
    ids = {"missing": MISSING_ID}
    if model is None:
        return ids
    manager = model._default_manager
    if hasattr(manager, "visible_to"):
        visible = manager.visible_to(user if user is not None else AnonymousUser())
        seen = visible.order_by("pk").values_list("pk", flat=True).first()
        hidden = manager.exclude(pk__in=visible.values("pk")).order_by("pk")
        hidden = hidden.values_list("pk", flat=True).first()
        if seen is not None:
            ids["in"] = seen
        if hidden is not None:
            ids["out"] = hidden
    else:
        first = manager.order_by("pk").values_list("pk", flat=True).first()
        if first is not None:
            ids["in"] = first
    return ids


# --- Calling ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    status: int
    text: str
    location: str
    error: str = ""


def _project_frame(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/.venv/" not in f.filename and "site-packages" not in f.filename]
    frame = (ours or frames)[-1]
    return f"{type(exc).__name__}: {exc} at {frame.filename}:{frame.lineno} ({frame.line})"


def call(client, method: str, url: str, *, data=None, read_body=True) -> Outcome:
    COUNTS["crawler: requests made"] += 1
    try:
        with isolated():
            if data is None:
                response = getattr(client, method)(url)
            else:
                response = getattr(client, method)(url, data=data, format="json")
            text = response_text(response) if read_body and response.status_code < 500 else ""
            return Outcome(response.status_code, text, response.get("Location", ""))
    except Exception as exc:  # the test client re-raises what the view raised: a 500
        return Outcome(500, "", "", _project_frame(exc))


def canary_words(world) -> tuple[str, ...]:
    return (CANARY_NAME, world.canary_id_number, CANARY_HOUSEHOLD)


def outside_canary_scope(world, user) -> bool:
    from grids.models import Resident

    if user is None:
        return True
    return not Resident.objects.visible_to(user).filter(pk=world.canary.pk).exists()


class Crawl:
    """One person's crawl: the failures found, by kind."""

    def __init__(self, world, person: str):
        self.world = world
        self.person = person
        self.user = world.people[person]
        self.failures: list[str] = []
        self.blind = outside_canary_scope(world, self.user)
        self.page = Client()
        self.api = APIClient()
        if self.user is not None:
            login(self.page, self.user)
            self.api.force_authenticate(self.user)
        django_cache.clear()  # throttles count per person; start each person afresh

    def fail(self, text: str) -> None:
        self.failures.append(f"{self.person}: {text}")

    def check(self, method: str, url: str, outcome: Outcome, *, api: bool, public=False) -> None:
        if outcome.status >= 500:
            self.fail(f"{method.upper()} {url} → {outcome.status} {outcome.error}")
            return
        if self.user is None and not public:
            if api and outcome.status not in API_ANONYMOUS:
                self.fail(f"anonymous {method.upper()} {url} → {outcome.status}, not 401/403")
            if not api and not (
                outcome.status == 302
                and _is_login(outcome.location, admin=url.startswith("/admin/"))
            ):
                self.fail(
                    f"anonymous {method.upper()} {url} → {outcome.status} "
                    f"{outcome.location!r}, not a redirect to the login page"
                )
        if self.blind and outcome.text:
            for word in canary_words(self.world):
                if word in outcome.text:
                    self.fail(f"{method.upper()} {url} shows the canary's {word!r}")

    def compare(self, method: str, urls: dict[str, str], outcomes: dict[str, Outcome]) -> None:
        """Outside the scope answers like missing: same status (404 where missing is 404)."""
        if "out" not in outcomes or outcomes["out"].status >= 500:
            return
        out, missing = outcomes["out"], outcomes["missing"]
        if 429 in (out.status, missing.status) or missing.status >= 500:
            return
        if out.status != missing.status:
            self.fail(
                f"{method.upper()} {urls['out']} (outside scope) → {out.status}, but "
                f"{urls['missing']} (missing) → {missing.status}"
            )


def _is_login(location: str, *, admin: bool) -> bool:
    path = location.split("?")[0]
    return path.endswith(reverse(settings.LOGIN_URL)) or (admin and path.endswith("/admin/login/"))


# --- Pages ---------------------------------------------------------------------------------------


def _fill(route: Route, primary_id: int, user) -> dict:
    kwargs = {}
    for index, (param, converter) in enumerate(zip(route.params, route.converters, strict=True)):
        if index == 0 and converter == "int":
            kwargs[param] = primary_id
        elif converter == "int":
            kwargs[param] = _secondary_id(route, param, user)
        elif param == "app_label":
            kwargs[param] = "grids"
        elif param == "object_id":
            kwargs[param] = str(primary_id)
        else:
            kwargs[param] = SLUG_VALUES.get(param, "x")
    return kwargs


def _secondary_id(route: Route, param: str, user) -> int:
    """tag_pk, member_pk, ...: an id of the model the name says, visible if possible."""
    namespace = route.name.rpartition(":")[0]
    model = model_for_name(f"{namespace}:{param.removesuffix('_pk').replace('_', '-')}")
    ids = ids_for(model, user)
    return ids.get("in", MISSING_ID)


def _probes(crawl: Crawl, route: Route, outcome: Outcome) -> tuple[str, ...]:
    """Searches and exports of a page a person outside the canary's scope can open."""
    if not crawl.blind or crawl.user is None or route.is_admin or outcome.status != 200:
        return ()
    if "export" in route.name or route.pattern.endswith((".xlsx", ".csv")):
        return ("?format=csv", "?format=xlsx")
    return (f"?q={SEARCH}", f"?search={SEARCH}", "?format=csv")


# Admin pages are Django's: staff see them, everyone else is sent to the admin's login.
ADMIN_PEOPLE = ("street_admin", "outsider", "anonymous")


def _primary_model(route: Route):
    if route.is_admin:
        return model_for_name(route.name)
    return model_for_name(route.name) if route.params else None


def crawl_pages(crawl: Crawl) -> None:
    for route in page_routes():
        if route.is_admin and crawl.person not in ADMIN_PEOPLE:
            continue
        if not route.name:
            COUNTS["crawler: unnamed routes skipped"] += 1
            continue
        COUNTS["crawler: page route visits"] += 1
        public = route.name in PUBLIC_PAGES
        if not route.params:
            url = reverse(route.name)
            outcome = call(crawl.page, "get", url)
            crawl.check("get", url, outcome, api=False, public=public)
            for query in _probes(crawl, route, outcome):
                crawl.check("get", url + query, call(crawl.page, "get", url + query), api=False)
            continue
        model = _primary_model(route)
        keyed = route.converters[0] == "int" or route.params[0] == "object_id"
        ids = ids_for(model, crawl.user) if keyed else {"missing": MISSING_ID}
        urls, outcomes = {}, {}
        for variant, pk in ids.items():
            try:
                url = reverse(route.name, kwargs=_fill(route, pk, crawl.user))
            except Exception as exc:  # a pattern the filler cannot satisfy: say so
                crawl.fail(f"cannot fill {route.name} ({route.pattern}): {exc}")
                break
            urls[variant] = url
            outcomes[variant] = call(crawl.page, "get", url)
            crawl.check("get", url, outcomes[variant], api=False, public=public)
        if not route.is_admin:
            crawl.compare("get", urls, outcomes)


# --- The API -------------------------------------------------------------------------------------


@cache
def api_operations() -> list[tuple[str, str, dict]]:
    """(path, method, operation) of the OpenAPI document drf-spectacular generates."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


@cache
def api_model(path: str):
    match = resolve(re.sub(r"\{[^}]+\}", "1", path))
    view = getattr(match.func, "cls", None)
    if view is None:
        return None
    queryset = getattr(view, "queryset", None)
    if queryset is not None:
        return queryset.model
    serializer = getattr(view, "serializer_class", None)
    meta = getattr(serializer, "Meta", None)
    return getattr(meta, "model", None)


def crawl_api(crawl: Crawl) -> None:
    for path, method, _operation in api_operations():
        COUNTS["crawler: API operation visits"] += 1
        params = re.findall(r"\{([^}]+)\}", path)
        data = None if method in ("get", "delete") else {}
        if not params:
            crawl.check(method, path, call(crawl.api, method, path, data=data), api=True)
            if method == "get" and crawl.blind and crawl.user is not None:
                for query in (f"?search={SEARCH}", f"?q={SEARCH}"):
                    crawl.check(
                        method, path + query, call(crawl.api, method, path + query), api=True
                    )
            continue
        ids = ids_for(api_model(path), crawl.user)
        urls, outcomes = {}, {}
        for variant, pk in ids.items():
            url = path
            for param in params:
                url = url.replace("{" + param + "}", str(pk), 1)
            urls[variant] = url
            outcomes[variant] = call(crawl.api, method, url, data=data)
            crawl.check(method, url, outcomes[variant], api=True)
        crawl.compare(method, urls, outcomes)


# --- The tests -------------------------------------------------------------------------------


def test_every_api_route_is_an_openapi_operation(world):
    """The API crawl goes through the OpenAPI document: it must list every API route."""
    documented = {re.sub(r"\{[^}]+\}", "{}", path) for path, _method, _op in api_operations()}
    missing = []
    for route in all_routes():
        if not route.is_api or "format" in route.params:
            continue
        COUNTS["crawler: API URL patterns"] += 1
        path = "/" + route.pattern.replace("^", "").replace("$", "")
        path = re.sub(r"\(\?P<\w+>[^)]*\)", "{}", path)
        if path.rstrip("/") + "/" not in documented and path not in {"/api/v1/"}:
            missing.append(path)
    assert not missing, f"API routes missing from the OpenAPI document: {missing}"


@pytest.mark.parametrize("person", PEOPLE)
def test_every_page_route(world, person):
    crawl = Crawl(world, person)
    crawl_pages(crawl)
    COUNTS["crawler: page routes"] = len([r for r in page_routes() if r.name])
    assert not crawl.failures, "\n".join(crawl.failures)


@pytest.mark.parametrize("person", PEOPLE)
def test_every_api_operation(world, person):
    crawl = Crawl(world, person)
    crawl_api(crawl)
    COUNTS["crawler: API operations"] = len(api_operations())
    assert not crawl.failures, "\n".join(crawl.failures)


def test_the_canary_is_visible_where_it_should_be(world):
    """The canary check can fail: the other grid's worker finds it on the list and by search."""
    crawl = Crawl(world, "other_grid_worker")
    outcome = call(crawl.page, "get", reverse("grids:resident-list") + f"?q={SEARCH}")
    api = call(crawl.api, "get", f"/api/v1/residents/?search={SEARCH}")
    assert CANARY_NAME in outcome.text or CANARY_NAME in api.text
    assert not outside_canary_scope(world, world.people["other_grid_worker"])
    assert outside_canary_scope(world, world.people["grid_worker"])
