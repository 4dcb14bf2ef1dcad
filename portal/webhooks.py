"""Webhook delivery: the outbox's events fanned out to subscriptions and POSTed, signed,
retried with exponential back-off until a 2xx (at least once), each attempt recorded.

- `event_dispatch(event)` creates one `WebhookDelivery` per active subscription that wants the
  event type and whose owner may see the object now (`visible_to`), and whose token (if it
  was made with one) may read the object's resource group.
- `delivery_attempt(delivery)` claims the delivery with a lease (`next_attempt_at` moved past
  the request's time-out, committed before the POST): a worker killed mid-request leaves it to
  the next sweep, never lost; two workers never post it at once.
- The request: `POST <url>` with the JSON payload and
  `X-Portal-Event-Id` (the same on every retry: the subscriber de-duplicates on it),
  `X-Portal-Event-Type`, `X-Portal-Timestamp` (Unix seconds) and
  `X-Portal-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" under the secret>`.
"""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import requests
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from portal.outbox import SOURCE_BY_EVENT
from portal.validators import webhook_target_refusal

SIGNATURE_HEADER = "X-Portal-Signature"
TIMESTAMP_HEADER = "X-Portal-Timestamp"
EVENT_ID_HEADER = "X-Portal-Event-Id"
EVENT_TYPE_HEADER = "X-Portal-Event-Type"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff_seconds(attempts: int) -> int:
    """Wait after the `attempts`-th failure: base × 2^(attempts − 1), capped."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.WEBHOOK_RETRY_MAX_SECONDS)


def event_dispatch(event_pk: int) -> list[int]:
    """Fan one event out to its subscriptions (once); returns the new deliveries' ids."""
    with transaction.atomic():
        event = (
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_pk, dispatched_at__isnull=True)
            .first()
        )
        if event is None:
            return []
        source = SOURCE_BY_EVENT.get(event.type)
        model = apps.get_model(event.model)
        subscriptions = WebhookSubscription.objects.filter(
            active=True, owner__is_active=True, event_types__contains=[event.type]
        ).select_related("owner", "token")
        rows = []
        for subscription in subscriptions:
            token = subscription.token
            if source and token is not None and not token.allows(source.group, write=False):
                continue
            visible = model._default_manager.visible_to(subscription.owner, "view")
            if visible.filter(pk=event.object_id).exists():
                rows.append(WebhookDelivery(subscription=subscription, event=event))
        created = WebhookDelivery.objects.bulk_create(rows)  # once: the event row is locked
        event.dispatched_at = timezone.now()
        event.save(update_fields=["dispatched_at"])
        ids = [row.pk for row in created]
    return ids


def _claim(delivery_pk: int, now):
    lease = timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 2 + 30)
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription", "event")
            .filter(
                pk=delivery_pk,
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now,
            )
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + lease
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return delivery


def delivery_attempt(delivery_pk: int, *, now=None) -> WebhookDelivery | None:
    """One attempt at a due delivery (None when it is not due, done or taken)."""
    now = now or timezone.now()
    delivery = _claim(delivery_pk, now)
    if delivery is None:
        return None
    subscription, event = delivery.subscription, delivery.event
    body = json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "street-office-portal-webhooks/1",
        EVENT_ID_HEADER: str(event.event_id),
        EVENT_TYPE_HEADER: event.type,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(subscription.secret, timestamp, body),
    }
    status_code, error = None, ""
    refusal = webhook_target_refusal(subscription.url, allowed_hosts=settings.WEBHOOK_ALLOWED_HOSTS)
    try:
        if refusal:  # the name now resolves into a private network: not sent, recorded
            raise requests.RequestException(refusal)
        answer = requests.post(
            subscription.url,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        status_code = answer.status_code
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    done = max(timezone.now(), now)
    fields = {"last_status_code": status_code, "last_error": error}
    if status_code is not None and 200 <= status_code < 300:
        fields.update(status=WebhookDelivery.Status.DELIVERED, delivered_at=done)
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        fields.update(status=WebhookDelivery.Status.FAILED)
    else:
        fields.update(next_attempt_at=done + timedelta(seconds=backoff_seconds(delivery.attempts)))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    delivery.refresh_from_db()
    return delivery


def webhooks_sweep(*, now=None, limit: int = 500) -> dict:
    """Beat's safety net: dispatch events the broker never carried, retry due deliveries."""
    dispatched = 0
    for event_pk in OutboxEvent.objects.filter(dispatched_at__isnull=True).values_list(
        "pk", flat=True
    )[:limit]:
        event_dispatch(event_pk)
        dispatched += 1
    attempted = 0
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).values_list("pk", flat=True)[:limit]
    for delivery_pk in list(due):
        if delivery_attempt(delivery_pk, now=now) is not None:
            attempted += 1
    return {"dispatched": dispatched, "attempted": attempted}


def idempotency_keys_purge(*, now=None) -> int:
    """Forget the answers of expired Idempotency-Keys."""
    from portal.models import IdempotencyKey

    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
