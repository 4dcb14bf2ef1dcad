"""The foundation's scheduled work, callable from tasks and tests alike."""

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import ApiToken, User
from portal.notifications import notification_send
from portal.roles import Role
from portal.schedules import scheduled_run_once


def sessions_clear_expired(*, slot: str) -> dict:
    """Delete sessions past their expiry date; the (task, slot) pair runs once."""
    with scheduled_run_once(task="portal.sessions_clear_expired", slot=slot) as run:
        if run is None:
            return {"skipped": True, "slot": slot}
        deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
        run.result = {"deleted": deleted}
    return {"skipped": False, "slot": slot, "deleted": deleted}


def api_tokens_remind_expiring(*, now) -> dict:
    """Notify every active street administrator of live tokens expiring within the window.

    One notification per administrator, token and expiry date (the dedup key), however often
    this runs; a renewed token has a new expiry date and so gets its own reminder.
    """
    horizon = now + timedelta(days=settings.API_TOKEN_REMIND_DAYS)
    tokens = list(
        ApiToken.objects.active(now=now).filter(expires_at__lte=horizon).select_related("user")
    )
    admins = list(User.objects.filter(role=Role.STREET_ADMIN, is_active=True))
    sent = 0
    for token in tokens:
        expires = timezone.localtime(token.expires_at).date()
        for admin in admins:
            _notification, created = notification_send(
                recipient=admin,
                title=_("API token of %(client)s expires on %(date)s")
                % {"client": token.user.get_full_name(), "date": expires.isoformat()},
                body=_("Issue a new token for the integration before it stops working."),
                url=reverse("admin:portal_apitoken_change", args=[token.pk]),
                dedup_key=f"api-token-expiry:{token.pk}:{expires.isoformat()}",
                email=True,
            )
            sent += created
    return {"tokens": len(tokens), "sent": sent}
