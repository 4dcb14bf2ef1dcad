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
