"""The burden dashboard (Chart.js, vendored): forms received, turned away (with their legal
bases), found to repeat another, answered from data; the share of fields prefilled, the fields
asked of the grassroots and the hours saved — by department and by month, inside the reader's
scope; and the page where the street sets the hours-saved rule."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from portal.policy import allowed
from portal.ui import form_errors, form_page
from reporting.dashboards import selectors, writes
from reporting.dashboards.forms import BurdenRuleForm
from reporting.dashboards.models import BurdenRule
from reporting.dashboards.policy import access_burden_dashboard, access_burden_rule_change


@login_required
def dashboard(request):
    access_burden_dashboard(request.user)
    context = selectors.burden_dashboard(actor=request.user)
    context["charts"] = selectors.chart_data(context)
    context["charts"]["labels"] = {
        "forms": _("Forms received"),
        "rejected": _("Turned away"),
        "answered": _("Answered from data"),
        "issued": _("Issued to communities"),
        "prefilled": _("Fields prefilled"),
        "asked": _("Fields asked"),
        "hours": _("Hours saved"),
    }
    context["may_set_rule"] = allowed(access_burden_rule_change, request.user)
    context["street_view"] = request.user.is_street_staff
    return render(request, "reporting/dashboards/dashboard.html", context)


@login_required
def rule_edit(request):
    access_burden_rule_change(request.user)
    form = BurdenRuleForm(request.POST or None, instance=BurdenRule.current())
    if request.method == "POST" and form.is_valid():
        try:
            writes.burden_rule_set(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("The hours-saved rule was saved."))
            return redirect("reporting:dashboard")
    return form_page(
        request,
        form,
        title=_("Hours-saved rule"),
        cancel_url=reverse("reporting:dashboard"),
    )


# Included by reporting/urls.py into the `reporting` namespace (reporting:dashboard,
# reporting:burden-rule).
urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/rule/", rule_edit, name="burden-rule"),
]
