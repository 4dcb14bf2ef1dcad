"""A resolved scope kept across requests, and never past a scope change (portal/scope_cache.py).

These tests commit (transactional database): what a process may keep depends on what other
processes can see, the committed scope generation. A change made in another process — a real
one, started here — reaches this process at its next request.
"""

import os
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids import writes as grid_writes
from grids.models import Household
from portal import process_memory
from portal.roles import Role
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

RESOLUTION = "WITH perm AS"  # the one statement that resolves a registry scope
GENERATION = 'FROM "portal_scopegeneration"'


def _count(queries, marker: str) -> int:
    return sum(marker in query["sql"] for query in queries.captured_queries)


def _get(api, url):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    return response, queries


@pytest.fixture
def integration(street_admin, street):
    user = UserFactory(role=Role.INTEGRATION)
    grid_writes.region_staff_grant(actor=street_admin, person=user, region=street)
    return user


def _detail(household_id: int) -> str:
    return reverse("household-detail", args=[household_id])


def test_a_scope_resolved_in_one_request_serves_the_next(api_client_for, integration, resident_a):
    api = api_client_for(integration)
    url = reverse("household-list")
    response, first = _get(api, url)
    assert response.status_code == 200 and response.json()["count"] == 1
    assert _count(first, RESOLUTION) == 1
    response, second = _get(api, url)
    assert response.json()["count"] == 1
    assert _count(second, RESOLUTION) == 0  # kept from the first request
    assert _count(second, GENERATION) == 1  # one primary-key read says it is still good
    assert len(second.captured_queries) == len(first.captured_queries) - 1


def test_a_grant_revoked_by_another_process_is_seen_at_the_next_request(
    api_client_for, integration, street, street_admin, resident_a
):
    api = api_client_for(integration)
    url = _detail(resident_a.household_id)
    assert api.get(url).status_code == 200
    response, queries = _get(api, url)
    assert response.status_code == 200 and _count(queries, RESOLUTION) == 0  # the kept scope
    _in_another_process("region_staff_revoke", street_admin, integration, street)
    assert api.get(url).status_code == 404
    assert api.get(reverse("household-list")).json()["count"] == 0


def test_a_grant_given_by_another_process_is_seen_at_the_next_request(
    api_client_for, street_admin, community_a, resident_a
):
    cadre = UserFactory(role=Role.COMMUNITY_CADRE)
    api = api_client_for(cadre)
    url = _detail(resident_a.household_id)
    assert api.get(url).status_code == 404
    response, queries = _get(api, url)
    assert response.status_code == 404 and _count(queries, RESOLUTION) == 0  # the kept scope
    _in_another_process("region_staff_grant", street_admin, cadre, community_a)
    assert api.get(url).status_code == 200


def test_an_uncommitted_grant_is_seen_by_its_own_transaction_and_never_kept(
    api_client_for, street_admin, community_a, resident_a
):
    cadre = UserFactory(role=Role.COMMUNITY_CADRE)
    api = api_client_for(cadre)
    url = _detail(resident_a.household_id)
    assert api.get(url).status_code == 404
    with transaction.atomic():
        grid_writes.region_staff_grant(actor=street_admin, person=cadre, region=community_a)
        response, queries = _get(api, url)
        assert response.status_code == 200
        assert _count(queries, GENERATION) == 0  # an uncommitted change: nothing kept or read
        transaction.set_rollback(True)
    assert api.get(url).status_code == 404
    assert api.get(url).status_code == 404


def test_the_time_limit_and_the_switch(api_client_for, integration, resident_a, monkeypatch):
    api = api_client_for(integration)
    url = reverse("household-list")
    api.get(url)
    clock = process_memory.time.monotonic() + settings.SCOPE_CACHE_SECONDS + 1
    monkeypatch.setattr(process_memory.time, "monotonic", lambda: clock)
    assert _count(_get(api, url)[1], RESOLUTION) == 1  # too old: resolved again
    assert _count(_get(api, url)[1], RESOLUTION) == 0
    monkeypatch.setattr(settings, "SCOPE_CACHE_SECONDS", 0)
    assert _count(_get(api, url)[1], RESOLUTION) == 1  # off: every request resolves
    assert _count(_get(api, url)[1], RESOLUTION) == 1


def test_outside_a_request_nothing_is_kept(api_client_for, integration, resident_a):
    api_client_for(integration).get(reverse("household-list"))  # a request kept it
    # A task after it (same thread, a fresh user object) resolves on its own.
    from portal.models import User

    task_user = User.objects.get(pk=integration.pk)
    with CaptureQueriesContext(connection) as queries:
        assert Household.objects.visible_to(task_user).count() == 1
    assert _count(queries, RESOLUTION) == 1


def _in_another_process(write: str, actor, person, region) -> None:
    """`grids.writes.<write>(actor, person, region)` in a new Python process on the test
    database: a second gunicorn worker."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    script = textwrap.dedent(
        f"""
        import django
        django.setup()
        from grids import writes
        from grids.models import Region
        from portal.models import User
        done = writes.{write}(
            actor=User.objects.get(pk={actor.pk}),
            person=User.objects.get(pk={person.pk}),
            region=Region.objects.get(pk={region.pk}),
        )
        assert done is not False  # a revoke finds the grant it takes back
        """
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
