"""Import pages — upload, dry-run report, progress, commit, the user's jobs, the template — and
the household export.

Importing is for roles holding `grids.add_importjob` (street roles, community cadres); a job is
visible to its uploader and to street roles (`ImportJob.objects.visible_to`), anyone else gets a
404. Only the uploader commits, in their own scope.
"""

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grids import imports
from grids.models import Household, ImportJob
from grids.writes.imports import RUNNING, import_job_commit_start, import_job_create
from portal.sensitive import EXPORT_UNMASKED_PERM, export_response
from portal.validators import mask_citizen_id, mask_mobile

LAYOUT_DOC = Path("docs") / "modules" / "grids-import.md"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv", "class": "form-control"}),
    )


def _require(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


@login_required
def import_list(request):
    """The user's import jobs (street roles: everyone's), newest first."""
    _require(request.user, "grids.view_importjob")
    jobs = (
        ImportJob.objects.visible_to(request.user)
        .select_related("uploaded_by")
        .order_by("-created_at", "-id")
    )
    page = Paginator(jobs, 20).get_page(request.GET.get("page"))
    return render(request, "grids/imports/list.html", {"page": page})


@login_required
def import_upload(request):
    _require(request.user, "grids.add_importjob")
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                job = import_job_create(actor=request.user, uploaded_file=form.cleaned_data["file"])
            except ValidationError as exc:
                for message in exc.message_dict.get("file", exc.messages):
                    form.add_error("file", message)
            else:
                return redirect("grids:import-detail", pk=job.pk)
        status = 400
    context = {
        "form": form,
        "columns": imports.COLUMNS,
        "max_rows": settings.IMPORT_MAX_ROWS,
        "inline_rows": settings.IMPORT_INLINE_ROWS,
    }
    return render(request, "grids/imports/upload.html", context, status=status)


def _job(request, pk: int, action: str = "view") -> ImportJob:
    return get_object_or_404(
        ImportJob.objects.visible_to(request.user, action).select_related("uploaded_by"), pk=pk
    )


def _running(job: ImportJob) -> bool:
    return job.status in RUNNING or bool(job.report.get("commit_queued"))


@login_required
def import_detail(request, pk: int):
    """The dry-run report: what would be created and updated, and every bad row."""
    job = _job(request, pk)
    report = job.report or {}
    errors = Paginator(report.get("errors", []), 100).get_page(request.GET.get("page"))
    can_commit = (
        job.status == ImportJob.Status.CHECKED
        and not report.get("error_count")
        and not report.get("commit_queued")
        and job.uploaded_by_id == request.user.pk
        and request.user.has_perm("grids.change_importjob")
    )
    context = {
        "job": job,
        "report": report,
        "counts": _count_rows(report.get("counts")),
        "total": (report.get("counts") or {}).get("total"),
        "errors": errors,
        "running": _running(job),
        "can_commit": can_commit,
    }
    return render(request, "grids/imports/detail.html", context)


def _count_rows(counts: dict | None) -> list[tuple[str, int, int]]:
    if not counts:
        return []
    labels = {
        "buildings": _("Buildings"),
        "dwellings": _("Dwellings"),
        "households": _("Households"),
        "residents": _("Residents"),
    }
    return [
        (label, counts[key]["created"], counts[key]["updated"]) for key, label in labels.items()
    ]


@login_required
def import_progress(request, pk: int):
    """The progress bar htmx polls; once the job has stopped running, the page reloads."""
    job = _job(request, pk)
    if not _running(job):
        return HttpResponse(headers={"HX-Refresh": "true"})
    return render(request, "grids/imports/_progress.html", {"job": job})


@login_required
@require_POST
def import_commit(request, pk: int):
    job = _job(request, pk, "change")
    try:
        job = import_job_commit_start(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if job.status == ImportJob.Status.COMMITTED:
            messages.success(request, _("Imported."))
    return redirect("grids:import-detail", pk=job.pk)


@login_required
def import_template(request):
    """The empty spreadsheet with the layout's headers and one example row."""
    _require(request.user, "grids.add_importjob")
    response = HttpResponse(imports.template_workbook(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="household-import-template.xlsx"'
    return response


@login_required
def import_layout(request):
    """docs/modules/grids-import.md, the description of the layout, as plain text."""
    _require(request.user, "grids.add_importjob")
    doc = Path(settings.BASE_DIR) / LAYOUT_DOC
    if not doc.is_file():
        raise Http404
    return HttpResponse(doc.read_text(encoding="utf-8"), content_type="text/plain; charset=utf-8")


@login_required
def household_export(request):
    """Download exactly the households the user may see; heads' ID numbers and phones masked
    unless the user holds the export-unmasked permission (and asks). Audited."""
    _require(request.user, "grids.view_household")
    fmt = request.GET.get("format", "xlsx")
    unmasked = request.GET.get("unmasked") == "1" and request.user.has_perm(EXPORT_UNMASKED_PERM)
    households = (
        Household.objects.visible_to(request.user)
        .select_related("grid__community", "dwelling__building", "head")
        .annotate(member_count=Count("members"))
        .order_by("number", "id")
    )
    rows = (_household_row(h, unmasked=unmasked) for h in households.iterator(chunk_size=2000))
    headers = [
        _("Household number"),
        _("Grid code"),
        _("Grid"),
        _("Community"),
        _("Kind"),
        _("Building"),
        _("Unit"),
        _("Room"),
        _("Head of household"),
        _("Head's ID number"),
        _("Head's phone"),
        _("Members"),
    ]
    try:
        return export_response(
            actor=request.user,
            rows=rows,
            headers=headers,
            filename="households",
            fmt=fmt,
            subject=str(_("Households")),
            unmasked=unmasked,
        )
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages))


def _household_row(h: Household, *, unmasked: bool) -> tuple:
    grid, dwelling, head = h.grid, h.dwelling, h.head
    if head is not None and head.household_id != h.pk:
        head = None  # only a member of the household is shown as its head
    id_number = head.id_number if head else ""
    phone = head.phone if head else ""
    return (
        h.number,
        grid.code if grid else "",
        grid.name if grid else "",
        grid.community.name if grid else "",
        h.get_kind_display(),
        dwelling.building.name if dwelling else "",
        dwelling.unit if dwelling else "",
        dwelling.room if dwelling else "",
        head.name if head else "",
        id_number if unmasked else mask_citizen_id(id_number),
        phone if unmasked else mask_mobile(phone),
        h.member_count,
    )


urlpatterns = [
    path("imports/", import_list, name="import-list"),
    path("imports/new/", import_upload, name="import-upload"),
    path("imports/template.xlsx", import_template, name="import-template"),
    path("imports/layout/", import_layout, name="import-layout"),
    path("imports/<int:pk>/", import_detail, name="import-detail"),
    path("imports/<int:pk>/progress/", import_progress, name="import-progress"),
    path("imports/<int:pk>/commit/", import_commit, name="import-commit"),
    path("households/export/", household_export, name="household-export"),
]
