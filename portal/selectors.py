"""Reads of the foundation."""

from portal.models import Notification


def notification_list(*, user):
    return Notification.objects.visible_to(user).order_by("-created_at", "-id")


def webhook_subscription_list(*, actor):
    from portal.models import WebhookSubscription

    return WebhookSubscription.objects.visible_to(actor).order_by("-created_at", "-id")
