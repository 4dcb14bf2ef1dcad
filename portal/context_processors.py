"""Values every page needs: the unread-notification count for the bell."""

from portal.models import Notification


def portal(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: one COUNT query, only on pages that render the bell.
    return {"unread_notifications": lambda: Notification.objects.visible_to(user).unread().count()}
