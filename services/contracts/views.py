"""Pages of family-doctor contracts: list, detail with the resident's history, sign, renew,
switch and lapse. Every write goes through services/contracts.py.

Access: the list and detail start from `visible_to(user)` (out of scope: 404, as missing); a
role without `view_familydoctorcontract` gets 403 on the list. Signing needs the add
permission (street, partner staff); renew and lapse a contract in the user's change scope;
switch is the street's (services/contracts.py). The list uses the same number of queries for
1 row and for 20.

Signing starts from its subject: `?resident=<id>` (the street, from a resident's page or the
search on the sign page) or `?referral=<id>` (a clinic's staff, from the list of
family-doctor referrals assigned to their clinic, shown on the sign page).
"""

from datetime import timedelta

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models import Resident
from grids.selectors import resident_search_q
from portal.roles import Role
from portal.ui import ALL, DateInput, FilterSet, ScopedFormMixin
from services.contracts import writes as flow
from services.contracts.models import shortest_term_end
from services.models import FamilyDoctorContract, Partner, Referral, ServiceItem

PAGE_SIZE = 20
Status = FamilyDoctorContract.Status


# --- Access: one condition per line --------------------------------------------------------


def access_list(user) -> None:
    if not user.has_perm("services.view_familydoctorcontract"):
        raise PermissionDenied


def access_sign(user) -> None:
    if not user.has_perm("services.add_familydoctorcontract"):
        raise PermissionDenied


def may_change(user, contract) -> bool:
    return FamilyDoctorContract.objects.visible_to(user, "change").filter(pk=contract.pk).exists()


def _contract(user, pk: int) -> FamilyDoctorContract:
    return get_object_or_404(flow.family_doctor_contract_list(actor=user), pk=pk)


# --- Filters and forms ---------------------------------------------------------------------


def _partners(request):
    return Partner.objects.visible_to(request.user).filter(kind=Partner.Kind.CLINIC)


EXPIRING_CHOICES = [
    ("30", gettext_lazy("within 30 days")),
    ("60", gettext_lazy("within 60 days")),
    ("90", gettext_lazy("within 90 days")),
]


class ContractFilter(FilterSet):
    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("Resident's name or doctor")}
        ),
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("status"), choices=Status.choices, empty_label=ALL
    )
    partner = django_filters.ModelChoiceFilter(
        label=gettext_lazy("clinic"), queryset=_partners, empty_label=ALL
    )
    expiring = django_filters.ChoiceFilter(
        label=gettext_lazy("ending"),
        choices=EXPIRING_CHOICES,
        method="filter_expiring",
        empty_label=ALL,
    )

    class Meta:
        model = FamilyDoctorContract
        fields = ["q", "status", "partner", "expiring"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(resident__name__startswith=value) | Q(doctor_name__startswith=value)
        )

    def filter_expiring(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.filter(
            status=Status.ACTIVE,
            end_date__gte=today,
            end_date__lte=today + timedelta(days=int(value)),
        )


def _clinic_choices(user):
    """Family-doctor clinics the user may sign for: the street all, partner staff their own."""
    return flow.family_doctor_clinics().filter(pk__in=Partner.objects.visible_to(user).values("pk"))


class SignForm(ScopedFormMixin, forms.Form):
    partner = forms.ModelChoiceField(label=capfirst(gettext_lazy("clinic")), queryset=None)
    doctor_name = forms.CharField(label=capfirst(gettext_lazy("family doctor")), max_length=64)
    start_date = forms.DateField(label=capfirst(gettext_lazy("starts")), widget=DateInput())
    end_date = forms.DateField(
        label=capfirst(gettext_lazy("ends")),
        widget=DateInput(),
        help_text=gettext_lazy("A contract runs at least a year."),
    )

    def limit_choices(self):
        self.fields["partner"].queryset = _clinic_choices(self.user)
        if not self.is_bound:
            start = timezone.localdate()
            self.initial.setdefault("start_date", start)
            self.initial.setdefault("end_date", shortest_term_end(start))


class RenewForm(ScopedFormMixin, forms.Form):
    end_date = forms.DateField(
        label=capfirst(gettext_lazy("ends")),
        widget=DateInput(),
        help_text=gettext_lazy("The new contract starts the day after the current one ends."),
    )
    doctor_name = forms.CharField(
        label=capfirst(gettext_lazy("family doctor")),
        max_length=64,
        required=False,
        help_text=gettext_lazy("Leave empty to keep the same doctor."),
    )


class SwitchForm(ScopedFormMixin, forms.Form):
    partner = forms.ModelChoiceField(label=capfirst(gettext_lazy("new clinic")), queryset=None)
    doctor_name = forms.CharField(label=capfirst(gettext_lazy("family doctor")), max_length=64)
    start_date = forms.DateField(label=capfirst(gettext_lazy("starts")), widget=DateInput())
    end_date = forms.DateField(label=capfirst(gettext_lazy("ends")), widget=DateInput())

    def __init__(self, *args, contract, **kwargs):
        self.contract = contract
        super().__init__(*args, **kwargs)

    def limit_choices(self):
        self.fields["partner"].queryset = _clinic_choices(self.user).exclude(
            pk=self.contract.partner_id
        )


def _apply_errors(form, exc: ValidationError) -> None:
    """A service's field errors on the form's fields, the others above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _form_page(request, form, *, title, contract=None, subject=None, cancel_url, status=None):
    context = {
        "form": form,
        "title": title,
        "contract": contract,
        "subject": subject,
        "cancel_url": cancel_url,
    }
    if status is None:
        status = 400 if request.method == "POST" else 200
    return render(request, "services/contracts/form.html", context, status=status)


# --- Pages ---------------------------------------------------------------------------------


@login_required
def contract_list(request):
    access_list(request.user)
    queryset = flow.family_doctor_contract_list(actor=request.user).order_by("end_date", "pk")
    filterset = ContractFilter(request.GET, queryset=queryset, request=request)
    queryset = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filter": filterset,
        "today": timezone.localdate(),
        "can_sign": request.user.has_perm("services.add_familydoctorcontract"),
        "is_partner": request.user.role == Role.PARTNER_STAFF,
    }
    return render(request, "services/contracts/list.html", context)


@login_required
def contract_detail(request, pk: int):
    contract = _contract(request.user, pk)
    can_change = may_change(request.user, contract)
    active = contract.status == Status.ACTIVE
    renewable = contract.status in flow.RENEWABLE
    context = {
        "contract": contract,
        "history": flow.family_doctor_contract_history(actor=request.user, contract=contract),
        "can_renew": can_change and renewable,
        "can_switch": can_change and renewable and flow.is_street(request.user),
        "can_lapse": can_change and active,
        "is_partner": request.user.role == Role.PARTNER_STAFF,
    }
    return render(request, "services/contracts/detail.html", context)


def _sign_subject(request):
    """(resident, referral) named by ?resident= or ?referral=, in the user's scope, else 404."""
    resident_id = request.GET.get("resident") or request.POST.get("resident") or ""
    referral_id = request.GET.get("referral") or request.POST.get("referral") or ""
    if referral_id.isdigit():
        referral = get_object_or_404(
            Referral.objects.visible_to(request.user).select_related("resident"), pk=referral_id
        )
        return referral.resident, referral
    if resident_id.isdigit():
        return get_object_or_404(Resident.objects.visible_to(request.user), pk=resident_id), None
    if resident_id or referral_id:
        raise Http404
    return None, None


def _sign_picker(request):
    """No subject yet: the street searches the registry; a clinic lists its referrals."""
    user = request.user
    search = request.GET.get("q", "").strip()
    residents = referrals = None
    if user.role == Role.PARTNER_STAFF:
        referrals = (
            Referral.objects.visible_to(user)
            .filter(
                service_item__category=ServiceItem.Category.FAMILY_DOCTOR,
                status__in=flow.SIGNING_REFERRAL_STATES,
            )
            .select_related("resident", "service_item")
            .order_by("-created_at", "-pk")[:50]
        )
    elif search:
        residents = (
            Resident.objects.visible_to(user)
            .filter(resident_search_q(search))
            .select_related("household__grid")
            .order_by("name", "pk")[:20]
        )
    context = {"q": search, "residents": residents, "referrals": referrals}
    return render(request, "services/contracts/sign_pick.html", context)


@login_required
def contract_sign(request):
    access_sign(request.user)
    resident, referral = _sign_subject(request)
    if resident is None:
        return _sign_picker(request)
    form = SignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            contract = flow.family_doctor_contract_sign(
                actor=request.user, resident=resident, referral=referral, **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, _("%(name)s is signed with a family doctor.") % {"name": resident.name}
            )
            return redirect("services:contract-detail", contract.pk)
    return _form_page(
        request,
        form,
        title=_("Sign a family-doctor contract"),
        subject={"resident": resident, "referral": referral},
        cancel_url=reverse("services:contract-list"),
    )


@login_required
def contract_renew(request, pk: int):
    contract = _contract(request.user, pk)
    if not may_change(request.user, contract):
        raise PermissionDenied
    initial = {"end_date": shortest_term_end(contract.end_date + timedelta(days=1))}
    form = RenewForm(request.POST or None, user=request.user, initial=initial)
    return _successor_page(
        request,
        contract,
        form,
        service=flow.family_doctor_contract_renew,
        done=_("The contract is renewed."),
        title=_("Renew the contract"),
    )


@login_required
def contract_switch(request, pk: int):
    contract = _contract(request.user, pk)
    if not (may_change(request.user, contract) and flow.is_street(request.user)):
        raise PermissionDenied
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
        service=flow.family_doctor_contract_switch,
        done=_("The resident is switched to another clinic."),
        title=_("Switch to another clinic"),
    )


def _successor_page(request, contract, form, *, service, done, title):
    """Renew and switch: a form whose valid POST makes the contract that follows this one."""
    if request.method == "POST" and form.is_valid():
        try:
            new = service(actor=request.user, contract=contract, **form.cleaned_data)
        except flow.ContractConflict as exc:
            messages.error(request, str(exc))
            return redirect("services:contract-detail", contract.pk)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("services:contract-detail", new.pk)
    return _form_page(
        request,
        form,
        title=title,
        contract=contract,
        cancel_url=reverse("services:contract-detail", args=[contract.pk]),
    )


@login_required
def contract_lapse(request, pk: int):
    """GET asks for confirmation; POST ends the contract without a successor."""
    contract = _contract(request.user, pk)
    if not may_change(request.user, contract):
        raise PermissionDenied
    if request.method == "POST":
        try:
            flow.family_doctor_contract_lapse(actor=request.user, contract=contract)
        except flow.ContractConflict as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The contract has lapsed."))
        return redirect("services:contract-detail", contract.pk)
    return render(request, "services/contracts/lapse.html", {"contract": contract})


urlpatterns = [
    path("contracts/", contract_list, name="contract-list"),
    path("contracts/new/", contract_sign, name="contract-sign"),
    path("contracts/<int:pk>/", contract_detail, name="contract-detail"),
    path("contracts/<int:pk>/renew/", contract_renew, name="contract-renew"),
    path("contracts/<int:pk>/switch/", contract_switch, name="contract-switch"),
    path("contracts/<int:pk>/lapse/", contract_lapse, name="contract-lapse"),
]
