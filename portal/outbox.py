"""The outbox: events about referrals, visits and reporting tasks, written by the same
transaction as the change (a `post_save` receiver), so a rolled-back write leaves no event and
a committed one always has its event. The webhook dispatcher (portal/webhooks.py) fans them out.

The foundation imports no module: the sources are named by model label and connected lazily
at `ready()`. Payloads are minimal — type, id, state, time; never a name or an ID number —
the subscriber reads the details through the API, within its own scope.
"""

import logging
import uuid
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.db.models.signals import post_init, post_save
from django.utils import timezone

from portal.models import OutboxEvent, WebhookEvent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxSource:
    label: str  # "app_label.ModelName"
    kind: str  # the object's type in the payload
    group: str  # the API token group a subscriber needs to read it
    created: str  # event type on creation
    changed: str | None = None  # event type when `state_field` changes
    state_field: str | None = None


SOURCES = (
    OutboxSource(
        label="services.Referral",
        kind="referral",
        group="services",
        created=WebhookEvent.REFERRAL_CREATED,
        changed=WebhookEvent.REFERRAL_STATE_CHANGED,
        state_field="status",
    ),
    OutboxSource(
        label="grids.Visit", kind="visit", group="visits", created=WebhookEvent.VISIT_FILED
    ),
    OutboxSource(
        label="reporting.ReportTask",
        kind="report_task",
        group="reporting",
        created=WebhookEvent.REPORT_TASK_CREATED,
        changed=WebhookEvent.REPORT_TASK_STATE_CHANGED,
        state_field="state",
    ),
)
SOURCE_BY_EVENT = {
    event: source for source in SOURCES for event in (source.created, source.changed) if event
}


def _remember_state(source, sender, instance, **kwargs):
    # The state as loaded (a deferred field is not fetched: unknown, no change event).
    instance._outbox_state = instance.__dict__.get(source.state_field)


def _saved(source, sender, instance, created, raw=False, **kwargs):
    if raw:  # fixtures
        return
    state = instance.__dict__.get(source.state_field) if source.state_field else None
    if created:
        event_type = source.created
    elif source.changed and getattr(instance, "_outbox_state", None) not in (None, state):
        event_type = source.changed
    else:
        return
    if source.state_field:
        instance._outbox_state = state
    outbox_emit(source=source, event_type=event_type, obj=instance, state=state)


def outbox_emit(*, source: OutboxSource, event_type: str, obj, state=None) -> OutboxEvent:
    """Write the event beside the change; hand it to the dispatcher once the change commits."""
    event_id = uuid.uuid4()
    payload = {
        "event_id": str(event_id),
        "type": str(event_type),
        "object": source.kind,
        "id": obj.pk,
        "state": state,
        "occurred_at": timezone.now().isoformat(),
    }
    event = OutboxEvent.objects.create(
        event_id=event_id,
        type=event_type,
        model=source.label,
        object_id=str(obj.pk),
        payload=payload,
    )
    # If the broker is down the beat sweep (portal.webhooks_sweep) dispatches it later.
    # (A lambda, not a partial: robust on_commit logs the callback's __qualname__, which a
    # partial lacks — the AttributeError turned a broker outage into a 500.)
    transaction.on_commit(lambda: _queue_dispatch(event.pk), robust=True)
    return event


def _queue_dispatch(event_pk: int) -> None:
    from portal.tasks import webhook_event_dispatch

    webhook_event_dispatch.apply_async((event_pk,), retry=False)


def outbox_connect() -> None:
    """Connect the receivers (PortalConfig.ready)."""
    for source in SOURCES:
        post_save.connect(
            partial(_saved, source),
            sender=source.label,
            weak=False,
            dispatch_uid=f"outbox-saved:{source.label}",
        )
        if source.state_field:
            post_init.connect(
                partial(_remember_state, source),
                sender=source.label,
                weak=False,
                dispatch_uid=f"outbox-init:{source.label}",
            )
