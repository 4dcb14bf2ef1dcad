"""Token authentication of district integrations: hashed at rest, one live token, read-only."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from grids.models import Resident
from portal.models import ApiToken, AuditEvent
from portal.writes import api_token_issue, api_token_revoke

pytestmark = pytest.mark.django_db

RESIDENTS = reverse("resident-list")


def token_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def assert_refused(response):
    """A refused token is a 401 that names the scheme to use, with a JSON body saying why."""
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Token"
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_token_lists_the_residents_of_its_street(integration, street_admin, resident_a, resident_b):
    _, raw = api_token_issue(actor=street_admin, client=integration, name="区数据平台")

    response = token_client(raw).get(RESIDENTS)

    assert response.status_code == 200
    assert {row["name"] for row in response.json()["results"]} == {"王秀英", "李建国"}


def test_token_is_stored_only_as_its_hash(integration, street_admin):
    token, raw = api_token_issue(actor=street_admin, client=integration, name="区数据平台")

    token.refresh_from_db()
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert not any(raw in str(value) for value in row.values())
    secret = raw.split(".", 1)[1]
    assert not any(secret in str(value) for value in row.values())


def test_use_of_a_token_is_recorded(integration, street_admin, resident_a):
    token, raw = api_token_issue(actor=street_admin, client=integration, name="区数据平台")
    assert token.last_used_at is None

    token_client(raw).get(RESIDENTS)

    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(minutes=1)


def test_revoked_token_is_refused(integration, street_admin, resident_a):
    token, raw = api_token_issue(actor=street_admin, client=integration, name="区数据平台")
    api_token_revoke(actor=street_admin, token=token)

    assert_refused(token_client(raw).get(RESIDENTS))


def test_expired_token_is_refused(integration, street_admin, resident_a):
    token, raw = api_token_issue(actor=street_admin, client=integration, name="区数据平台")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert_refused(token_client(raw).get(RESIDENTS))


def test_garbage_token_is_refused(integration, resident_a):
    assert_refused(token_client("deadbeef.not-a-token-at-all").get(RESIDENTS))


def test_issuing_a_second_token_revokes_the_first(integration, street_admin, resident_a):
    first, first_raw = api_token_issue(actor=street_admin, client=integration, name="v1")
    second, second_raw = api_token_issue(actor=street_admin, client=integration, name="v2")

    assert_refused(token_client(first_raw).get(RESIDENTS))
    assert token_client(second_raw).get(RESIDENTS).status_code == 200
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert list(ApiToken.objects.active().filter(user=integration)) == [second]


def test_database_refuses_two_live_tokens_for_one_client(integration):
    expires = timezone.now() + timedelta(days=30)
    ApiToken.objects.create(
        user=integration, name="a", key_prefix="aaaa", key_hash="a" * 64, expires_at=expires
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(
            user=integration, name="b", key_prefix="bbbb", key_hash="b" * 64, expires_at=expires
        )

    assert ApiToken.objects.filter(user=integration).count() == 1


def test_integration_token_only_reads(integration, street_admin, resident_a):
    _, raw = api_token_issue(actor=street_admin, client=integration, name="区数据平台")
    body = {
        "name": "赵新民",
        "id_number": "11010519491231002X",
        "sex": "female",
        "birth_date": "1949-12-31",
        "household": resident_a.household_id,
    }

    response = token_client(raw).post(RESIDENTS, body, format="json")

    assert response.status_code == 403
    assert response.json()["detail"]
    assert not Resident.objects.filter(name="赵新民").exists()


def test_issue_and_revoke_are_audited(integration, street_admin):
    token, _ = api_token_issue(actor=street_admin, client=integration, name="区数据平台")
    api_token_revoke(actor=street_admin, token=token)

    events = AuditEvent.objects.filter(object_id=str(token.pk), action__startswith="api_token.")
    assert [(e.action, e.actor_username) for e in events.order_by("occurred_at", "pk")] == [
        ("api_token.issue", "t_admin"),
        ("api_token.revoke", "t_admin"),
    ]


def test_management_command_prints_a_working_token(integration, resident_a):
    out = StringIO()

    call_command("api_token_issue", "t_district", stdout=out)

    raw = out.getvalue().strip().splitlines()[-1]
    assert token_client(raw).get(RESIDENTS).status_code == 200
    assert AuditEvent.objects.filter(action="api_token.issue").count() == 1


def test_management_command_refuses_a_person_account(grid_worker):
    with pytest.raises(CommandError, match="integration"):
        call_command("api_token_issue", "t_worker", stdout=StringIO())

    assert not ApiToken.objects.exists()
