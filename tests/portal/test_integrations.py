"""District integrations that retry safely: Idempotency-Key on every POST, ETag / If-Match,
per-token scopes and throttling, ?updated_since= (docs/api.md). Webhooks: test_webhooks.py."""

import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.routers import APIRootView
from rest_framework.test import APIClient

from grids import writes as grid_writes
from grids.models import Household, Resident
from portal.api.scopes import TokenScopePermission, view_group
from portal.api.viewsets import ScopedViewSetMixin
from portal.models import ApiToken, IdempotencyKey
from portal.roles import Role
from portal.urls import api_router
from portal.writes import api_token_issue
from services.models import Referral
from tests.grids.factories import HouseholdFactory
from tests.portal.factories import UserFactory
from tests.services.factories import ReferralFactory

pytestmark = pytest.mark.django_db

HOUSEHOLDS = reverse("household-list")
UNKNOWN_ID = "2147483000"


def token_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def _post(client, body, key, url=HOUSEHOLDS):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def _router_routes():
    """(url pattern, viewset class, {method: action}) of every route of /api/v1/."""
    for pattern in api_router.urls:
        callback = pattern.callback
        if "format" in pattern.pattern.regex.groupindex:
            continue
        yield pattern, callback.cls, getattr(callback, "actions", {}) or {}


def _path(pattern) -> str:
    kwargs = dict.fromkeys(pattern.pattern.regex.groupindex, UNKNOWN_ID)
    return reverse(pattern.name, kwargs=kwargs)


# --- Idempotency-Key --------------------------------------------------------------------------


def test_a_replay_answers_the_stored_response_and_writes_nothing(
    api_client_for, street_admin, grid_a
):
    client = api_client_for(street_admin)
    body = {"number": "HHIDEM01", "grid": grid_a.pk}

    first = _post(client, body, "retry-1")
    second = _post(client, body, "retry-1")

    assert first.status_code == 201, first.content
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Household.objects.filter(number="HHIDEM01").count() == 1


def test_without_a_key_a_post_runs_each_time(api_client_for, street_admin, grid_a):
    client = api_client_for(street_admin)

    client.post(HOUSEHOLDS, {"number": "HHIDEM02", "grid": grid_a.pk}, format="json")
    client.post(HOUSEHOLDS, {"number": "HHIDEM03", "grid": grid_a.pk}, format="json")

    assert Household.objects.filter(number__in=["HHIDEM02", "HHIDEM03"]).count() == 2


def test_the_same_key_with_another_body_is_a_422(api_client_for, street_admin, grid_a):
    client = api_client_for(street_admin)
    _post(client, {"number": "HHIDEM04", "grid": grid_a.pk}, "retry-2")

    response = _post(client, {"number": "HHIDEM05", "grid": grid_a.pk}, "retry-2")

    assert response.status_code == 422
    assert not Household.objects.filter(number="HHIDEM05").exists()


def test_the_same_key_on_another_path_is_a_422(api_client_for, street_admin, grid_a):
    client = api_client_for(street_admin)
    body = {"number": "HHIDEM06", "grid": grid_a.pk}
    _post(client, body, "retry-3")

    assert _post(client, body, "retry-3", url=reverse("resident-list")).status_code == 422


def test_keys_belong_to_their_principal(api_client_for, street_admin, street_cadre, grid_a):
    _post(api_client_for(street_admin), {"number": "HHIDEM07", "grid": grid_a.pk}, "shared")

    response = _post(
        api_client_for(street_cadre), {"number": "HHIDEM08", "grid": grid_a.pk}, "shared"
    )

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Household.objects.filter(number__in=["HHIDEM07", "HHIDEM08"]).count() == 2


def test_a_4xx_is_stored_and_replayed(api_client_for, street_admin, grid_a):
    client = api_client_for(street_admin)
    body = {"number": "", "grid": grid_a.pk}

    first = _post(client, body, "bad-1")
    second = _post(client, body, "bad-1")

    assert first.status_code == 400
    assert second.status_code == 400 and second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()


def test_a_5xx_is_not_stored_so_the_retry_runs(monkeypatch, street_admin, grid_a):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(street_admin)
    body = {"number": "HHIDEM09", "grid": grid_a.pk}
    original = grid_writes.household_create

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(grid_writes, "household_create", broken)
    assert _post(client, body, "flaky").status_code == 500
    assert IdempotencyKey.objects.get(key="flaky").status_code is None

    monkeypatch.setattr(grid_writes, "household_create", original)
    retry = _post(client, body, "flaky")

    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry
    assert Household.objects.filter(number="HHIDEM09").count() == 1


def test_a_malformed_key_is_a_400(api_client_for, street_admin, grid_a):
    response = _post(api_client_for(street_admin), {"number": "HHIDEM10"}, "x" * 256)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Household.objects.filter(number="HHIDEM10").exists()


def test_every_post_route_of_the_api_replays_with_its_key(street_admin):
    """Enumerate the router: each POST route answers a retried key from the store."""
    admin = UserFactory(username="t_idem_root", role=Role.STREET_ADMIN, is_superuser=True)
    client = APIClient()
    client.force_authenticate(admin)
    checked = []
    for index, (pattern, viewset, actions) in enumerate(_router_routes()):
        if "post" not in actions:
            continue
        path = _path(pattern)
        first = client.post(path, {}, format="json", HTTP_IDEMPOTENCY_KEY=f"route-{index}")
        second = client.post(path, {}, format="json", HTTP_IDEMPOTENCY_KEY=f"route-{index}")
        assert first.status_code < 500, (path, first.status_code)
        assert second.status_code == first.status_code, path
        assert second.get("Idempotent-Replayed") == "true", (path, viewset.__name__)
        checked.append(path)
    print(f"\nIdempotency-Key: {len(checked)} POST routes replayed")
    assert len(checked) >= 40


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_is_a_409_and_only_one_runs(monkeypatch, grid_a):
    admin = UserFactory(username="t_idem_concurrent", role=Role.STREET_ADMIN)
    body = {"number": "HHIDEM11", "grid": grid_a.pk}
    original = grid_writes.household_create
    started = threading.Event()

    def slow(**kwargs):
        started.set()
        time.sleep(1.5)
        return original(**kwargs)

    monkeypatch.setattr(grid_writes, "household_create", slow)
    answers = {}

    def call(name):
        try:
            client = APIClient()
            client.force_authenticate(admin)
            answers[name] = _post(client, body, "twins")
        finally:
            connection.close()

    first = threading.Thread(target=call, args=("first",))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=call, args=("second",))
    second.start()
    second.join(10)
    first.join(10)

    assert answers["first"].status_code == 201, answers["first"].content
    assert answers["second"].status_code == 409
    assert Household.objects.filter(number="HHIDEM11").count() == 1
    client = APIClient()
    client.force_authenticate(admin)
    replay = _post(client, body, "twins")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"


@pytest.mark.django_db(transaction=True)
def test_a_key_whose_first_request_died_runs_again(grid_a):
    """An in-flight row left unlocked (its worker was killed) does not block the retry."""
    admin = UserFactory(username="t_idem_dead", role=Role.STREET_ADMIN)
    client = APIClient()
    client.force_authenticate(admin)
    body = {"number": "HHIDEM12", "grid": grid_a.pk}
    _post(client, body, "orphan")
    IdempotencyKey.objects.filter(key="orphan").update(status_code=None, body=None)
    Household.objects.filter(number="HHIDEM12").delete()

    retry = _post(client, body, "orphan")

    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    assert Household.objects.filter(number="HHIDEM12").count() == 1


def test_expired_keys_are_purged_and_may_be_used_again(api_client_for, street_admin, grid_a):
    from portal.webhooks import idempotency_keys_purge

    client = api_client_for(street_admin)
    _post(client, {"number": "HHIDEM13", "grid": grid_a.pk}, "old")
    IdempotencyKey.objects.filter(key="old").update(expires_at=timezone.now() - timedelta(1))

    assert idempotency_keys_purge() == 1
    again = _post(client, {"number": "HHIDEM14", "grid": grid_a.pk}, "old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again


# --- ETag / If-Match --------------------------------------------------------------------------


def test_detail_reads_and_updates_carry_an_etag_and_a_stale_if_match_is_a_412(
    api_client_for, street_admin, grid_a
):
    household = HouseholdFactory(grid=grid_a, number="HHETAG01")
    client = api_client_for(street_admin)
    detail = reverse("household-detail", args=[household.pk])
    tag = client.get(detail)["ETag"]

    changed = client.patch(detail, {"kind": "residing"}, format="json", HTTP_IF_MATCH=tag)
    stale = client.patch(detail, {"kind": "registered"}, format="json", HTTP_IF_MATCH=tag)

    assert changed.status_code == 200, changed.content
    assert changed["ETag"] != tag
    assert changed["ETag"] == client.get(detail)["ETag"]
    assert stale.status_code == 412
    household.refresh_from_db()
    assert household.kind == "residing"


def test_an_update_without_if_match_is_still_allowed(api_client_for, street_admin, grid_a):
    household = HouseholdFactory(grid=grid_a, number="HHETAG02", kind="registered")
    detail = reverse("household-detail", args=[household.pk])

    response = api_client_for(street_admin).patch(detail, {"kind": "residing"}, format="json")

    assert response.status_code == 200
    assert response["ETag"].startswith('"')


def test_a_stale_if_match_on_delete_is_a_412(api_client_for, street_admin, resident_a):
    client = api_client_for(street_admin)
    detail = reverse("resident-detail", args=[resident_a.pk])

    response = client.delete(detail, HTTP_IF_MATCH='"0000"')

    assert response.status_code == 412
    assert Resident.objects.filter(pk=resident_a.pk).exists()
    current = client.get(detail)["ETag"]
    assert client.delete(detail, HTTP_IF_MATCH=current).status_code == 204


def test_if_match_outside_the_scope_is_still_a_404(api_client_for, grid_worker, resident_b):
    detail = reverse("resident-detail", args=[resident_b.pk])

    response = api_client_for(grid_worker).patch(
        detail, {"name": "改"}, format="json", HTTP_IF_MATCH="*"
    )

    assert response.status_code == 404


# --- Token scopes and throttling --------------------------------------------------------------


def test_tokens_keep_full_access_by_default(integration):
    token, _raw = api_token_issue(actor=None, client=integration, name="district")

    assert token.scopes == {"*": "write"}
    assert token.allows("registry", write=True) and token.allows("reporting", write=False)


def test_a_token_limited_to_a_group_reads_it_and_nothing_else(integration, resident_a):
    _token, raw = api_token_issue(
        actor=None, client=integration, name="district", scopes={"registry": "read"}
    )
    client = token_client(raw)

    assert client.get(reverse("resident-list")).status_code == 200
    assert client.get(reverse("referral-list")).status_code == 403
    assert client.get(reverse("report-task-list")).status_code == 403


def test_a_read_only_token_may_not_write(integration):
    body = {"url": "http://127.0.0.1:9/hook", "event_types": ["visit.filed"]}
    _token, raw = api_token_issue(
        actor=None,
        client=integration,
        name="district",
        scopes={"webhooks": "read", "visits": "read"},
    )
    refused = token_client(raw).post(reverse("webhook-list"), body, format="json")
    _token, raw = api_token_issue(
        actor=None,
        client=integration,
        name="district",
        scopes={"webhooks": "write", "visits": "read"},
    )
    allowed = token_client(raw).post(reverse("webhook-list"), body, format="json")

    assert refused.status_code == 403
    assert allowed.status_code == 201, allowed.content


def test_the_scope_of_a_token_never_widens_what_its_account_sees(integration, grid_worker):
    """A full token of an account without registry write permission still may not write."""
    _token, raw = api_token_issue(actor=None, client=integration, name="district")

    response = token_client(raw).post(HOUSEHOLDS, {"number": "HHSCOPE1"}, format="json")

    assert response.status_code == 403


def test_the_issuing_command_takes_scopes(integration):
    out = StringIO()
    call_command(
        "api_token_issue",
        "t_district",
        "--scope",
        "registry:read",
        "--scope",
        "visits:write",
        stdout=out,
    )

    token = ApiToken.objects.active().get(user=integration)
    assert token.scopes == {"registry": "read", "visits": "write"}
    assert "registry:read" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("api_token_issue", "t_district", "--scope", "everything:write", stdout=out)


def test_every_route_belongs_to_a_resource_group_and_checks_token_scopes():
    missing = []
    for _pattern, viewset, _actions in _router_routes():
        if viewset is APIRootView:  # the index of links, readable with any token
            continue
        if TokenScopePermission not in viewset.permission_classes or view_group(viewset()) is None:
            missing.append(viewset.__name__)
    assert not missing, sorted(set(missing))


def test_a_token_over_its_rate_gets_429_with_retry_after(integration, resident_a):
    token, raw = api_token_issue(actor=None, client=integration, name="district")
    cache.delete(f"throttle_token_{token.pk}")
    rates = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/minute", "user": None},
    }
    client = token_client(raw)

    with override_settings(REST_FRAMEWORK=rates):
        answers = [client.get(reverse("resident-list")) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    cache.delete(f"throttle_token_{token.pk}")


def test_throttling_lets_requests_through_when_redis_is_down(monkeypatch, integration, resident_a):
    from django.core.cache.backends.redis import RedisCache

    from portal.api.scopes import TokenRateThrottle

    _token, raw = api_token_issue(actor=None, client=integration, name="district")
    unreachable = RedisCache("redis://127.0.0.1:1/0", {})  # nothing listens on port 1
    monkeypatch.setattr(TokenRateThrottle, "cache", unreachable)
    rates = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "1/minute", "user": None},
    }

    with override_settings(REST_FRAMEWORK=rates):
        answers = [token_client(raw).get(reverse("resident-list")) for _ in range(2)]

    assert [answer.status_code for answer in answers] == [200, 200]


# --- ?updated_since= ----------------------------------------------------------------------------


def test_updated_since_returns_the_rows_changed_since_in_a_stable_order(
    api_client_for, street_cadre, resident_a
):
    now = timezone.now()
    old = ReferralFactory(resident=resident_a)
    newer = ReferralFactory(resident=resident_a)
    newest = ReferralFactory(resident=resident_a)
    Referral.objects.filter(pk=old.pk).update(updated_at=now - timedelta(days=2))
    Referral.objects.filter(pk__in=[newer.pk, newest.pk]).update(
        updated_at=now - timedelta(hours=1)
    )
    since = (now - timedelta(days=1)).isoformat()

    response = api_client_for(street_cadre).get(reverse("referral-list"), {"updated_since": since})

    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == sorted([newer.pk, newest.pk])


def test_an_unencoded_plus_in_the_time_is_understood(api_client_for, street_cadre, resident_a):
    ReferralFactory(resident=resident_a)
    url = reverse("referral-list") + "?updated_since=2020-01-01T00:00:00+08:00"

    response = api_client_for(street_cadre).get(url)

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize("value", ["yesterday", "2026-13-45T00:00:00", "99999-01-01T00:00:00"])
def test_a_malformed_updated_since_is_a_400(api_client_for, street_cadre, value):
    response = api_client_for(street_cadre).get(reverse("referral-list"), {"updated_since": value})

    assert response.status_code == 400
    assert "updated_since" in response.json()


def test_every_list_answers_updated_since(street_admin):
    """Enumerate the router: each list filters by updated_since or says it cannot (400)."""
    admin = UserFactory(username="t_sync_root", role=Role.STREET_ADMIN, is_superuser=True)
    client = APIClient()
    client.force_authenticate(admin)
    supported, unsupported = [], []
    for pattern, viewset, actions in _router_routes():
        if actions.get("get") != "list" or not issubclass(viewset, ScopedViewSetMixin):
            continue
        path = _path(pattern)
        good = client.get(path, {"updated_since": "2020-01-01T00:00:00Z"})
        bad = client.get(path, {"updated_since": "garbage"})
        assert bad.status_code == 400, (path, bad.status_code)
        (supported if good.status_code == 200 else unsupported).append(pattern.name)
    print(f"\nupdated_since: {len(supported)} lists filter, {len(unsupported)} answer 400")
    assert unsupported == []
    assert {"resident-list", "referral-list", "report-task-list", "webhook-list"} <= set(supported)


def test_a_save_of_a_few_fields_moves_updated_at(resident_a):
    """SyncedModel: a write that saves only some fields still tells sync clients it changed."""
    Resident.objects.filter(pk=resident_a.pk).update(updated_at=timezone.now() - timedelta(days=3))
    resident_a.refresh_from_db()
    before = resident_a.updated_at

    resident_a.phone = "13900000000"
    resident_a.save(update_fields=["phone"])

    resident_a.refresh_from_db()
    assert resident_a.updated_at > before + timedelta(days=2)


def test_updated_since_finds_a_resident_changed_through_the_api(
    api_client_for, street_cadre, resident_a
):
    Resident.objects.filter(pk=resident_a.pk).update(updated_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    client = api_client_for(street_cadre)
    assert client.get(reverse("resident-list"), {"updated_since": since}).json()["count"] == 0

    resident_a.name = resident_a.name + "明"
    resident_a.save(update_fields=["name"])

    assert client.get(reverse("resident-list"), {"updated_since": since}).json()["count"] == 1
