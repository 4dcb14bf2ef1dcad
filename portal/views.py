"""Pages of the foundation: home, notifications, health check."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal import selectors, writes
from portal.hooks import home_cards_for
from portal.notifications import notifications_openable
from portal.params import id_param
from portal.roles import Role
from portal.ui import paginate

HOME_TEMPLATES = {
    Role.STREET_ADMIN: "portal/home/street.html",
    Role.STREET_CADRE: "portal/home/street.html",
    Role.COMMUNITY_CADRE: "portal/home/community.html",
    Role.GRID_LEADER: "portal/home/grid.html",
    Role.GRID_WORKER: "portal/home/grid.html",
    Role.PARTNER_STAFF: "portal/home/partner.html",
    Role.PARTY_OFFICER: "portal/home/party.html",
    Role.PARTY_MEMBER: "portal/home/party.html",
}


@login_required
def home(request):
    """Each role lands on its own page, filled with cards computed inside its scope."""
    template = HOME_TEMPLATES.get(request.user.role, "portal/home/default.html")
    context = {
        "cards": home_cards_for(request.user),
        "recent_notifications": notifications_openable(
            user=request.user, notifications=selectors.notification_list(user=request.user)[:5]
        ),
    }
    return render(request, template, context)


@login_required
def notification_list(request):
    page = paginate(request, selectors.notification_list(user=request.user))
    page.object_list = notifications_openable(user=request.user, notifications=page.object_list)
    return render(request, "portal/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_mark_read(request):
    ids = [pk for raw in request.POST.getlist("id") if (pk := id_param(raw))] or None
    writes.notifications_mark_read(user=request.user, ids=ids)
    return redirect("notifications")


@never_cache
@require_GET
def healthz(request):
    """200 when the database and the broker answer, 503 otherwise; no secrets in the body."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:
        return "unavailable"


def _check_broker() -> str:
    from portal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception:
        return "unavailable"
