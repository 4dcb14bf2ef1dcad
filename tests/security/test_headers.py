"""CSRF on every unsafe page route; security headers on every response; cookie flags and HSTS as
production settings give them.

`manage.py check --deploy --fail-level WARNING` with production settings is asserted by
tests/portal/test_settings_env.py::test_production_defaults_pass_the_deploy_check (not
repeated here). The project sets no Content-Security-Policy (Django 5.2 has none built in and
no middleware adds one): framing is refused by X-Frame-Options: DENY, asserted below.
"""

from __future__ import annotations

import json
import os

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from tests.helpers import login
from tests.portal.factories import TEST_PASSWORD
from tests.portal.test_settings_env import TEST_ONLY_OVERRIDES, run_python
from tests.security.conftest import COUNTS, MISSING_ID, isolated
from tests.security.test_crawler import _fill, page_routes

pytestmark = pytest.mark.django_db

# Page routes that take a POST without a CSRF token on purpose (none today): name → reason.
CSRF_EXEMPT_PAGES: dict[str, str] = {}
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _page_urls(user) -> list[tuple[str, str]]:
    """(name, url) of every named page route outside the admin, ids filled with a missing id."""
    urls = []
    for route in page_routes():
        if not route.name or route.is_admin:
            continue
        urls.append((route.name, reverse(route.name, kwargs=_fill(route, MISSING_ID, user))))
    return urls


def _post_routes(world) -> list[tuple[str, str]]:
    """Pages that accept a POST: every named page route whose view answers a POST other than
    405 when the token is there (the Django test client skips the check by default)."""
    admin = world.people["street_admin"]
    client = login(Client(raise_request_exception=False), admin)
    found = []
    for name, url in _page_urls(admin):
        with isolated():
            status = client.post(url, {}).status_code
        if status != 405:
            found.append((name, url))
    return found


def test_csrf_is_enforced_on_every_unsafe_page_route(world):
    """A POST without a token is refused (403) on every page route that accepts a POST, for a
    logged-in person and for anonymous visitors, before the view runs."""
    routes = _post_routes(world)
    assert len(routes) > 50, routes  # the pages' forms: well over fifty
    COUNTS["headers: page routes accepting POST (CSRF checked)"] = len(routes)
    failures = []
    for user in (world.people["street_admin"], world.people["grid_worker"], None):
        client = Client(enforce_csrf_checks=True)
        if user is not None:
            login(client, user)
        for name, url in routes:
            if name in CSRF_EXEMPT_PAGES:
                continue
            COUNTS["headers: requests made"] += 1
            with isolated():
                status = client.post(url, {"note": "x"}).status_code
            if status != 403:
                failures.append(f"{user} POST {url} ({name}) without a CSRF token → {status}")
    # The login form too: a login without a token is refused.
    with isolated():
        status = (
            Client(enforce_csrf_checks=True)
            .post(reverse("login"), {"username": "t_admin", "password": "x"})
            .status_code
        )
    if status != 403:
        failures.append(f"POST /accounts/login/ without a CSRF token → {status}")
    assert not failures, "\n".join(failures)


def test_security_headers_on_every_response(world):
    """Every page (found, missing, redirected, refused) and every API answer carries nosniff,
    a referrer policy and a framing refusal."""
    failures = []
    for user in (world.people["street_admin"], world.people["partner_staff"], None):
        client = Client(raise_request_exception=False)
        if user is not None:
            login(client, user)
        urls = [url for _name, url in _page_urls(user)]
        urls += ["/api/v1/residents/", "/api/v1/referrals/", "/api/schema/", "/static/portal.css"]
        for url in urls:
            COUNTS["headers: requests made"] += 1
            with isolated():
                response = client.get(url)  # a 500 too must carry the headers
            for header, value in HEADERS.items():
                if response.get(header) != value:
                    failures.append(
                        f"{user} GET {url} → {response.status_code}: "
                        f"{header}={response.get(header)!r}, expected {value!r}"
                    )
    assert not failures, "\n".join(failures[:50])


# --- Production settings ---------------------------------------------------------------------


def production_settings() -> dict:
    """The security settings a production process computes (DEBUG off, none of the Makefile's
    test-only overrides), read in a fresh interpreter."""
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "production-like-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "portal.example.org",
    }
    for name in TEST_ONLY_OVERRIDES:
        env.pop(name, None)
    names = [
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_SAMESITE",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "SECURE_REFERRER_POLICY",
        "X_FRAME_OPTIONS",
    ]
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production():
    return production_settings()


def test_production_settings_ask_for_https_and_safe_cookies(production):
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_SAMESITE"] in ("Lax", "Strict")


def test_cookies_and_hsts_under_production_settings(world, production):
    """Logging in over HTTPS under production settings: the session cookie is HttpOnly, Secure
    and SameSite; the CSRF cookie Secure and SameSite; the answer carries HSTS; plain HTTP is
    sent to HTTPS."""
    user = world.people["street_cadre"]
    with override_settings(**production, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        with isolated():
            insecure = client.get(reverse("login"))
            assert insecure.status_code == 301
            assert insecure["Location"].startswith("https://")

            page = client.get(reverse("login"), secure=True)
            csrf = page.cookies[settings.CSRF_COOKIE_NAME]
            assert csrf["secure"] is True
            assert csrf["samesite"] == production["CSRF_COOKIE_SAMESITE"]
            assert "max-age=31536000" in page["Strict-Transport-Security"]
            assert "includeSubDomains" in page["Strict-Transport-Security"]

            client.cookies[settings.CSRF_COOKIE_NAME] = csrf.value
            response = client.post(
                reverse("login"),
                {"username": user.username, "password": TEST_PASSWORD},
                secure=True,
            )
    session = response.cookies.get(settings.SESSION_COOKIE_NAME)
    assert response.status_code == 302, response.content[:500]
    assert session is not None
    assert session["httponly"] is True
    assert session["secure"] is True
    assert session["samesite"] == production["SESSION_COOKIE_SAMESITE"]
    assert "max-age=31536000" in response["Strict-Transport-Security"]
