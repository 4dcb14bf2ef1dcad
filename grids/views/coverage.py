"""Coverage (全覆盖) pages: the report per community, its exceptions, and the map.

Who may read the report is decided by its read gate (grids/policy.py): a role without registry
access gets 403 on the report, the map and its GeoJSON; what it counts is decided in
grids/coverage.py; a community outside the scope is a 404 like a missing one.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from grids import coverage, policy
from portal.params import id_or_404
from portal.ui import paginate


def _community_or_404(request, pk):
    return get_object_or_404(coverage.coverage_communities(actor=request.user), pk=pk)


def _community_filter(request):
    """The optional `?community=` of the map and its GeoJSON: in scope, or 404."""
    value = request.GET.get("community", "")
    if not value:
        return None
    return _community_or_404(request, id_or_404(value))


@login_required
def coverage_report(request):
    policy.access_coverage_view(request.user)
    summary = coverage.coverage_summary(actor=request.user)
    columns = [(kind, label, summary.total(kind)) for kind, label in coverage.KINDS.items()]
    table = [(row, [(kind, row.count(kind)) for kind in coverage.KINDS]) for row in summary.rows]
    return render(
        request,
        "grids/coverage_report.html",
        {"summary": summary, "columns": columns, "table": table},
    )


@login_required
def coverage_community(request, pk: int):
    community = _community_or_404(request, pk)
    row = coverage.coverage_row(actor=request.user, community=community)
    if row is None:  # pragma: no cover - the community was just found in the same scope
        raise Http404
    context = {
        "community": community,
        "row": row,
        "counts": [(kind, label, row.count(kind)) for kind, label in coverage.KINDS.items()],
        "grids": coverage.coverage_grids(actor=request.user, community=community),
        "status_labels": coverage.STATUS_LABELS,
    }
    return render(request, "grids/coverage_community.html", context)


@login_required
def coverage_exception_list(request, pk: int, kind: str):
    community = _community_or_404(request, pk)
    if kind not in coverage.KINDS:
        raise Http404
    queryset = coverage.coverage_exceptions(actor=request.user, community=community, kind=kind)
    return _exception_page(request, community=community, kind=kind, queryset=queryset)


@login_required
def coverage_unlocated(request):
    """Households with neither a grid nor a dwelling: in no community at all (street roles)."""
    policy.access_coverage_view(request.user)
    queryset = coverage.coverage_exceptions(
        actor=request.user, community=None, kind=coverage.HOUSEHOLDS
    )
    return _exception_page(request, community=None, kind=coverage.HOUSEHOLDS, queryset=queryset)


def _exception_page(request, *, community, kind, queryset):
    today = timezone.localdate()
    page = paginate(request, queryset)
    if kind in (coverage.BUILDINGS, coverage.HOUSEHOLDS):
        items = [(obj, coverage.outside_reason(obj.grid, today)) for obj in page]
    elif kind in (coverage.NO_WORKER, coverage.OVER_CAP):
        items = [(grid, grid.current_staff) for grid in page]
    else:
        items = [(resident, None) for resident in page]
    context = {
        "community": community,
        "kind": kind,
        "title": coverage.KINDS[kind],
        "page": page,
        "items": items,
        "now": timezone.now(),
    }
    return render(request, "grids/coverage_exceptions.html", context)


@login_required
def coverage_map(request):
    policy.access_coverage_view(request.user)
    community = _community_filter(request)
    # The legend names only the colours a drawn grid has.
    drawn = coverage.coverage_geojson(actor=request.user, community=community)["features"]
    in_use = {feature["properties"]["status"] for feature in drawn}
    legend = [
        (coverage.STATUS_COLOURS[status], label)
        for status, label in coverage.STATUS_LABELS.items()
        if status in in_use
    ]
    labels = {
        "households": _("Households"),
        "cap": _("cap"),
        "workers": _("Grid workers"),
        "none": _("none"),
        "overdue": _("Overdue residents"),
        "empty": _("No grid boundary to draw in your scope."),
        "legend": _("Legend"),
        "no_boundary": _("Grids without a boundary:"),
        "error": _("The grid boundaries could not be loaded."),
    }
    context = {"community": community, "legend": legend, "labels": labels}
    return render(request, "grids/coverage_map.html", context)


@login_required
def coverage_map_geojson(request):
    """The current grids of the scope as a GeoJSON FeatureCollection for the map."""
    policy.access_coverage_view(request.user)
    community = _community_filter(request)
    data = coverage.coverage_geojson(actor=request.user, community=community)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/geo+json; charset=utf-8"
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("coverage/", coverage_report, name="coverage"),
    path("coverage/map/", coverage_map, name="coverage-map"),
    path("coverage/map/grids.geojson", coverage_map_geojson, name="coverage-geojson"),
    path("coverage/unlocated/", coverage_unlocated, name="coverage-unlocated"),
    path("coverage/<id:pk>/", coverage_community, name="coverage-community"),
    path("coverage/<id:pk>/<slug:kind>/", coverage_exception_list, name="coverage-exceptions"),
]
