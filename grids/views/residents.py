"""Resident pages: list and search, detail, reveal, export."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids import selectors
from grids.models import Resident
from portal.sensitive import EXPORT_UNMASKED_PERM, export_response, sensitive_reveal

REVEALABLE = {"id_number", "phone"}


@login_required
def resident_list(request):
    search = request.GET.get("q", "")
    queryset = selectors.resident_list(actor=request.user, search=search).order_by("name", "id")
    page = Paginator(queryset, 20).get_page(request.GET.get("page"))
    return render(request, "grids/resident_list.html", {"page": page, "q": search})


@login_required
def resident_detail(request, pk: int):
    resident = get_object_or_404(
        Resident.objects.visible_to(request.user).select_related("household__grid__community"),
        pk=pk,
    )
    return _resident_detail(request, resident)


def _resident_detail(request, resident, *, revealed=None, reveal_error="", status=200):
    tags = resident.tags.select_related("tag")
    context = {
        "resident": resident,
        "tags": tags,
        "revealed": revealed or {},
        "reveal_error": reveal_error,
    }
    return render(request, "grids/resident_detail.html", context, status=status)


@login_required
@require_POST
def resident_reveal(request, pk: int):
    """Show one ID number or phone in clear, once, after the user says why (audited)."""
    resident = get_object_or_404(Resident.objects.visible_to(request.user), pk=pk)
    field = request.POST.get("field", "")
    if field not in REVEALABLE:
        return _resident_detail(request, resident, reveal_error=_("Unknown field."), status=400)
    try:
        value = sensitive_reveal(
            actor=request.user, obj=resident, field=field, reason=request.POST.get("reason", "")
        )
    except PermissionDenied:
        return _resident_detail(
            request, resident, reveal_error=_("You may not reveal personal data."), status=403
        )
    except ValidationError as exc:
        return _resident_detail(request, resident, reveal_error=" ".join(exc.messages), status=400)
    return _resident_detail(request, resident, revealed={field: value})


@login_required
def resident_export(request):
    """Download exactly the residents the user may see (and searched for), masked by default."""
    search = request.GET.get("q", "")
    fmt = request.GET.get("format", "xlsx")
    unmasked = request.GET.get("unmasked") == "1" and request.user.has_perm(EXPORT_UNMASKED_PERM)
    residents = selectors.resident_list(actor=request.user, search=search).order_by("name", "id")
    rows = (
        (
            r.name,
            r.get_sex_display(),
            r.birth_date.isoformat(),
            r.id_number if unmasked else r.id_number_masked,
            r.phone if unmasked else r.phone_masked,
            r.household.number if r.household else "",
            r.household.grid.name if r.household and r.household.grid else "",
        )
        for r in residents.iterator(chunk_size=2000)
    )
    headers = [
        _("Name"),
        _("Sex"),
        _("Birth date"),
        _("ID number"),
        _("Phone"),
        _("Household"),
        _("Grid"),
    ]
    try:
        return export_response(
            actor=request.user,
            rows=rows,
            headers=headers,
            filename="residents",
            fmt=fmt,
            subject=str(_("Residents")),
            unmasked=unmasked,
            filters={"q": search},
        )
    except ValidationError as exc:
        from django.http import HttpResponseBadRequest

        return HttpResponseBadRequest(" ".join(exc.messages))


urlpatterns = [
    path("residents/", resident_list, name="resident-list"),
    path("residents/export/", resident_export, name="resident-export"),
    path("residents/<int:pk>/", resident_detail, name="resident-detail"),
    path("residents/<int:pk>/reveal/", resident_reveal, name="resident-reveal"),
]
