"""Schemathesis over the whole OpenAPI document, in-process (the WSGI app, no server), with each
role's credentials: the district's integration account by API token (HashedTokenAuthentication),
the street admin, a grid worker and a partner's staff by session cookie (with a CSRF token, as
the browser sends it).

Checks on every answer: no 5xx (`not_a_server_error`) and the response matches the schema
(`response_schema_conformance`). Examples per operation are bounded (SCHEMATHESIS_MAX_EXAMPLES,
3 by default; derandomized; no shrinking), and the database state is fixed: the planted street
of tests/security/conftest.py, every call in a savepoint rolled back afterwards.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.helpers import login
from tests.security.conftest import COUNTS, isolated

pytestmark = pytest.mark.django_db

# Schemathesis' WSGI transport sets cookies for the domain "localhost".
BASE_URL = "http://localhost"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "3"))
ROLES = ("integration", "street_admin", "grid_worker", "partner_staff")
CSRF = "schemathesiscsrftokenvalue012345"  # 32 characters: Django accepts it as the secret
CHECKS = [not_a_server_error, response_schema_conformance]

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
# Bounded: the coverage phase alone would send ~170 deterministic cases per operation.
schema.config.phases.coverage.enabled = False
APP = get_wsgi_application()
OPERATIONS: set[str] = set()


@pytest.fixture(scope="module")
def credentials(world, django_db_blocker):
    """{role: (headers, cookies)} for the planted street's people."""
    from portal.writes import api_token_issue

    with django_db_blocker.unblock():
        _token, raw = api_token_issue(
            actor=world.people["street_admin"], client=world.integration, name="schemathesis"
        )
        found = {"integration": ({"Authorization": f"Token {raw}"}, {})}
        for role in ROLES[1:]:
            client = login(Client(), world.people[role])
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            found[role] = (
                {"X-CSRFToken": CSRF},
                {settings.SESSION_COOKIE_NAME: session, settings.CSRF_COOKIE_NAME: CSRF},
            )
    return found


@pytest.fixture(scope="module", autouse=True)
def _same_connection():
    """The WSGI handler closes 'old' connections at each request's start and end; the test's
    transaction lives on that connection, so keep it open while the app runs in-process."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_answers_within_its_schema(case, credentials):
    failures = []
    for role in ROLES:
        headers, cookies = credentials[role]
        COUNTS["schemathesis: calls made"] += 1
        with isolated():
            response = case.call(base_url=BASE_URL, app=APP, headers=headers, cookies=cookies)
        COUNTS[f"schemathesis: {role} answers {response.status_code // 100}xx"] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as exc:  # collect every role's failure for this example
            failures.append(f"as {role}: {exc}")
    COUNTS["schemathesis: examples"] += 1
    OPERATIONS.add(case.operation.label)
    COUNTS["schemathesis: operations fuzzed"] = len(OPERATIONS)
    assert not failures, "\n\n".join(failures)
