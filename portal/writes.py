"""Writes of the foundation: marking notifications read, API tokens. Each opens with its gate.

Notifications, grants and once-per-slot runs are primitives that other writes compose:
portal/notifications.py, portal/grants.py, portal/schedules.py.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import ApiToken, Notification
from portal.policy import (
    access_api_token_issue,
    access_api_token_revoke,
    access_notifications_mark_read,
)

# --- Notifications -------------------------------------------------------------------------


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ids among them) as read."""
    access_notifications_mark_read(user)
    queryset = Notification.objects.visible_to(user).unread()
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())


# --- API tokens ----------------------------------------------------------------------------


def api_token_issue(*, actor, client, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Issue the client's token, revoking the one it had. Returns the token and its clear key.

    The clear key is `<prefix>.<secret>` and is shown once; only its hash is stored.
    """
    access_api_token_issue(actor, client)
    if not client.is_integration:
        raise ValidationError(
            {"client": _("API tokens are for district integration accounts only.")}
        )
    days = days or settings.API_TOKEN_DEFAULT_DAYS
    prefix = secrets.token_hex(4)
    raw = f"{prefix}.{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        for old in ApiToken.objects.select_for_update().filter(
            user=client, revoked_at__isnull=True
        ):
            _api_token_revoke(actor=actor, token=old, reason="replaced")
        token = ApiToken.objects.create(
            user=client,
            name=name,
            key_prefix=prefix,
            key_hash=ApiToken.hash_key(raw),
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_record(
            actor=actor, action="api_token.issue", obj=token, details={"client": client.username}
        )
    return token, raw


def api_token_revoke(*, actor, token: ApiToken, reason: str = "revoked") -> ApiToken:
    """Revoke a token now; requests with it are refused from this moment."""
    access_api_token_revoke(actor, token)
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            _api_token_revoke(actor=actor, token=token, reason=reason)
    return token


def _api_token_revoke(*, actor, token: ApiToken, reason: str) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api_token.revoke", obj=token, details={"reason": reason})
