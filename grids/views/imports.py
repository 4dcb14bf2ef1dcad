"""Import pages — upload, dry-run report, progress, commit, the user's jobs, the template — and
the household export.

Who may import and commit is decided by the gates in grids/policy.py (street roles and community
cadres import; only the uploader commits, in their own scope); these pages translate a refusal
into a 403. A job is visible to its uploader and to street roles (`ImportJob.objects.visible_to`),
anyone else gets a 404.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grids import imports
from grids.models import Household, ImportJob
from grids.policy import (
    access_household_list,
    access_import_job_commit,
    access_import_job_create,
    access_import_job_list,
)
from grids.writes.imports import import_job_commit_start, import_job_create
from portal.policy import allowed
from portal.sensitive import EXPORT_UNMASKED_PERM, export_response
from portal.spreadsheets import layout_views, report_errors_page, upload_page
from portal.ui import paginate
from portal.validators import mask_citizen_id, mask_mobile


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv", "class": "form-control"}),
    )


@login_required
def import_list(request):
    """The user's import jobs (street roles: everyone's), newest first."""
    access_import_job_list(request.user)
    jobs = (
        ImportJob.objects.visible_to(request.user)
        .select_related("uploaded_by")
        .order_by("-created_at", "-id")
    )
    return render(request, "grids/imports/list.html", {"page": paginate(request, jobs)})


@login_required
def import_upload(request):
    access_import_job_create(request.user)
    return upload_page(
        request,
        ImportUploadForm(request.POST or None, request.FILES or None),
        create=lambda data: import_job_create(actor=request.user, uploaded_file=data["file"]),
        detail="grids:import-detail",
        template="grids/imports/upload.html",
        columns=imports.COLUMNS,
        max_rows=settings.IMPORT_MAX_ROWS,
        inline_rows=settings.IMPORT_INLINE_ROWS,
    )


def _job(request, pk: int, action: str = "view") -> ImportJob:
    return get_object_or_404(
        ImportJob.objects.visible_to(request.user, action).select_related("uploaded_by"), pk=pk
    )


def _running(job: ImportJob) -> bool:
    return job.status in imports.RUNNING or bool(job.report.get("commit_queued"))


@login_required
def import_detail(request, pk: int):
    """The dry-run report: what would be created and updated, and every bad row."""
    job = _job(request, pk)
    report = job.report or {}
    errors = report_errors_page(request, report)
    can_commit = (
        job.status == ImportJob.Status.CHECKED
        and not report.get("error_count")
        and not report.get("commit_queued")
        and allowed(access_import_job_commit, request.user, job)
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
    # A second click (or a resubmitted form) finds the job already imported: it changes
    # nothing, so it says nothing — the page already shows the job's state.
    already_imported = job.status == ImportJob.Status.COMMITTED
    try:
        job = import_job_commit_start(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if job.status == ImportJob.Status.COMMITTED and not already_imported:
            messages.success(request, _("Imported."))
    return redirect("grids:import-detail", pk=job.pk)


@login_required
def household_export(request):
    """Download exactly the households the user may see; heads' ID numbers and phones masked
    unless the user holds the export-unmasked permission (and asks). Audited."""
    access_household_list(request.user)
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


# The template download and the layout's help page (for developers: docs/modules/grids-import.md).
IMPORT_GUIDANCE = (
    gettext_lazy(
        "One row per resident. Rows with the same 户号 are one household: repeat the "
        "household's columns (户号 to 房屋用途) on every member's row."
    ),
    gettext_lazy(
        "The first sheet of an Excel workbook is read, or a CSV file. The header row may sit "
        "below a title row; other columns are ignored; a * after a header (姓名*) is allowed."
    ),
    gettext_lazy(
        "A resident already registered is found by the ID number: filled cells update the "
        "record and empty cells leave it as it is, so importing the same file again changes "
        "nothing."
    ),
    gettext_lazy(
        "Dates may be written 1949-12-31, 1949/12/31, 1949.12.31, 19491231 or 1949年12月31日. "
        "Format the ID number column as text in Excel, or Excel drops its last digits."
    ),
    gettext_lazy(
        "Uploading only checks the file: the report lists every bad cell by row, column and "
        "reason. Nothing is written until you press “Import”, and only a file without errors "
        "can be imported."
    ),
    gettext_lazy(
        "A grid you do not work in reads as “no such grid”, and a resident registered outside "
        "your area cannot be imported here."
    ),
)
import_template, import_layout = layout_views(
    gate=access_import_job_create,
    workbook=imports.template_workbook,
    filename="household-import-template.xlsx",
    columns=imports.COLUMNS,
    title=gettext_lazy("Import households and residents"),
    guidance=IMPORT_GUIDANCE,
    upload="grids:import-upload",
    download="grids:import-template",
)

urlpatterns = [
    path("imports/", import_list, name="import-list"),
    path("imports/new/", import_upload, name="import-upload"),
    path("imports/template.xlsx", import_template, name="import-template"),
    path("imports/layout/", import_layout, name="import-layout"),
    path("imports/<id:pk>/", import_detail, name="import-detail"),
    path("imports/<id:pk>/progress/", import_progress, name="import-progress"),
    path("imports/<id:pk>/commit/", import_commit, name="import-commit"),
    path("households/export/", household_export, name="household-export"),
]
