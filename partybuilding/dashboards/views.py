"""The Party-building dashboard (Chart.js, vendored): organisations and members per community,
双报到 coverage, hours served per month, alliance items by status, organisational-life gaps,
training hours against thresholds — every figure within the reader's scope."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from partybuilding.dashboards import selectors
from partybuilding.dashboards.policy import access_party_dashboard


@login_required
def dashboard(request):
    access_party_dashboard(request.user)
    today = timezone.localdate()
    context = selectors.party_dashboard(actor=request.user, today=today)
    context["charts"] = {
        "communities": context["communities"],
        "hours": context["hours"],
        "items": context["items"],
        "coverage": context["coverage"],
    }
    return render(request, "partybuilding/dashboards/dashboard.html", context)


urlpatterns = [path("", dashboard, name="dashboard")]
