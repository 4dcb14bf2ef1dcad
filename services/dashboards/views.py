"""The services dashboard: referrals by stage and age, overdue ones, partner response times,
services delivered per group per month — every figure within the user's scope."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from services.dashboards import selectors as dashboards


@login_required
def dashboard(request):
    if not request.user.has_perm("services.view_referral"):
        raise PermissionDenied
    now = timezone.now()
    context = {
        "stages": dashboards.referrals_by_stage_and_age(actor=request.user),
        "overdue": dashboards.referrals_overdue(actor=request.user, now=now),
        "responses": dashboards.partner_response_times(actor=request.user),
        "deliveries": dashboards.deliveries_per_group_per_month(actor=request.user),
    }
    context["charts"] = {
        "stages": context["stages"],
        "overdue": {k: v for k, v in context["overdue"].items() if k != "oldest"},
        "responses": context["responses"],
        "deliveries": context["deliveries"],
    }
    return render(request, "services/dashboard.html", context)


urlpatterns = [path("dashboard/", dashboard, name="dashboard")]
