"""The outbox and its webhooks: an event per referral, visit and reporting-task change, written
with the change, delivered signed to a real HTTP server on 127.0.0.1, retried after a 500 with
back-off, each attempt recorded, only to subscribers who may see the object."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from grids import writes as grid_writes
from grids.writes import visit_record
from portal.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from portal.roles import Role
from portal.webhooks import delivery_attempt, event_dispatch, webhooks_sweep
from portal.writes import api_token_issue
from services.models import Referral
from services.referrals import writes as referral_writes
from tests.portal.factories import UserFactory
from tests.services.factories import ReferralFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """A district system's endpoint: answers the statuses given, in turn, then 200."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.received = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/portal"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a subscriber does: recompute the signature over "<timestamp>.<body>"."""
    timestamp = headers["X-Portal-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(headers["X-Portal-Signature"], "sha256=" + expected.hexdigest())


def subscribe(user, url, event_types, scopes=None):
    _token, raw = api_token_issue(actor=None, client=user, name="district", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    response = client.post(
        reverse("webhook-list"), {"url": url, "event_types": event_types}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json(), client


def test_a_visit_writes_its_event_with_the_visit(grid_worker, resident_a):
    visit = visit_record(
        findings="身体尚好，无异常", actor=grid_worker, resident=resident_a, mode="phone"
    )

    event = OutboxEvent.objects.get(type="visit.filed")
    assert event.object_id == str(visit.pk)
    assert set(event.payload) == {"event_id", "type", "object", "id", "state", "occurred_at"}
    assert resident_a.name not in json.dumps(event.payload, ensure_ascii=False)


def test_a_rolled_back_write_leaves_no_event(grid_worker, resident_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        visit_record(
            findings="身体尚好，无异常", actor=grid_worker, resident=resident_a, mode="phone"
        )
        raise RuntimeError("the rest of the request failed")

    assert not OutboxEvent.objects.exists()


def test_referrals_emit_created_and_state_changed(grid_worker, street_cadre, resident_a):
    referral = ReferralFactory(resident=resident_a, status=Referral.Status.IN_SERVICE)
    referral = Referral.objects.get(pk=referral.pk)
    referral_writes.referral_cancel(actor=street_cadre, referral=referral, reason="moved_away")
    # A save that does not move the state says nothing.
    Referral.objects.get(pk=referral.pk).save()

    events = list(OutboxEvent.objects.filter(model="services.Referral").order_by("id"))
    assert [(e.type, e.payload["state"]) for e in events] == [
        ("referral.created", "in_service"),
        ("referral.state_changed", "cancelled"),
    ]


def test_reporting_tasks_emit_created_and_state_changed(street_cadre):
    from datetime import date

    from reporting.flow import writes as flow_writes
    from tests.reporting import flowkit

    flowkit.catalogue_ensure()
    template = flowkit.send_form(street_cadre, form_id="W1", labels=["情况说明"])
    task = flow_writes.task_create(
        actor=street_cadre,
        template=template,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
    )
    flow_writes.task_reject(actor=street_cadre, task=task, reason="重复报送")

    events = OutboxEvent.objects.filter(model="reporting.ReportTask", object_id=str(task.pk))
    types = list(events.order_by("id").values_list("type", "payload__state"))
    assert types[0][0] == "report_task.created"
    assert types[-1] == ("report_task.state_changed", "rejected")


def test_a_delivery_is_signed_retried_after_a_500_and_recorded(
    integration, grid_worker, resident_a
):
    with Receiver(statuses=[500]) as receiver:
        subscription, _client = subscribe(integration, receiver.url, ["visit.filed"])
        visit = visit_record(
            findings="身体尚好，无异常", actor=grid_worker, resident=resident_a, mode="phone"
        )
        event = OutboxEvent.objects.get(type="visit.filed")

        [delivery_pk] = event_dispatch(event.pk)
        first = delivery_attempt(delivery_pk)
        assert first.status == "pending" and first.attempts == 1
        assert first.last_status_code == 500
        assert first.next_attempt_at > timezone.now() + timedelta(seconds=20)
        assert delivery_attempt(delivery_pk) is None  # not due yet: nothing sent
        second = delivery_attempt(delivery_pk, now=first.next_attempt_at)

    assert second.status == "delivered" and second.attempts == 2
    assert second.last_status_code == 200 and second.delivered_at is not None
    assert len(receiver.received) == 2
    secret = subscription["signing_secret"]
    for headers, body in receiver.received:
        assert verify(secret, headers, body)
        assert headers["X-Portal-Event-Id"] == str(event.event_id)
        assert json.loads(body) == {**event.payload, "id": visit.pk}
    assert not verify("another secret that is long", *receiver.received[0])
    assert event_dispatch(event.pk) == []  # fanned out once


def test_back_off_doubles_and_gives_up_after_the_last_attempt(integration, grid_worker, resident_a):
    with (
        override_settings(WEBHOOK_MAX_ATTEMPTS=3, WEBHOOK_RETRY_BASE_SECONDS=10),
        Receiver(statuses=[503, 503, 503, 503]) as receiver,
    ):
        subscribe(integration, receiver.url, ["visit.filed"])
        visit_record(
            findings="身体尚好，无异常", actor=grid_worker, resident=resident_a, mode="phone"
        )
        [delivery_pk] = event_dispatch(OutboxEvent.objects.get().pk)
        waits, now = [], timezone.now()
        for _ in range(3):
            delivery = delivery_attempt(delivery_pk, now=now)
            waits.append(round((delivery.next_attempt_at - now).total_seconds()))
            now = delivery.next_attempt_at

    assert delivery.status == "failed" and delivery.attempts == 3
    assert waits[0] == pytest.approx(10, abs=2) and waits[1] == pytest.approx(20, abs=2)
    assert len(receiver.received) == 3


def test_events_go_only_to_subscribers_who_may_see_the_object(
    integration, grid_worker, resident_a, community_b
):
    narrow = UserFactory(username="t_district_b", role=Role.INTEGRATION)
    grid_writes.region_staff_grant(actor=None, person=narrow, region=community_b)
    subscribe(integration, "http://127.0.0.1:9/wide", ["visit.filed"])
    subscribe(narrow, "http://127.0.0.1:9/narrow", ["visit.filed", "referral.created"])

    visit_record(findings="身体尚好，无异常", actor=grid_worker, resident=resident_a, mode="phone")
    event_dispatch(OutboxEvent.objects.get().pk)

    assert list(WebhookDelivery.objects.values_list("subscription__url", flat=True)) == [
        "http://127.0.0.1:9/wide"
    ]


def test_a_token_subscribes_only_to_events_it_may_read(integration):
    _token, raw = api_token_issue(
        actor=None, client=integration, name="district", scopes={"webhooks": "write"}
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")

    response = client.post(
        reverse("webhook-list"),
        {"url": "http://127.0.0.1:9/x", "event_types": ["visit.filed"]},
        format="json",
    )

    assert response.status_code == 400
    assert "event_types" in response.json()


def test_subscriptions_are_their_owners_alone(integration, street_admin):
    mine, client = subscribe(integration, "http://127.0.0.1:9/mine", ["visit.filed"])
    other = APIClient()
    other.force_authenticate(street_admin)
    detail = reverse("webhook-detail", args=[mine["id"]])

    assert other.get(detail).status_code == 404
    assert other.delete(detail).status_code == 404
    assert client.get(reverse("webhook-list")).json()["count"] == 1
    assert "secret" not in client.get(detail).json()
    assert client.patch(detail, {"active": False}, format="json").status_code == 200
    assert not WebhookSubscription.objects.get(pk=mine["id"]).active
    assert client.get(reverse("webhook-deliveries", args=[mine["id"]])).status_code == 200


def test_the_sweep_dispatches_what_the_broker_never_carried(integration, grid_worker, resident_a):
    with Receiver() as receiver:
        subscribe(integration, receiver.url, ["visit.filed"])
        visit_record(
            findings="身体尚好，无异常", actor=grid_worker, resident=resident_a, mode="phone"
        )

        assert webhooks_sweep() == {"dispatched": 1, "attempted": 1}

    assert WebhookDelivery.objects.get().status == "delivered"
    assert len(receiver.received) == 1


@pytest.mark.django_db(transaction=True)
def test_a_committed_visit_reaches_the_subscriber_through_the_worker(celery_worker, street):
    """End to end: commit → on_commit → dispatch task → 500 → retried by the worker → 200."""
    from tests.grids.factories import GridFactory, RegionFactory, ResidentFactory

    community = RegionFactory(name="江滨社区", code="330381008001", parent=street)
    grid = GridFactory(community=community, name="江滨第一网格")
    resident = ResidentFactory(household__grid=grid)
    worker = UserFactory(username="t_hook_worker", role=Role.GRID_WORKER)
    grid_writes.grid_assign(
        actor=None, person=worker, grid=grid, post="full_time", start_date=timezone.localdate()
    )
    district = UserFactory(username="t_hook_district", role=Role.INTEGRATION)
    grid_writes.region_staff_grant(actor=None, person=district, region=street)
    with override_settings(WEBHOOK_RETRY_BASE_SECONDS=1), Receiver(statuses=[500]) as receiver:
        subscription, _client = subscribe(district, receiver.url, ["visit.filed"])
        visit_record(findings="身体尚好，无异常", actor=worker, resident=resident, mode="phone")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(receiver.received) < 2:
            time.sleep(0.2)

    assert len(receiver.received) == 2
    assert all(verify(subscription["signing_secret"], *message) for message in receiver.received)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 2


# --- No webhook into the portal's own network (SSRF) ----------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/admin/",
        "http://localhost/",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://0.0.0.0/",
        "http://no-such-host.invalid/hook",
    ],
)
def test_a_subscription_to_a_private_address_is_refused(integration, url):
    _token, raw = api_token_issue(actor=None, client=integration, name="district")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")

    with override_settings(WEBHOOK_ALLOWED_HOSTS=[]):
        response = client.post(
            reverse("webhook-list"), {"url": url, "event_types": ["visit.filed"]}, format="json"
        )

    assert response.status_code == 400
    assert "url" in response.json()
    assert not WebhookSubscription.objects.exists()


def test_a_host_the_administrators_allow_may_be_private(integration):
    with override_settings(WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"]):
        data, _client = subscribe(integration, "http://127.0.0.1:9/hook", ["visit.filed"])
    assert data["url"] == "http://127.0.0.1:9/hook"


def test_a_delivery_to_an_address_no_longer_allowed_is_not_sent(
    integration, grid_worker, resident_a
):
    with Receiver() as receiver:
        subscribe(integration, receiver.url, ["visit.filed"])
        visit_record(
            findings="身体尚好，无异常", actor=grid_worker, resident=resident_a, mode="phone"
        )
        [delivery_pk] = event_dispatch(OutboxEvent.objects.get().pk)
        with override_settings(WEBHOOK_ALLOWED_HOSTS=[]):
            delivery = delivery_attempt(delivery_pk)

    assert receiver.received == []
    assert delivery.status != "delivered" and delivery.last_status_code is None
    assert "private" in delivery.last_error or "私" in delivery.last_error
