"""The services dashboard: referrals by stage and age, overdue ones, partner response times,
services delivered per group per month — every figure within the user's scope."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from services.dashboards import selectors
from services.referrals.policy import access_referral_list


@login_required
def dashboard(request):
    access_referral_list(request.user)  # the dashboard is about referrals: who may read them
    now = timezone.now()
    context = {
        "stages": selectors.referrals_by_stage_and_age(actor=request.user),
        # The alarm figures come from the selector the home cards read: they agree.
        "alerts": selectors.referral_alerts(actor=request.user, now=now),
        "overdue": selectors.referrals_overdue(actor=request.user, now=now),
        "responses": selectors.partner_response_times(actor=request.user),
        "deliveries": selectors.deliveries_per_group_per_month(actor=request.user),
    }
    context["charts"] = {
        "stages": context["stages"],
        "overdue": {k: v for k, v in context["overdue"].items() if k != "oldest"},
        "responses": context["responses"],
        "deliveries": context["deliveries"],
    }
    return render(request, "services/dashboard.html", context)


urlpatterns = [path("dashboard/", dashboard, name="dashboard")]
