"""Notifications: the in-app inbox (and mail), sent at most once per recipient and key.

A primitive that writes and reminder jobs compose — the write that sends one has already
passed its gate; these functions decide no permission of their own. A notification is about
an object (a referral, a contract, ...): it carries the object, a title naming it and the link
to its page, and is never sent to someone who could not open that page (`notification_send`
checks the object's `visible_to`; reminder jobs pick their recipients inside the same scopes).
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from portal.models import Notification


def name_masked(name: str) -> str:
    """A person's name as a notification shows it: the surname and a star per other character
    (张** for 张三丰) — enough to recognise the case, nothing to leak by mail."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1)


def notification_about(obj, url: str = "") -> dict:
    """The fields that tie a notification to `obj`: its type, id and page (`url`, or the
    object's `get_absolute_url()`). For reminder jobs building `Notification(...)` rows."""
    if obj is None:
        return {"url": url}
    if not url and hasattr(obj, "get_absolute_url"):
        url = obj.get_absolute_url()
    return {
        "object_type": ContentType.objects.get_for_model(type(obj)),
        "object_id": obj.pk,
        "url": url,
    }


def _may_open(recipient, obj) -> bool:
    """Whether `recipient` sees `obj` (its queryset's `visible_to`): its page would not 404."""
    manager = type(obj)._default_manager
    if not hasattr(manager, "visible_to"):
        return True
    return manager.visible_to(recipient).filter(pk=obj.pk).exists()


def notifications_openable(*, user, notifications) -> list[Notification]:
    """The notifications (a page of them), each with `openable`: whether its link still opens
    for `user`. An object can leave a reader's scope after the notification (a partner declines
    a referral): its title then shows without a link rather than leading to a 404. One query per
    kind of object on the page."""
    notifications = list(notifications)
    wanted: dict[int, set[int]] = {}
    for n in notifications:
        if n.object_type_id and n.object_id:
            wanted.setdefault(n.object_type_id, set()).add(n.object_id)
    visible: set[tuple[int, int]] = set()
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        manager = model._default_manager if model is not None else None
        if manager is None:
            continue
        rows = manager.visible_to(user) if hasattr(manager, "visible_to") else manager.all()
        visible |= {(type_id, pk) for pk in rows.filter(pk__in=ids).values_list("pk", flat=True)}
    for n in notifications:
        n.openable = bool(n.url) and (
            not n.object_type_id or (n.object_type_id, n.object_id) in visible
        )
    return notifications


def notification_send(
    *,
    recipient,
    title: str,
    body: str = "",
    url: str = "",
    obj=None,
    dedup_key: str = "",
    email: bool = False,
) -> tuple[Notification | None, bool]:
    """Send an in-app notification (and optionally an email), at most once per `dedup_key`.

    `obj` is what the notification is about: it is linked (`url` defaults to its page) and the
    notification is not sent — (None, False) — to a recipient who may not see it.
    Returns the notification and whether it was created now. Safe to call from concurrent
    workers: the unique constraint decides, and the loser gets the existing row.
    """
    if obj is not None and not _may_open(recipient, obj):
        return None, False
    fields = {"title": str(title)[:200], "body": body, **notification_about(obj, url)}
    with transaction.atomic():
        if not dedup_key:
            notification = Notification.objects.create(recipient=recipient, **fields)
            created = True
        else:
            notification, created = Notification.objects.get_or_create(
                recipient=recipient, dedup_key=dedup_key, defaults=fields
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
