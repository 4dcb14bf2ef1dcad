"""Visits: the grid worker's "visits due" list, the phone visit form, visit lists and details.

Reads through grids/selectors.py; filing goes through grids.writes.visit_record, whose gate
(grids/policy.py) decides who may file a visit for whom.
"""

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from grids import policy, selectors
from grids.cadence import TIERS, due_filter, due_rows
from grids.models import Resident, TagDef, Visit
from grids.visit_forms import NeedFormSet, VisitForm
from grids.writes import visit_record
from portal.params import id_param, safe_next
from portal.policy import allowed
from portal.ui import ALL, FilterSet, filtered_page, form_errors, paginate


class VisitDueFilter(FilterSet):
    """The due list's filters: the tier of a person's cadence, a tag they hold today."""

    tier = django_filters.ChoiceFilter(
        label=_l("visit tier"),
        choices=[(tier, TagDef.Tier(tier).label) for tier in TIERS],
        method="with_tier",
        empty_label=ALL,
    )
    tag = django_filters.ModelChoiceFilter(
        label=_l("tag"),
        queryset=lambda request: selectors.tag_choices(),
        method="with_tag",
        empty_label=ALL,
    )

    class Meta:
        model = Resident
        fields = ["tier", "tag"]

    def with_tier(self, queryset, name, value):
        return due_filter(queryset, tier=value)

    def with_tag(self, queryset, name, value):
        return due_filter(queryset, tag=value.code)


@login_required
def visits_due(request):
    """Who to visit next, most urgent first (grids.cadence.RISK_ORDER: a major event, then the
    tier, then the longest overdue); overdue in red, then due within VISIT_DUE_SOON_DAYS."""
    policy.access_visits_due_list(request.user)
    now = timezone.now()
    queryset = selectors.visits_due_list(actor=request.user, now=now).select_related(
        "household__dwelling__building"
    )
    filterset = VisitDueFilter(request.GET, queryset=queryset, request=request)
    page = filtered_page(request, filterset)
    context = {
        "page": page,
        "rows": due_rows(list(page), now=now),
        "now": now,
        "filter": filterset,
    }
    return render(request, "grids/visits/due.html", context)


@login_required
def visit_create(request):
    """File a visit to a resident (?resident=) or a whole household (?household=)."""
    resident, household = _subject(request)
    form = VisitForm(request.POST or None, request.FILES or None)
    needs = NeedFormSet(request.POST or None, prefix="needs")
    if request.method == "POST" and form.is_valid() and needs.is_valid():
        data = form.cleaned_data
        try:
            visit_record(
                actor=request.user,
                resident=resident,
                household=household,
                mode=data["mode"],
                visited_at=data["visited_at"],
                outcome=data["outcome"],
                findings=data["findings"],
                risk_flags=data["risk_flags"],
                major_event=data["major_event"],
                photo=data["photo"],
                needs=[
                    {"category": n["category"], "description": n["description"]}
                    for n in needs.cleaned_data
                    if n.get("category")
                ],
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request, _("Visit to %(name)s recorded.") % {"name": resident or household}
            )
            return redirect(safe_next(request, "grids:visits-due"))
    context = {"form": form, "needs": needs, "resident": resident, "household": household}
    return render(request, "grids/visits/form.html", context, status=400 if form.errors else 200)


def _subject(request):
    """The visit's subject, looked up in the user's scope: anything else is a 404."""
    if not allowed(policy.access_visit_record, request.user):
        raise Http404
    resident_id = request.GET.get("resident") or request.POST.get("resident")
    household_id = request.GET.get("household") or request.POST.get("household")
    if resident_id := id_param(resident_id):
        resident = get_object_or_404(selectors.resident_list(actor=request.user), pk=resident_id)
        return resident, resident.household
    if household_id := id_param(household_id):
        return None, get_object_or_404(
            selectors.household_list(actor=request.user), pk=household_id
        )
    raise Http404


@login_required
def visit_list(request):
    policy.access_visit_list(request.user)
    queryset = selectors.visit_list(actor=request.user)
    if grid := id_param(request.GET.get("grid")):
        queryset = queryset.filter(household__grid=grid)
    if request.GET.get("mine") == "1":
        queryset = queryset.filter(visitor=request.user)
    page = paginate(request, queryset.order_by("-visited_at", "-id"))
    return render(request, "grids/visits/list.html", {"page": page})


@login_required
def visit_detail(request, pk: int):
    visit = get_object_or_404(selectors.visit_with_needs_list(actor=request.user), pk=pk)
    flags = dict(Visit.RiskFlag.choices)
    context = {"visit": visit, "risk_labels": [flags.get(code, code) for code in visit.risk_flags]}
    return render(request, "grids/visits/detail.html", context)


@login_required
def visit_photo(request, pk: int):
    """The photo of a visit, served only to those who may see the visit (never as a public file)."""
    visit = get_object_or_404(selectors.visit_list(actor=request.user).exclude(photo=""), pk=pk)
    return FileResponse(visit.photo.open("rb"), as_attachment=False)


urlpatterns = [
    path("visits/due/", visits_due, name="visits-due"),
    path("visits/new/", visit_create, name="visit-create"),
    path("visits/", visit_list, name="visit-list"),
    path("visits/<id:pk>/", visit_detail, name="visit-detail"),
    path("visits/<id:pk>/photo/", visit_photo, name="visit-photo"),
]
