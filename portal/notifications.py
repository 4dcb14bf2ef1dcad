"""Notifications: the in-app inbox (and mail), sent at most once per recipient and key.

A primitive that writes and reminder jobs compose — the write that sends one has already
passed its gate; these functions decide no permission of their own.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from portal.models import Notification


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
