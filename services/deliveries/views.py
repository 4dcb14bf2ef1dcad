"""Delivery pages: the list, "log a delivery" under a referral, canteen meal-log imports and
the monthly statement of a partner.

- /services/deliveries/ — deliveries in scope (`Delivery.objects.visible_to`: street all,
  partner staff their organisation's, community and grid staff their residents'), filtered,
  20 to a page, the same number of queries for 1 row and for 20.
- /services/referrals/<pk>/deliveries/new/ — the phone form a partner's staff fill in after a
  visit: on a referral of their organisation that is accepted or in service (street roles may
  log too). A referral out of scope is a 404; one the user sees but may not log on, a 403
  (the gate `access_referral_delivery_log`, services/deliveries/policy.py). The referral
  detail page gets its deliveries and the button from
  services.deliveries.selectors.referral_deliveries_context.
- /services/meal-imports/ — a canteen's spreadsheet of meals: upload → the dry run's report
  with every bad row → "Import" (services/deliveries/meal_import.py). Partner staff import for
  their organisation, street roles for any partner.
- /services/partners/<pk>/statement/?month=YYYY-MM — the monthly statement, with its Excel
  export (audited, through portal.sensitive.export_response); the street closes a month that
  has ended there (POST …/statement/close/, the gate `access_statement_close`).
- /services/deliveries/<pk>/adjust/ — the street corrects what it pays for a delivery: an
  adjustment in the first open month from the delivery's on (`access_statement_adjust`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.policy import allowed
from portal.sensitive import export_response
from portal.spreadsheets import layout_views, report_errors_page, upload_page
from portal.ui import filtered_page, form_errors, form_page, paginate
from services.catalogue.selectors import partner_choices
from services.deliveries import meal_import, selectors
from services.deliveries.filters import DeliveryFilter
from services.deliveries.forms import DeliveryForm, MealImportForm, StatementAdjustmentForm
from services.deliveries.models import MealImport
from services.deliveries.policy import (
    access_delivery_list,
    access_meal_import_commit,
    access_meal_import_create,
    access_meal_import_list,
    access_partner_statement,
    access_referral_delivery_log,
    access_statement_adjust,
    access_statement_close,
)
from services.deliveries.statements import (
    Month,
    partner_statement,
    statement_headers,
    statement_rows,
)
from services.deliveries.writes import delivery_log, statement_adjust, statement_close
from services.referrals.selectors import referral_list

# --- Deliveries -----------------------------------------------------------------------------


@login_required
def delivery_list_page(request):
    access_delivery_list(request.user)
    queryset = selectors.delivery_list(actor=request.user).order_by("-delivered_at", "-id")
    filterset = DeliveryFilter(request.GET, queryset=queryset, request=request)
    context = {
        "page": filtered_page(request, filterset),
        "filter": filterset,
        "may_import": allowed(access_meal_import_create, request.user),
        "may_see_statements": allowed(access_partner_statement, request.user),
        "may_adjust": allowed(access_statement_adjust, request.user),
    }
    return render(request, "services/deliveries/list.html", context)


@login_required
def delivery_create(request, pk: int):
    """Log a delivery on a referral (partner staff of the assigned partner, or the street)."""
    referral = get_object_or_404(
        referral_list(actor=request.user).select_related("resident"),
        pk=pk,
    )
    access_referral_delivery_log(request.user, referral)
    initial = {
        "delivered_at": timezone.localtime().replace(second=0, microsecond=0),
        "quantity": 1,
        "staff_name": request.user.get_full_name(),
    }
    form = DeliveryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            delivery_log(
                actor=request.user,
                referral=referral,
                partner=referral.partner,
                service_item=referral.service_item,
                resident=referral.resident,
                delivered_at=data["delivered_at"],
                quantity=data["quantity"],
                staff_name=data["staff_name"],
                verification=data["verification"],
                feedback=data["feedback"],
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Delivery logged."))
            return redirect("services:referral-detail", pk=referral.pk)
    return form_page(
        request,
        form,
        title=_("Log a delivery"),
        cancel_url=reverse("services:referral-detail", args=[referral.pk]),
        template="services/deliveries/form.html",
        referral=referral,
    )


# --- Meal-log imports -----------------------------------------------------------------------


@login_required
def meal_import_list(request):
    access_meal_import_list(request.user)
    imports = (
        MealImport.objects.visible_to(request.user)
        .select_related("partner", "service_item", "uploaded_by")
        .order_by("-created_at", "-id")
    )
    context = {
        "page": paginate(request, imports),
        "may_import": allowed(access_meal_import_create, request.user),
    }
    return render(request, "services/deliveries/meal_import_list.html", context)


@login_required
def meal_import_upload(request):
    access_meal_import_create(request.user)
    return upload_page(
        request,
        MealImportForm(request.POST or None, request.FILES or None, user=request.user),
        create=lambda data: meal_import.meal_import_create(
            actor=request.user,
            partner=data["partner"],
            service_item=data["service_item"],
            uploaded_file=data["file"],
        ),
        detail="services:meal-import-detail",
        template="services/deliveries/meal_import_upload.html",
        columns=meal_import.COLUMNS,
        max_rows=meal_import.MAX_ROWS,
    )


@login_required
def meal_import_detail(request, pk: int):
    """The dry-run report: what would be imported, every bad row, and the Import button."""
    job = get_object_or_404(
        MealImport.objects.visible_to(request.user).select_related(
            "partner", "service_item", "uploaded_by"
        ),
        pk=pk,
    )
    report = job.report or {}
    errors = report_errors_page(request, report)
    already = report.get("already_imported")
    can_commit = (
        job.status == MealImport.Status.CHECKED
        and not already
        and not report.get("error_count")
        and allowed(access_meal_import_commit, request.user, job)
    )
    context = {
        "job": job,
        "report": report,
        "counts": report.get("counts") or {},
        "errors": errors,
        "already": already,
        "can_commit": can_commit,
    }
    return render(request, "services/deliveries/meal_import_detail.html", context)


@login_required
@require_POST
def meal_import_commit_view(request, pk: int):
    job = get_object_or_404(MealImport.objects.visible_to(request.user), pk=pk)
    # A second click finds the file already imported: nothing changes, nothing is said.
    already_imported = job.status == MealImport.Status.COMMITTED
    try:
        job = meal_import.meal_import_commit(actor=request.user, meal_import=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if already_imported:
            pass
        elif job.status == MealImport.Status.COMMITTED:
            count = job.report.get("counts", {}).get("meals", 0)
            messages.success(request, _("Imported %(n)d meals.") % {"n": count})
        elif job.report.get("already_imported"):
            messages.info(request, _("This file was already imported; nothing was added."))
        else:
            messages.error(request, _("Nothing was written: see the errors below."))
    return redirect("services:meal-import-detail", pk=job.pk)


# The template download and the layout's help page (for developers:
# docs/modules/services-meal-import.md).
MEAL_IMPORT_GUIDANCE = (
    gettext_lazy(
        "One row per meal served. The first sheet of an Excel workbook is read, or a CSV file, "
        "at most 10,000 rows. The header row may sit below a title row; other columns are "
        "ignored."
    ),
    gettext_lazy(
        "The resident is found by the ID number among everyone registered in the street, and "
        "the name must agree with it. The report never shows anything about a resident, only "
        "the row, the column and the reason."
    ),
    gettext_lazy(
        "A subsidised meal is counted once per resident, date and meal, across all canteens."
    ),
    gettext_lazy(
        "Uploading only checks the file. Nothing is written until you press “Import”, and only "
        "a file without errors can be imported; importing the same file again adds nothing."
    ),
)
meal_import_template, meal_import_layout = layout_views(
    gate=access_meal_import_create,
    workbook=meal_import.template_workbook,
    filename="meal-log-template.xlsx",
    columns=meal_import.COLUMNS,
    title=gettext_lazy("Import a meal log"),
    guidance=MEAL_IMPORT_GUIDANCE,
    upload="services:meal-import-upload",
    download="services:meal-import-template",
)


# --- The monthly statement ------------------------------------------------------------------


def _statement_partner(request, pk: int):
    """The partner, if the user may see its statement; else 404 like a missing one."""
    partner = get_object_or_404(partner_choices(actor=request.user), pk=pk)
    if not allowed(access_partner_statement, request.user, partner):
        raise Http404
    return partner


def _month(request) -> tuple[Month, str]:
    """The month asked for (default: this month) and, for a bad value, the message."""
    value = request.GET.get("month", "")
    if not value:
        return Month.current(), ""
    try:
        return Month.parse(value), ""
    except ValidationError as exc:
        return Month.current(), exc.message_dict["month"][0]


@login_required
def statement_index(request):
    """Which partner's statement: partner staff go straight to their organisation's."""
    access_partner_statement(request.user)
    partners = list(partner_choices(actor=request.user))
    if len(partners) == 1:
        return redirect("services:partner-statement", pk=partners[0].pk)
    return render(request, "services/deliveries/statement_index.html", {"partners": partners})


@login_required
def statement_page(request, pk: int):
    partner = _statement_partner(request, pk)
    month, month_error = _month(request)
    try:
        statement = partner_statement(actor=request.user, partner=partner, month=month)
    except ObjectDoesNotExist:
        raise Http404 from None
    context = {
        "partner": partner,
        "statement": statement,
        "month_error": month_error,
        "previous": month.previous(),
        "next": month.next() if month < Month.current() else None,
        # The street moves between partners; a partner's staff have only their own.
        "partners": partner_choices(actor=request.user) if request.user.is_street_staff else None,
        # Only a month that has ended is closed, by the street.
        "may_close": (
            not statement.closed
            and month < Month.current()
            and allowed(access_statement_close, request.user, partner)
        ),
    }
    return render(
        request,
        "services/deliveries/statement.html",
        context,
        status=400 if month_error else 200,
    )


@login_required
def statement_export(request, pk: int):
    """The statement as an Excel workbook (or CSV with ?format=csv), totals row last; audited."""
    partner = _statement_partner(request, pk)
    month, month_error = _month(request)
    if month_error:
        return HttpResponseBadRequest(month_error)
    try:
        statement = partner_statement(actor=request.user, partner=partner, month=month)
    except ObjectDoesNotExist:
        raise Http404 from None
    try:
        return export_response(
            actor=request.user,
            rows=statement_rows(statement),
            headers=statement_headers(),
            filename=f"statement-{partner.pk}-{month}",
            fmt=request.GET.get("format", "xlsx"),
            subject=str(_("Statement %(month)s") % {"month": month}),
            unmasked=False,  # totals per service item: no one's personal data
            filters={"partner": partner.pk, "month": str(month)},
        )
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages))


@login_required
@require_POST
def statement_close_view(request, pk: int):
    """Close the month's statement (the street); the page again, with what happened."""
    partner = _statement_partner(request, pk)
    month, month_error = _month(request)
    if month_error:
        return HttpResponseBadRequest(month_error)
    access_statement_close(request.user, partner)
    try:
        statement_close(actor=request.user, partner=partner, month=month)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The statement of %(month)s is closed.") % {"month": month})
    return redirect(reverse("services:partner-statement", args=[partner.pk]) + f"?month={month}")


@login_required
def delivery_adjust(request, pk: int):
    """The street corrects what it pays for one delivery (an adjustment, audited)."""
    delivery = get_object_or_404(selectors.delivery_list(actor=request.user), pk=pk)
    access_statement_adjust(request.user, delivery)
    form = StatementAdjustmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            adjustment = statement_adjust(
                actor=request.user,
                delivery=delivery,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            month = adjustment.month.strftime("%Y-%m")
            messages.success(
                request,
                _("Adjustment recorded in the statement of %(month)s.") % {"month": month},
            )
            return redirect(
                reverse("services:partner-statement", args=[delivery.partner_id])
                + f"?month={month}"
            )
    return form_page(
        request,
        form,
        title=_("Adjust what the street pays"),
        cancel_url=reverse("services:delivery-list"),
        template="services/deliveries/adjust.html",
        delivery=delivery,
    )


urlpatterns = [
    path("deliveries/", delivery_list_page, name="delivery-list"),
    path("referrals/<id:pk>/deliveries/new/", delivery_create, name="delivery-create"),
    path("deliveries/<id:pk>/adjust/", delivery_adjust, name="delivery-adjust"),
    path("meal-imports/", meal_import_list, name="meal-import-list"),
    path("meal-imports/new/", meal_import_upload, name="meal-import-upload"),
    path("meal-imports/template.xlsx", meal_import_template, name="meal-import-template"),
    path("meal-imports/layout/", meal_import_layout, name="meal-import-layout"),
    path("meal-imports/<id:pk>/", meal_import_detail, name="meal-import-detail"),
    path("meal-imports/<id:pk>/commit/", meal_import_commit_view, name="meal-import-commit"),
    path("statements/", statement_index, name="statement-index"),
    path("partners/<id:pk>/statement/", statement_page, name="partner-statement"),
    path("partners/<id:pk>/statement/export/", statement_export, name="partner-statement-export"),
    path("partners/<id:pk>/statement/close/", statement_close_view, name="partner-statement-close"),
]
