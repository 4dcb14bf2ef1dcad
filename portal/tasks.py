"""Periodic work of the foundation. Thin shims: they pick a slot and call a service."""

from celery import shared_task
from django.utils import timezone

from portal import maintenance


@shared_task(name="portal.sessions_clear_expired")
def sessions_clear_expired() -> dict:
    """Delete expired sessions, once per hour however often beat fires."""
    slot = timezone.localtime().strftime("%Y-%m-%dT%H")
    return maintenance.sessions_clear_expired(slot=slot)


@shared_task(name="portal.api_tokens_remind_expiring")
def api_tokens_remind_expiring() -> dict:
    """Tell street administrators about integration tokens that expire soon, once per token."""
    return maintenance.api_tokens_remind_expiring(now=timezone.now())


@shared_task(name="portal.audit_archive")
def audit_archive() -> dict:
    """Move audit events past their retention period into verified archive files."""
    from portal.audit_archive import audit_archive_run

    return audit_archive_run()


# --- Webhooks (portal/webhooks.py): at least once, retried with back-off ---------------------


@shared_task(name="portal.webhook_event_dispatch")
def webhook_event_dispatch(event_pk: int) -> list[int]:
    """Fan an outbox event out to its subscriptions and try each delivery at once."""
    from portal import webhooks

    delivery_ids = webhooks.event_dispatch(event_pk)
    for delivery_pk in delivery_ids:
        webhook_delivery_attempt.delay(delivery_pk)
    return delivery_ids


@shared_task(name="portal.webhook_delivery_attempt")
def webhook_delivery_attempt(delivery_pk: int) -> str | None:
    """One attempt; a failure schedules the next after its back-off (beat sweeps as well)."""
    from portal import webhooks

    delivery = webhooks.delivery_attempt(delivery_pk)
    if delivery is None:
        return None
    if delivery.status == delivery.Status.PENDING:
        countdown = max((delivery.next_attempt_at - timezone.now()).total_seconds(), 0)
        webhook_delivery_attempt.apply_async((delivery_pk,), countdown=countdown)
    return delivery.status


@shared_task(name="portal.webhooks_sweep")
def webhooks_sweep() -> dict:
    """Every minute: events not yet dispatched, deliveries due for another attempt."""
    from portal import webhooks

    return webhooks.webhooks_sweep()


@shared_task(name="portal.idempotency_keys_purge")
def idempotency_keys_purge() -> int:
    """Hourly: expired Idempotency-Keys and their stored answers."""
    from portal import webhooks

    return webhooks.idempotency_keys_purge()
