"""Visits: the grid worker's "visits due" list, the phone visit form, visit lists and details."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grids import selectors
from grids.models import Household, Resident, Visit
from grids.visit_forms import NeedFormSet, VisitForm
from grids.writes import visit_record


@login_required
def visits_due(request):
    """Who to visit next, most urgent first: overdue (red), then due within VISIT_DUE_SOON_DAYS."""
    if not request.user.has_perm("grids.add_visit"):
        raise PermissionDenied
    now = timezone.now()
    queryset = selectors.visits_due_list(actor=request.user, now=now)
    page = Paginator(queryset, 20).get_page(request.GET.get("page"))
    rows = [
        {
            "resident": resident,
            "overdue_days": (now - resident.due_at).days if resident.is_overdue else 0,
        }
        for resident in page
    ]
    return render(request, "grids/visits/due.html", {"page": page, "rows": rows, "now": now})


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
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, _("Visit to %(name)s recorded.") % {"name": resident or household}
            )
            return redirect(request.POST.get("next") or reverse("grids:visits-due"))
    context = {"form": form, "needs": needs, "resident": resident, "household": household}
    return render(request, "grids/visits/form.html", context, status=400 if form.errors else 200)


def _subject(request):
    """The visit's subject, looked up in the user's scope: anything else is a 404."""
    if not request.user.has_perm("grids.add_visit"):
        raise Http404
    resident_id = request.GET.get("resident") or request.POST.get("resident")
    household_id = request.GET.get("household") or request.POST.get("household")
    if resident_id and resident_id.isdigit():
        resident = get_object_or_404(
            Resident.objects.visible_to(request.user).select_related("household__grid"),
            pk=resident_id,
        )
        return resident, resident.household
    if household_id and household_id.isdigit():
        return None, get_object_or_404(Household.objects.visible_to(request.user), pk=household_id)
    raise Http404


@login_required
def visit_list(request):
    if not request.user.has_perm("grids.view_visit"):
        raise PermissionDenied
    queryset = selectors.visit_list(actor=request.user)
    grid = request.GET.get("grid")
    if grid and grid.isdigit():
        queryset = queryset.filter(household__grid=grid)
    if request.GET.get("mine") == "1":
        queryset = queryset.filter(visitor=request.user)
    page = Paginator(queryset.order_by("-visited_at", "-id"), 20).get_page(request.GET.get("page"))
    return render(request, "grids/visits/list.html", {"page": page})


@login_required
def visit_detail(request, pk: int):
    visit = get_object_or_404(
        selectors.visit_list(actor=request.user).prefetch_related("needs__resident"), pk=pk
    )
    flags = dict(Visit.RiskFlag.choices)
    context = {"visit": visit, "risk_labels": [flags.get(code, code) for code in visit.risk_flags]}
    return render(request, "grids/visits/detail.html", context)


@login_required
def visit_photo(request, pk: int):
    """The photo of a visit, served only to those who may see the visit (never as a public file)."""
    from django.http import FileResponse

    visit = get_object_or_404(selectors.visit_list(actor=request.user).exclude(photo=""), pk=pk)
    return FileResponse(visit.photo.open("rb"), as_attachment=False)


urlpatterns = [
    path("visits/due/", visits_due, name="visits-due"),
    path("visits/new/", visit_create, name="visit-create"),
    path("visits/", visit_list, name="visit-list"),
    path("visits/<int:pk>/", visit_detail, name="visit-detail"),
    path("visits/<int:pk>/photo/", visit_photo, name="visit-photo"),
]
