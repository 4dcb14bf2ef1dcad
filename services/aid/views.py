"""Pages of bundled aid (包裹式专项资助): bundles, aid cases, disbursements and the totals.

Every object comes from a selector (`visible_to(user)`: out of scope is a 404, as missing); a
list the role may not read at all is a 403; writes go through services/aid/writes.py, whose
gates (services/aid/policy.py) answer 403 and whose ValidationErrors land on the form's fields.
Lists show 20 rows a page with the same number of queries for 1 row and for 20: the
double-funding flag is a column of the list's own query (selectors.aid_case_list).
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.selectors import household_list
from portal.params import id_or_404
from portal.policy import allowed
from portal.ui import filtered_page, form_errors, form_page, paginate
from services.aid import selectors, writes
from services.aid.filters import CaseFilter
from services.aid.forms import (
    BundleForm,
    CaseOpenForm,
    DisburseForm,
    FunderForm,
    LineAddForm,
    LineFormSet,
    PeriodForm,
)
from services.aid.models import AidCase, AidItem
from services.aid.policy import (
    access_aid_bundle_create,
    access_aid_bundle_line_add,
    access_aid_bundle_list,
    access_aid_case_cancel,
    access_aid_case_close,
    access_aid_case_list,
    access_aid_case_open,
    access_disbursement_record,
    access_funder_create,
)

# --- Funders and bundles ----------------------------------------------------------------------


@login_required
def funder_create(request):
    access_funder_create(request.user)
    form = FunderForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            funder = writes.funder_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Funder %(name)s registered.") % {"name": funder.name})
            return redirect("services:aid-bundle-create")
    return form_page(
        request,
        form,
        title=_("New funder"),
        cancel_url=reverse("services:aid-bundle-list"),
    )


@login_required
def aid_bundle_list(request):
    access_aid_bundle_list(request.user)
    queryset = selectors.aid_bundle_list(actor=request.user).order_by("-period_start", "name")
    page = paginate(request, queryset)
    for bundle in page:
        bundle.repeated_items = selectors.bundle_repeated_items(bundle)
    return render(request, "services/aid/bundle_list.html", {"page": page})


@login_required
def aid_bundle_detail(request, pk: int):
    bundle = get_object_or_404(selectors.aid_bundle_list(actor=request.user), pk=pk)
    return _bundle_detail(request, bundle)


def _bundle_detail(request, bundle, *, line_form=None, status=200):
    user = request.user
    can_add_line = allowed(access_aid_bundle_line_add, user, bundle)
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
    access_aid_bundle_line_add(request.user, bundle)
    form = LineAddForm(request.POST, user=request.user, prefix="line")
    if form.is_valid():
        try:
            writes.aid_bundle_line_add(actor=request.user, bundle=bundle, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Line added."))
            return redirect("services:aid-bundle-detail", bundle.pk)
    return _bundle_detail(request, bundle, line_form=form, status=400)


@login_required
def aid_bundle_create(request):
    access_aid_bundle_create(request.user)
    data = request.POST or None
    form = BundleForm(data, user=request.user)
    lines = LineFormSet(data, prefix="lines", form_kwargs={"user": request.user})
    line_errors: list[str] = []
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            bundle = writes.aid_bundle_create(
                actor=request.user,
                lines=[line.cleaned_data for line in lines if line.is_filled],
                **form.cleaned_data,
            )
        except ValidationError as exc:
            # Errors of the lines go above the lines; the rest on the bundle's fields.
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            line_errors = errors.pop("lines", [])
            form_errors(form, ValidationError(errors))
        else:
            messages.success(request, _("Bundle %(name)s created.") % {"name": bundle.name})
            return redirect("services:aid-bundle-detail", bundle.pk)
    return form_page(
        request,
        form,
        title=_("New aid bundle"),
        cancel_url=reverse("services:aid-bundle-list"),
        template="services/aid/bundle_form.html",
        lines=lines,
        line_errors=line_errors,
    )


# --- Cases ------------------------------------------------------------------------------------


@login_required
def aid_case_list(request):
    access_aid_case_list(request.user)
    queryset = selectors.aid_case_list(actor=request.user).order_by("-period_start", "-id")
    filterset = CaseFilter(request.GET, queryset=queryset, request=request)
    page = filtered_page(request, filterset)
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
    can_disburse = case.status != AidCase.Status.CANCELLED and allowed(
        access_disbursement_record, user, case
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
        "can_change": case.status == AidCase.Status.OPEN
        and allowed(access_aid_case_close, user, case),
    }
    return render(request, "services/aid/case_detail.html", context, status=status)


@login_required
@require_POST
def aid_case_disburse(request, pk: int):
    case = _visible_case(request, pk)
    access_disbursement_record(request.user, case)
    form = DisburseForm(request.POST, user=request.user, case=case, prefix="pay")
    if form.is_valid():
        try:
            disbursement = writes.disbursement_record(
                actor=request.user, case=case, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Payment of %(amount)s yuan recorded.") % {"amount": disbursement.amount},
            )
            return redirect("services:aid-case-detail", case.pk)
    return _case_detail(request, case, disburse_form=form, status=400)


def _transition(request, pk: int, *, gate, run, done: str):
    """Close or cancel: the gate first (403), then the write; a case no longer open says so."""
    case = _visible_case(request, pk)
    gate(request.user, case)
    try:
        run(case)
    except writes.AidCaseConflict as exc:
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
        gate=access_aid_case_close,
        run=lambda case: writes.aid_case_close(
            actor=request.user, case=case, note=request.POST.get("note", "")
        ),
        done=_("The case is closed."),
    )


@login_required
@require_POST
def aid_case_cancel(request, pk: int):
    return _transition(
        request,
        pk,
        gate=access_aid_case_cancel,
        run=lambda case: writes.aid_case_cancel(
            actor=request.user, case=case, reason=request.POST.get("reason", "")
        ),
        done=_("The case is cancelled."),
    )


@login_required
def aid_case_create(request):
    """Open an aid case for a household (?household=) in the user's scope."""
    access_aid_case_open(request.user)
    household_id = id_or_404(request.GET.get("household") or request.POST.get("household"))
    household = get_object_or_404(household_list(actor=request.user), pk=household_id)
    form = CaseOpenForm(request.POST or None, user=request.user, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            case = writes.aid_case_open(
                actor=request.user, household=household, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors(form, exc)
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
    return form_page(
        request,
        form,
        title=_("Open an aid case"),
        cancel_url=reverse("grids:household-detail", args=[household.pk]),
        template="services/aid/case_form.html",
        household=household,
    )


# --- Totals -----------------------------------------------------------------------------------


@login_required
def aid_totals(request):
    access_aid_case_list(request.user)
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
    path("aid/bundles/<id:pk>/", aid_bundle_detail, name="aid-bundle-detail"),
    path("aid/bundles/<id:pk>/lines/", aid_bundle_line_add, name="aid-bundle-line-add"),
    path("aid/cases/", aid_case_list, name="aid-case-list"),
    path("aid/cases/new/", aid_case_create, name="aid-case-create"),
    path("aid/cases/<id:pk>/", aid_case_detail, name="aid-case-detail"),
    path("aid/cases/<id:pk>/disburse/", aid_case_disburse, name="aid-case-disburse"),
    path("aid/cases/<id:pk>/close/", aid_case_close, name="aid-case-close"),
    path("aid/cases/<id:pk>/cancel/", aid_case_cancel, name="aid-case-cancel"),
    path("aid/totals/", aid_totals, name="aid-totals"),
]
