"""Writes of the foundation: notifications, API tokens, jurisdiction grants, scheduled runs.

Every function is atomic and audited; mail goes out after commit.
"""

import secrets
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from portal.audit import audit_record
from portal.models import ApiToken, Notification, ScheduledRun
from portal.querysets import jurisdiction_holds

# --- Notifications -------------------------------------------------------------------------


def notification_send(
    *,
    recipient,
    title: str,
    body: str = "",
    url: str = "",
    dedup_key: str = "",
    email: bool = False,
) -> tuple[Notification, bool]:
    """Send an in-app notification (and optionally an email), at most once per `dedup_key`.

    Returns the notification and whether it was created now. Safe to call from concurrent
    workers: the unique constraint decides, and the loser gets the existing row.
    """
    with transaction.atomic():
        if not dedup_key:
            notification = Notification.objects.create(
                recipient=recipient, title=title, body=body, url=url
            )
            created = True
        else:
            notification, created = Notification.objects.get_or_create(
                recipient=recipient,
                dedup_key=dedup_key,
                defaults={"title": title, "body": body, "url": url},
            )
        if created and email and recipient.email:
            transaction.on_commit(lambda: _notification_email(notification.pk))
    return notification, created


def notifications_send_many(notifications: list[Notification]) -> list[Notification]:
    """Insert many unsaved notifications, each at most once per (recipient, dedup_key).

    For reminder jobs that build hundreds of notifications: one query finds the keys already
    sent, one inserts the rest — two queries whatever the number. `ignore_conflicts` leaves the
    final word to the unique constraint when two runs race. Returns the ones that were new.
    """
    if not notifications:
        return []
    recipients = {n.recipient_id for n in notifications}
    keys = {n.dedup_key for n in notifications}
    existing = set(
        Notification.objects.filter(recipient_id__in=recipients, dedup_key__in=keys).values_list(
            "recipient_id", "dedup_key"
        )
    )
    new, seen = [], set(existing)
    for notification in notifications:
        identity = (notification.recipient_id, notification.dedup_key)
        if identity not in seen:
            seen.add(identity)
            new.append(notification)
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    return new


def _notification_email(notification_pk: int) -> None:
    notification = Notification.objects.select_related("recipient").get(pk=notification_pk)
    send_mail(
        subject=notification.title,
        message=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[notification.recipient.email],
    )
    Notification.objects.filter(pk=notification_pk).update(emailed_at=timezone.now())


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ids among them) as read."""
    queryset = Notification.objects.visible_to(user).unread()
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())


# --- API tokens ----------------------------------------------------------------------------


def api_token_issue(*, actor, client, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Issue the client's token, revoking the one it had. Returns the token and its clear key.

    The clear key is `<prefix>.<secret>` and is shown once; only its hash is stored.
    """
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
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            _api_token_revoke(actor=actor, token=token, reason=reason)
    return token


def _api_token_revoke(*, actor, token: ApiToken, reason: str) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api_token.revoke", obj=token, details={"reason": reason})


# --- Jurisdiction grants ---------------------------------------------------------------------


def jurisdiction_grant(*, actor, user, perm: str, obj) -> bool:
    """Give `user` the object permission `perm` on `obj` (a grid, a community, a partner, a case).

    Granting again changes nothing and writes no second audit event. Returns whether it was new.
    """
    with transaction.atomic():
        if jurisdiction_holds(user=user, perm=perm, obj=obj):
            return False
        assign_perm(perm, user, obj)
        audit_record(
            actor=actor, action="grant", obj=obj, details={"user": user.username, "perm": perm}
        )
    return True


def jurisdiction_revoke(*, actor, user, perm: str, obj) -> bool:
    """Take back an object permission given by jurisdiction_grant. Returns whether one was held."""
    with transaction.atomic():
        if not jurisdiction_holds(user=user, perm=perm, obj=obj):
            return False
        remove_perm(perm, user, obj)
        audit_record(
            actor=actor, action="revoke", obj=obj, details={"user": user.username, "perm": perm}
        )
    return True


# --- Scheduled runs ---------------------------------------------------------------------------


@contextmanager
def scheduled_run_once(*, task: str, slot: str):
    """Run the body once per (task, slot), however often the task is delivered.

    Yields the ScheduledRun to fill in `result`, or None when the slot already ran (or is
    running in another worker, which then wins). The row and the work commit together.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(task=task, slot=slot)
        except IntegrityError:
            yield None
            return
        yield run
        run.save(update_fields=["result"])
