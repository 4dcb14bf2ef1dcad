"""Pages of bundled aid (包裹式专项资助): bundles, aid cases, disbursements and the totals.

Function views in the style of grids/views/registry.py. Every object comes from
`visible_to(user)` (out of scope: 404, as missing); a list the role may not read at all is a
403; writes go through services/aid.py, whose ValidationErrors land on the form's fields.
Lists show 20 rows a page with the same number of queries for 1 row and for 20: the
double-funding flag is a column of the list's own query (aid_selectors.aid_case_list).
"""

from datetime import date
from decimal import Decimal

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import formset_factory
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from grids.models import Household, Resident
from portal.ui import ALL, DateInput, FilterSet, ScopedFormMixin, styled
from services.aid import selectors
from services.aid import writes as aid_services
from services.models import AidBundle, AidBundleLine, AidCase, AidItem, Funder, Partner

PAGE_SIZE = 20


# --- Access: one condition per line ----------------------------------------------------------


def access_list(user, perm: str) -> None:
    """A list the role may not read at all is a 403 (an empty scope is an empty list)."""
    if not user.has_perm(perm):
        raise PermissionDenied


def access_add(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


def may_change_case(user, case: AidCase) -> bool:
    return AidCase.objects.visible_to(user, "change").filter(pk=case.pk).exists()


def access_change_case(user, case: AidCase) -> None:
    """`case` is visible (else the caller already gave 404); changing it needs more."""
    if not may_change_case(user, case):
        raise PermissionDenied


# --- Forms ------------------------------------------------------------------------------------


def apply_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its fields, or above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class FunderForm(ScopedFormMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("organisation or bundle", "Name"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Funder.Kind.choices)
    partner = forms.ModelChoiceField(
        label=gettext_lazy("Partner organisation"),
        queryset=Partner.objects.none(),
        required=False,
        help_text=gettext_lazy("If the funder is also one of our partner organisations."),
    )

    def limit_choices(self):
        self.fields["partner"].queryset = Partner.objects.visible_to(self.user).order_by("name")


class BundleForm(ScopedFormMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("organisation or bundle", "Name"), max_length=100)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    period_start = forms.DateField(label=pgettext_lazy("aid period", "From"), widget=DateInput())
    period_end = forms.DateField(label=pgettext_lazy("aid period", "To"), widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period must end on or after its start."))
        return cleaned


class LineForm(ScopedFormMixin, forms.Form):
    """One line of a new bundle; a row left empty is ignored."""

    item = forms.ChoiceField(
        label=gettext_lazy("Item"), choices=[("", "—"), *AidItem.choices], required=False
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (yuan)"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    funder = forms.ModelChoiceField(
        label=gettext_lazy("Funder"), queryset=Funder.objects.none(), required=False
    )

    def limit_choices(self):
        self.fields["funder"].queryset = Funder.objects.visible_to(self.user)

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in ("item", "amount", "funder")):
            return cleaned
        for name in ("item", "amount", "funder"):
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, _("Fill in the item, the amount and the funder."))
        return cleaned

    @property
    def is_filled(self) -> bool:
        return bool(self.cleaned_data.get("item"))


LineFormSet = formset_factory(LineForm, extra=4, max_num=20)


class LineAddForm(LineForm):
    """One more line on an existing bundle: every field needed."""

    def limit_choices(self):
        super().limit_choices()
        for field in self.fields.values():
            field.required = True


class CaseOpenForm(ScopedFormMixin, forms.Form):
    bundle = forms.ModelChoiceField(label=gettext_lazy("Bundle"), queryset=AidBundle.objects.none())
    beneficiary = forms.ModelChoiceField(
        label=gettext_lazy("Beneficiary"),
        queryset=Resident.objects.none(),
        required=False,
        help_text=gettext_lazy("Optional: the member of the household the aid is for."),
    )
    period_start = forms.DateField(
        label=pgettext_lazy("aid period", "From"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Empty: from the start of the bundle."),
    )
    period_end = forms.DateField(
        label=pgettext_lazy("aid period", "To"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Empty: to the end of the bundle."),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, household, **kwargs):
        self.household = household
        super().__init__(*args, **kwargs)

    def limit_choices(self):
        self.fields["bundle"].queryset = AidBundle.objects.visible_to(self.user).order_by(
            "-period_start", "name"
        )
        self.fields["beneficiary"].queryset = (
            Resident.objects.visible_to(self.user).filter(household=self.household).order_by("name")
        )


class DisburseForm(ScopedFormMixin, forms.Form):
    line = forms.ModelChoiceField(
        label=gettext_lazy("Bundle line"), queryset=AidBundleLine.objects.none()
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (yuan)"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    paid_on = forms.DateField(label=gettext_lazy("Paid on"), widget=DateInput())
    reference = forms.CharField(
        label=gettext_lazy("Payment reference"), max_length=64, required=False
    )

    def __init__(self, *args, case, **kwargs):
        self.case = case
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()

    def limit_choices(self):
        self.fields["line"].queryset = (
            AidBundleLine.objects.visible_to(self.user)
            .filter(bundle=self.case.bundle_id)
            .select_related("funder")
        )


def _bundles(request):
    return AidBundle.objects.visible_to(request.user).order_by("-period_start", "name")


class CaseFilter(FilterSet):
    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("Household number")}
        ),
    )
    bundle = django_filters.ModelChoiceFilter(
        label=gettext_lazy("bundle"), queryset=_bundles, empty_label=ALL
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("status"), choices=AidCase.Status.choices, empty_label=ALL
    )
    double_funded = django_filters.BooleanFilter(
        label=gettext_lazy("Double funding only"),
        field_name="double_funded",
        widget=forms.CheckboxInput,
        method="only_double_funded",
    )

    class Meta:
        model = AidCase
        fields = ["q", "bundle", "status", "double_funded"]

    def search(self, queryset, name, value):
        return queryset.filter(household__number__startswith=value.strip())

    def only_double_funded(self, queryset, name, value):
        return queryset.filter(double_funded=True) if value else queryset


# --- Funders and bundles ----------------------------------------------------------------------


def _form_page(request, form, *, title, cancel_url):
    return render(
        request,
        "portal/form.html",
        {"form": form, "title": title, "cancel_url": cancel_url},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def funder_create(request):
    access_add(request.user, "services.add_funder")
    form = FunderForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            funder = aid_services.funder_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Funder %(name)s registered.") % {"name": funder.name})
            return redirect("services:aid-bundle-create")
    return _form_page(
        request,
        form,
        title=_("New funder"),
        cancel_url=reverse("services:aid-bundle-list"),
    )


@login_required
def aid_bundle_list(request):
    access_list(request.user, "services.view_aidbundle")
    queryset = selectors.aid_bundle_list(actor=request.user).order_by("-period_start", "name")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    for bundle in page:
        bundle.repeated_items = selectors.bundle_repeated_items(bundle)
    return render(request, "services/aid/bundle_list.html", {"page": page})


@login_required
def aid_bundle_detail(request, pk: int):
    bundle = get_object_or_404(selectors.aid_bundle_list(actor=request.user), pk=pk)
    return _bundle_detail(request, bundle)


def _bundle_detail(request, bundle, *, line_form=None, status=200):
    user = request.user
    can_add_line = user.has_perm("services.add_aidbundleline")
    if line_form is None and can_add_line:
        line_form = LineAddForm(user=user, prefix="line")
    repeated = selectors.bundle_repeated_items(bundle)
    context = {
        "bundle": bundle,
        "lines": bundle.lines.all(),
        "line_total": sum((line.amount for line in bundle.lines.all()), selectors.ZERO),
        "repeated_labels": [AidItem(item).label for item in repeated],
        "repeated_items": repeated,
        "line_form": line_form if can_add_line else None,
    }
    return render(request, "services/aid/bundle_detail.html", context, status=status)


@login_required
@require_POST
def aid_bundle_line_add(request, pk: int):
    bundle = get_object_or_404(selectors.aid_bundle_list(actor=request.user), pk=pk)
    access_add(request.user, "services.add_aidbundleline")
    form = LineAddForm(request.POST, user=request.user, prefix="line")
    if form.is_valid():
        try:
            aid_services.aid_bundle_line_add(actor=request.user, bundle=bundle, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Line added."))
            return redirect("services:aid-bundle-detail", bundle.pk)
    return _bundle_detail(request, bundle, line_form=form, status=400)


@login_required
def aid_bundle_create(request):
    access_add(request.user, "services.add_aidbundle")
    data = request.POST or None
    form = BundleForm(data, user=request.user)
    lines = LineFormSet(data, prefix="lines", form_kwargs={"user": request.user})
    line_errors: list[str] = []
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            bundle = aid_services.aid_bundle_create(
                actor=request.user,
                lines=[line.cleaned_data for line in lines if line.is_filled],
                **form.cleaned_data,
            )
        except ValidationError as exc:
            # Errors of the lines go above the lines; the rest on the bundle's fields.
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            line_errors = errors.pop("lines", [])
            apply_errors(form, ValidationError(errors))
        else:
            messages.success(request, _("Bundle %(name)s created.") % {"name": bundle.name})
            return redirect("services:aid-bundle-detail", bundle.pk)
    failed = request.method == "POST"
    context = {"form": form, "lines": lines, "line_errors": line_errors}
    return render(request, "services/aid/bundle_form.html", context, status=400 if failed else 200)


# --- Cases ------------------------------------------------------------------------------------


@login_required
def aid_case_list(request):
    access_list(request.user, "services.view_aidcase")
    queryset = selectors.aid_case_list(actor=request.user).order_by("-period_start", "-id")
    filterset = CaseFilter(request.GET, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "services/aid/case_list.html", {"page": page, "filter": filterset})


def _visible_case(request, pk: int) -> AidCase:
    try:
        return selectors.aid_case_detail(actor=request.user, pk=pk)
    except AidCase.DoesNotExist:
        raise Http404 from None


@login_required
def aid_case_detail(request, pk: int):
    return _case_detail(request, _visible_case(request, pk))


def _case_detail(request, case, *, disburse_form=None, status=200):
    user = request.user
    can_disburse = user.has_perm("services.add_disbursement") and case.status != (
        AidCase.Status.CANCELLED
    )
    if disburse_form is None and can_disburse:
        disburse_form = DisburseForm(user=user, case=case, prefix="pay")
    conflicts = selectors.aid_double_funding(actor=user, cases=[case]) if case.double_funded else []
    context = {
        "case": case,
        "line_rows": selectors.case_line_rows(case),
        "funder_rows": selectors.case_funder_rows(case),
        "disbursements": sorted(
            case.disbursements.all(), key=lambda d: (d.paid_on, d.pk), reverse=True
        ),
        "conflicts": conflicts,
        "disburse_form": disburse_form if can_disburse else None,
        "can_change": case.status == AidCase.Status.OPEN and may_change_case(user, case),
    }
    return render(request, "services/aid/case_detail.html", context, status=status)


@login_required
@require_POST
def aid_case_disburse(request, pk: int):
    case = _visible_case(request, pk)
    access_add(request.user, "services.add_disbursement")
    form = DisburseForm(request.POST, user=request.user, case=case, prefix="pay")
    if form.is_valid():
        try:
            disbursement = aid_services.disbursement_record(
                actor=request.user, case=case, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Payment of %(amount)s yuan recorded.") % {"amount": disbursement.amount},
            )
            return redirect("services:aid-case-detail", case.pk)
    return _case_detail(request, case, disburse_form=form, status=400)


def _transition(request, pk: int, run, done: str):
    case = _visible_case(request, pk)
    access_change_case(request.user, case)
    try:
        run(case)
    except aid_services.AidCaseConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("services:aid-case-detail", case.pk)


@login_required
@require_POST
def aid_case_close(request, pk: int):
    return _transition(
        request,
        pk,
        lambda case: aid_services.aid_case_close(
            actor=request.user, case=case, note=request.POST.get("note", "")
        ),
        _("The case is closed."),
    )


@login_required
@require_POST
def aid_case_cancel(request, pk: int):
    return _transition(
        request,
        pk,
        lambda case: aid_services.aid_case_cancel(
            actor=request.user, case=case, reason=request.POST.get("reason", "")
        ),
        _("The case is cancelled."),
    )


@login_required
def aid_case_create(request):
    """Open an aid case for a household (?household=) in the user's scope."""
    access_add(request.user, "services.add_aidcase")
    household_id = request.GET.get("household") or request.POST.get("household")
    if not (household_id and household_id.isdigit()):
        raise Http404
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("grid", "head"), pk=household_id
    )
    form = CaseOpenForm(request.POST or None, user=request.user, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            case = aid_services.aid_case_open(
                actor=request.user, household=household, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if case.double_funding:
                items = sorted({conflict.item_label for conflict in case.double_funding})
                messages.warning(
                    request,
                    _("Case opened, but it funds %(items)s twice for this household.")
                    % {"items": "、".join(items)},
                )
            else:
                messages.success(request, _("Aid case opened."))
            return redirect("services:aid-case-detail", case.pk)
    context = {"form": form, "household": household}
    status = 400 if request.method == "POST" else 200
    return render(request, "services/aid/case_form.html", context, status=status)


# --- Totals -----------------------------------------------------------------------------------


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=pgettext_lazy("aid period", "From"), required=False, widget=DateInput()
    )
    end = forms.DateField(
        label=pgettext_lazy("aid period", "To"), required=False, widget=DateInput()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        styled(self)


@login_required
def aid_totals(request):
    access_list(request.user, "services.view_aidcase")
    form = PeriodForm(request.GET or None)
    period: tuple[date | None, date | None] | None = None
    if form.is_bound and form.is_valid():
        period = (form.cleaned_data["start"], form.cleaned_data["end"])
    totals = selectors.aid_totals(actor=request.user, period=period)
    return render(request, "services/aid/totals.html", {"form": form, "totals": totals})


urlpatterns = [
    path("aid/funders/new/", funder_create, name="aid-funder-create"),
    path("aid/bundles/", aid_bundle_list, name="aid-bundle-list"),
    path("aid/bundles/new/", aid_bundle_create, name="aid-bundle-create"),
    path("aid/bundles/<int:pk>/", aid_bundle_detail, name="aid-bundle-detail"),
    path("aid/bundles/<int:pk>/lines/", aid_bundle_line_add, name="aid-bundle-line-add"),
    path("aid/cases/", aid_case_list, name="aid-case-list"),
    path("aid/cases/new/", aid_case_create, name="aid-case-create"),
    path("aid/cases/<int:pk>/", aid_case_detail, name="aid-case-detail"),
    path("aid/cases/<int:pk>/disburse/", aid_case_disburse, name="aid-case-disburse"),
    path("aid/cases/<int:pk>/close/", aid_case_close, name="aid-case-close"),
    path("aid/cases/<int:pk>/cancel/", aid_case_cancel, name="aid-case-cancel"),
    path("aid/totals/", aid_totals, name="aid-totals"),
]
