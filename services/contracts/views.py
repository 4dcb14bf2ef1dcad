"""Pages of family-doctor contracts: list, detail with the resident's history, sign, renew,
switch and lapse. Every write goes through services/contracts/writes.py, whose gates
(services/contracts/policy.py) decide who may act.

Access: the list and detail start from the selectors (`visible_to(user)`: out of scope is a
404, as missing); a role without `view_familydoctorcontract` gets 403 on the list. Signing,
renewing, switching and lapsing answer 403 when their gate refuses; the detail page offers
only the buttons whose gate lets the user act, in a state that allows it. The list uses the
same number of queries for 1 row and for 20.

Signing starts from its subject: `?resident=<id>` (the street, from a resident's page or the
search on the sign page) or `?referral=<id>` (a clinic's staff, from the list of
family-doctor referrals assigned to their clinic, shown on the sign page).
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.selectors import resident_list
from portal.params import id_param
from portal.policy import allowed
from portal.ui import filtered_page, form_errors, form_page
from services.contracts import selectors, writes
from services.contracts.filters import ContractFilter
from services.contracts.forms import RenewForm, SignForm, SwitchForm
from services.contracts.models import RENEWABLE, FamilyDoctorContract, shortest_term_end
from services.contracts.policy import (
    access_family_doctor_contract_lapse,
    access_family_doctor_contract_list,
    access_family_doctor_contract_renew,
    access_family_doctor_contract_sign,
    access_family_doctor_contract_switch,
)
from services.referrals.selectors import referral_list

Status = FamilyDoctorContract.Status
FORM_TEMPLATE = "services/contracts/form.html"


def _contract(user, pk: int) -> FamilyDoctorContract:
    return get_object_or_404(selectors.family_doctor_contract_list(actor=user), pk=pk)


# --- Pages ---------------------------------------------------------------------------------


@login_required
def contract_list(request):
    access_family_doctor_contract_list(request.user)
    queryset = selectors.family_doctor_contracts_ending_first(actor=request.user)
    filterset = ContractFilter(request.GET, queryset=queryset, request=request)
    context = {
        "page": filtered_page(request, filterset),
        "filter": filterset,
        "today": timezone.localdate(),
        "can_sign": allowed(access_family_doctor_contract_sign, request.user),
        "is_partner": request.user.is_partner_staff,
    }
    return render(request, "services/contracts/list.html", context)


@login_required
def contract_detail(request, pk: int):
    contract = _contract(request.user, pk)
    user = request.user
    renewable = contract.status in RENEWABLE
    context = {
        "contract": contract,
        "history": selectors.family_doctor_contract_history(actor=user, contract=contract),
        "can_renew": renewable and allowed(access_family_doctor_contract_renew, user, contract),
        "can_switch": renewable and allowed(access_family_doctor_contract_switch, user, contract),
        "can_lapse": contract.status == Status.ACTIVE
        and allowed(access_family_doctor_contract_lapse, user, contract),
        "is_partner": user.is_partner_staff,
    }
    return render(request, "services/contracts/detail.html", context)


def _sign_subject(request):
    """(resident, referral) named by ?resident= or ?referral=, in the user's scope, else 404."""
    resident_raw = request.GET.get("resident") or request.POST.get("resident") or ""
    referral_raw = request.GET.get("referral") or request.POST.get("referral") or ""
    if referral_id := id_param(referral_raw):
        referral = get_object_or_404(referral_list(actor=request.user), pk=referral_id)
        return referral.resident, referral
    if resident_id := id_param(resident_raw):
        return get_object_or_404(resident_list(actor=request.user), pk=resident_id), None
    if resident_raw or referral_raw:
        raise Http404
    return None, None


def _sign_picker(request):
    """No subject yet: the street searches the registry; a clinic lists its referrals."""
    user = request.user
    search = request.GET.get("q", "").strip()
    residents = referrals = None
    if user.is_partner_staff:
        referrals = selectors.signing_referral_list(actor=user)
    elif search:
        residents = resident_list(actor=user, search=search).order_by("name", "pk")[:20]
    context = {"q": search, "residents": residents, "referrals": referrals}
    return render(request, "services/contracts/sign_pick.html", context)


@login_required
def contract_sign(request):
    access_family_doctor_contract_sign(request.user)
    resident, referral = _sign_subject(request)
    if resident is None:
        return _sign_picker(request)
    form = SignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            contract = writes.family_doctor_contract_sign(
                actor=request.user, resident=resident, referral=referral, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request, _("%(name)s is signed with a family doctor.") % {"name": resident.name}
            )
            return redirect("services:contract-detail", contract.pk)
    return form_page(
        request,
        form,
        title=_("Sign a family-doctor contract"),
        cancel_url=reverse("services:contract-list"),
        template=FORM_TEMPLATE,
        contract=None,
        subject={"resident": resident, "referral": referral},
    )


@login_required
def contract_renew(request, pk: int):
    contract = _contract(request.user, pk)
    access_family_doctor_contract_renew(request.user, contract)
    initial = {"end_date": shortest_term_end(contract.end_date + timedelta(days=1))}
    form = RenewForm(request.POST or None, user=request.user, initial=initial, contract=contract)
    return _successor_page(
        request,
        contract,
        form,
        write=writes.family_doctor_contract_renew,
        done=_("The contract is renewed."),
        title=_("Renew the contract"),
    )


@login_required
def contract_switch(request, pk: int):
    contract = _contract(request.user, pk)
    access_family_doctor_contract_switch(request.user, contract)
    form = SwitchForm(
        request.POST or None,
        user=request.user,
        contract=contract,
        initial={"start_date": timezone.localdate()},
    )
    return _successor_page(
        request,
        contract,
        form,
        write=writes.family_doctor_contract_switch,
        done=_("The resident is switched to another clinic."),
        title=_("Switch to another clinic"),
    )


def _successor_page(request, contract, form, *, write, done, title):
    """Renew and switch: a form whose valid POST makes the contract that follows this one."""
    if request.method == "POST" and form.is_valid():
        try:
            new = write(actor=request.user, contract=contract, **form.cleaned_data)
        except writes.ContractConflict as exc:
            messages.error(request, str(exc))
            return redirect("services:contract-detail", contract.pk)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("services:contract-detail", new.pk)
    return form_page(
        request,
        form,
        title=title,
        cancel_url=reverse("services:contract-detail", args=[contract.pk]),
        template=FORM_TEMPLATE,
        contract=contract,
        subject=None,
    )


@login_required
def contract_lapse(request, pk: int):
    """GET asks for confirmation; POST ends the contract without a successor."""
    contract = _contract(request.user, pk)
    access_family_doctor_contract_lapse(request.user, contract)
    if request.method == "POST":
        try:
            writes.family_doctor_contract_lapse(actor=request.user, contract=contract)
        except writes.ContractConflict as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The contract has lapsed."))
        return redirect("services:contract-detail", contract.pk)
    return render(request, "services/contracts/lapse.html", {"contract": contract})


urlpatterns = [
    path("contracts/", contract_list, name="contract-list"),
    path("contracts/new/", contract_sign, name="contract-sign"),
    path("contracts/<id:pk>/", contract_detail, name="contract-detail"),
    path("contracts/<id:pk>/renew/", contract_renew, name="contract-renew"),
    path("contracts/<id:pk>/switch/", contract_switch, name="contract-switch"),
    path("contracts/<id:pk>/lapse/", contract_lapse, name="contract-lapse"),
]
