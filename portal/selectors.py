"""Reads of the foundation."""

from portal.models import AuditEvent, Notification


def notification_list(*, user):
    return Notification.objects.visible_to(user).order_by("-created_at", "-id")


def audit_events_for(*, obj=None, actor=None):
    queryset = AuditEvent.objects.select_related("actor", "content_type")
    if actor is not None:
        queryset = queryset.filter(actor=actor)
    if obj is not None:
        from django.contrib.contenttypes.models import ContentType

        queryset = queryset.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        )
    return queryset
