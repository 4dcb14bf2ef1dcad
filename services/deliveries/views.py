"""Delivery pages: the list, "log a delivery" under a referral, canteen meal-log imports and
the monthly statement of a partner.

- /services/deliveries/ — deliveries in scope (`Delivery.objects.visible_to`: street all,
  partner staff their organisation's, community and grid staff their residents'), filtered,
  20 to a page, the same number of queries for 1 row and for 20.
- /services/referrals/<pk>/deliveries/new/ — the phone form a partner's staff fill in after a
  visit: on a referral of their organisation that is accepted or in service (street roles may
  log too). A referral out of scope is a 404; one the user sees but may not log on, a 403.
  `referral_deliveries_context()` gives the referral detail page its deliveries and the button
  (templates/services/deliveries/_referral_deliveries.html).
- /services/meal-imports/ — a canteen's spreadsheet of meals: upload → the dry run's report
  with every bad row → "Import" (services/meal_import.py). Partner staff import for their
  organisation, street roles for any partner.
- /services/partners/<pk>/statement/?month=YYYY-MM — the monthly statement, with its Excel
  export (audited, through portal.sensitive.export_response).
"""

from pathlib import Path

import django_filters
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.roles import STREET_ROLES, Role
from portal.sensitive import export_response
from portal.ui import ALL, FilterSet
from services.deliveries import meal_import
from services.deliveries.statements import (
    Month,
    deliveries_in_month,
    partner_statement,
    statement_headers,
    statement_rows,
)
from services.deliveries.writes import (
    acts_for_partner,
    delivery_list,
    delivery_log,
    may_log_delivery,
    referral_delivery_list,
)
from services.models import Delivery, MealImport, Partner, Referral, ServiceItem

PAGE_SIZE = 20
REFERRAL_DELIVERIES_SHOWN = 50
LAYOUT_DOC = Path("docs") / "modules" / "services-meal-import.md"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REFERRAL_DELIVERIES_TEMPLATE = "services/deliveries/_referral_deliveries.html"
# Statements are the street's and the partner's own; local staff see partners, not their bills.
STATEMENT_ROLES = frozenset({*STREET_ROLES, Role.PARTNER_STAFF})


# --- Access: one condition per line ---------------------------------------------------------


def access(user, perm: str) -> None:
    """A page the role may not use at all is a 403 (an empty scope is an empty list)."""
    if not user.has_perm(perm):
        raise PermissionDenied


def access_log_on_referral(user, referral: Referral) -> None:
    """The referral is visible (else 404 already); logging on it needs more."""
    if referral.partner is None:
        raise PermissionDenied
    if not may_log_delivery(user, partner=referral.partner, referral=referral):
        raise PermissionDenied


def apply_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError on the form: on its fields, or above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# --- Filters and forms ----------------------------------------------------------------------


class MonthInput(forms.TextInput):
    input_type = "month"


class MonthField(forms.CharField):
    """`YYYY-MM` (what <input type="month"> sends) → Month."""

    widget = MonthInput

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return Month.parse(value)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["month"]) from None


class MonthFilter(django_filters.Filter):
    field_class = MonthField

    def filter(self, queryset, value):
        return deliveries_in_month(queryset, value) if value else queryset


def _visible_partners(request):
    return Partner.objects.visible_to(request.user).order_by("name")


def _service_items(request):
    return ServiceItem.objects.order_by("group", "category", "name")


class DeliveryFilter(FilterSet):
    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("Resident's name")}
        ),
    )
    month = MonthFilter(label=gettext_lazy("month"))
    partner = django_filters.ModelChoiceFilter(
        label=gettext_lazy("partner"), queryset=_visible_partners, empty_label=ALL
    )
    service_item = django_filters.ModelChoiceFilter(
        label=gettext_lazy("service"), queryset=_service_items, empty_label=ALL
    )
    verification = django_filters.ChoiceFilter(
        label=gettext_lazy("verified by"), choices=Delivery.Verification.choices, empty_label=ALL
    )

    class Meta:
        model = Delivery
        fields = ["q", "month", "partner", "service_item", "verification"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(resident__name__startswith=value) if value else queryset


class DeliveryForm(forms.Form):
    """What the partner's staff fill in after serving the resident (phone first)."""

    delivered_at = forms.DateTimeField(
        label=gettext_lazy("Delivered at"),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    quantity = forms.DecimalField(
        label=gettext_lazy("Quantity"),
        min_value=0.01,
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(
            attrs={"class": "form-control", "inputmode": "decimal", "step": "0.5"}
        ),
    )
    verification = forms.ChoiceField(
        label=gettext_lazy("Verified by"),
        choices=Delivery.Verification.choices,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
    )
    staff_name = forms.CharField(
        label=gettext_lazy("Delivered by (staff)"),
        max_length=64,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}),
    )
    subsidy = forms.DecimalField(
        label=gettext_lazy("Subsidy (yuan)"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        help_text=gettext_lazy("Empty: the quantity times the service's subsidy per unit."),
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "decimal"}),
    )
    feedback = forms.CharField(
        label=gettext_lazy("Resident's feedback"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )

    def __init__(self, *args, may_set_subsidy: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_set_subsidy:
            # The subsidy is the street's money: partners log what they did, the street's rate
            # per unit decides what it costs.
            del self.fields["subsidy"]


class MealImportForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=gettext_lazy("Canteen (partner)"),
        queryset=Partner.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    service_item = forms.ModelChoiceField(
        label=gettext_lazy("Meal service"),
        queryset=ServiceItem.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv", "class": "form-control"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        meals = ServiceItem.objects.filter(category=ServiceItem.Category.MEAL, active=True)
        partners = Partner.objects.visible_to(user).filter(service_items__in=meals).distinct()
        self.fields["partner"].queryset = partners.order_by("name")
        self.fields["service_item"].queryset = meals.order_by("name")
        if user.role not in STREET_ROLES:
            self.fields["partner"].empty_label = None  # their own organisation, preselected


# --- Deliveries -----------------------------------------------------------------------------


@login_required
def delivery_list_page(request):
    access(request.user, "services.view_delivery")
    queryset = delivery_list(actor=request.user).order_by("-delivered_at", "-id")
    filterset = DeliveryFilter(request.GET, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filter": filterset,
        "may_import": request.user.has_perm("services.add_mealimport"),
        "may_see_statements": request.user.role in STATEMENT_ROLES,
    }
    return render(request, "services/deliveries/list.html", context)


@login_required
def delivery_create(request, pk: int):
    """Log a delivery on a referral (partner staff of the assigned partner, or the street)."""
    referral = get_object_or_404(
        Referral.objects.visible_to(request.user).select_related(
            "resident", "service_item", "partner"
        ),
        pk=pk,
    )
    access_log_on_referral(request.user, referral)
    may_set_subsidy = request.user.role in STREET_ROLES or request.user.is_superuser
    initial = {
        "delivered_at": timezone.localtime().replace(second=0, microsecond=0),
        "quantity": 1,
        "staff_name": request.user.get_full_name(),
    }
    form = DeliveryForm(request.POST or None, initial=initial, may_set_subsidy=may_set_subsidy)
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
                subsidy=data.get("subsidy"),
                feedback=data["feedback"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Delivery logged."))
            return redirect("services:referral-detail", pk=referral.pk)
    context = {"form": form, "referral": referral}
    status = 400 if request.method == "POST" else 200
    return render(request, "services/deliveries/form.html", context, status=status)


def referral_deliveries_context(request, referral: Referral) -> dict:
    """For the referral detail page: its deliveries the user may see, whether the user may log
    one now, and the template to include (the `partner_actions_extra_template` slot)."""
    deliveries = list(referral_delivery_list(actor=request.user, referral=referral))
    can_log = referral.partner_id is not None and may_log_delivery(
        request.user, partner=referral.partner, referral=referral
    )
    return {
        "referral_deliveries": deliveries[:REFERRAL_DELIVERIES_SHOWN],
        "referral_deliveries_more": len(deliveries) > REFERRAL_DELIVERIES_SHOWN,
        "can_log_delivery": can_log,
        "partner_actions_extra_template": REFERRAL_DELIVERIES_TEMPLATE,
    }


# --- Meal-log imports -----------------------------------------------------------------------


@login_required
def meal_import_list(request):
    access(request.user, "services.view_mealimport")
    imports = (
        MealImport.objects.visible_to(request.user)
        .select_related("partner", "service_item", "uploaded_by")
        .order_by("-created_at", "-id")
    )
    page = Paginator(imports, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "may_import": request.user.has_perm("services.add_mealimport")}
    return render(request, "services/deliveries/meal_import_list.html", context)


@login_required
def meal_import_upload(request):
    access(request.user, "services.add_mealimport")
    form = MealImportForm(request.POST or None, request.FILES or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = meal_import.meal_import_create(
                    actor=request.user,
                    partner=data["partner"],
                    service_item=data["service_item"],
                    uploaded_file=data["file"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                return redirect("services:meal-import-detail", pk=job.pk)
        status = 400
    context = {"form": form, "columns": meal_import.COLUMNS, "max_rows": meal_import.MAX_ROWS}
    return render(request, "services/deliveries/meal_import_upload.html", context, status=status)


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
    errors = Paginator(report.get("errors", []), 100).get_page(request.GET.get("page"))
    already = report.get("already_imported")
    can_commit = (
        job.status == MealImport.Status.CHECKED
        and not already
        and not report.get("error_count")
        and MealImport.objects.visible_to(request.user, "add").filter(pk=job.pk).exists()
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
    try:
        job = meal_import.meal_import_commit(actor=request.user, meal_import=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if job.status == MealImport.Status.COMMITTED:
            count = job.report.get("counts", {}).get("meals", 0)
            messages.success(request, _("Imported %(n)d meals.") % {"n": count})
        elif job.report.get("already_imported"):
            messages.info(request, _("This file was already imported; nothing was added."))
        else:
            messages.error(request, _("Nothing was written: see the errors below."))
    return redirect("services:meal-import-detail", pk=job.pk)


@login_required
def meal_import_template(request):
    """The empty spreadsheet with the layout's headers and one example row."""
    access(request.user, "services.add_mealimport")
    response = HttpResponse(meal_import.template_workbook(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="meal-log-template.xlsx"'
    return response


@login_required
def meal_import_layout(request):
    """docs/modules/services-meal-import.md, the description of the layout, as plain text."""
    access(request.user, "services.add_mealimport")
    doc = Path(settings.BASE_DIR) / LAYOUT_DOC
    if not doc.is_file():
        raise Http404
    return HttpResponse(doc.read_text(encoding="utf-8"), content_type="text/plain; charset=utf-8")


# --- The monthly statement ------------------------------------------------------------------


def _statement_partner(request, pk: int) -> Partner:
    """The partner, if the user may see its statement; else 404 like a missing one."""
    partner = get_object_or_404(Partner.objects.visible_to(request.user), pk=pk)
    if not request.user.has_perm("services.view_delivery"):
        raise Http404
    if not acts_for_partner(request.user, partner):
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
    access(request.user, "services.view_delivery")
    if request.user.role not in STATEMENT_ROLES and not request.user.is_superuser:
        raise PermissionDenied
    partners = list(Partner.objects.visible_to(request.user).order_by("name"))
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
        "partners": Partner.objects.visible_to(request.user).order_by("name")
        if request.user.role in STREET_ROLES
        else None,
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


urlpatterns = [
    path("deliveries/", delivery_list_page, name="delivery-list"),
    path("referrals/<int:pk>/deliveries/new/", delivery_create, name="delivery-create"),
    path("meal-imports/", meal_import_list, name="meal-import-list"),
    path("meal-imports/new/", meal_import_upload, name="meal-import-upload"),
    path("meal-imports/template.xlsx", meal_import_template, name="meal-import-template"),
    path("meal-imports/layout/", meal_import_layout, name="meal-import-layout"),
    path("meal-imports/<int:pk>/", meal_import_detail, name="meal-import-detail"),
    path("meal-imports/<int:pk>/commit/", meal_import_commit_view, name="meal-import-commit"),
    path("statements/", statement_index, name="statement-index"),
    path("partners/<int:pk>/statement/", statement_page, name="partner-statement"),
    path("partners/<int:pk>/statement/export/", statement_export, name="partner-statement-export"),
]
