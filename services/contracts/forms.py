"""Forms of the contract pages: sign, renew, switch. Clinics offered are those the user may
sign for (services/contracts/selectors.py)."""

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from portal.ui import DateInput, ScopedFormMixin
from services.contracts.models import BASIC_PACKAGE, package_choices, shortest_term_end
from services.contracts.selectors import family_doctor_clinic_choices


class SignForm(ScopedFormMixin, forms.Form):
    partner = forms.ModelChoiceField(label=capfirst(_("clinic")), queryset=None)
    doctor_name = forms.CharField(label=capfirst(_("family doctor")), max_length=64)
    package = forms.ChoiceField(label=capfirst(_("service package")), choices=(), required=False)
    start_date = forms.DateField(label=capfirst(_("starts")), widget=DateInput())
    end_date = forms.DateField(
        label=capfirst(_("ends")),
        widget=DateInput(),
        help_text=_("A contract runs at least a year."),
    )

    def limit_choices(self):
        self.fields["package"].choices = package_choices()
        self.fields["package"].initial = BASIC_PACKAGE
        self.fields["partner"].queryset = family_doctor_clinic_choices(actor=self.user)
        if not self.is_bound:
            start = timezone.localdate()
            self.initial.setdefault("start_date", start)
            self.initial.setdefault("end_date", shortest_term_end(start))


class RenewForm(ScopedFormMixin, forms.Form):
    end_date = forms.DateField(
        label=capfirst(_("ends")),
        widget=DateInput(),
        help_text=_("The new contract starts the day after the current one ends."),
    )
    doctor_name = forms.CharField(
        label=capfirst(_("family doctor")),
        max_length=64,
        required=False,
        help_text=_("Leave empty to keep the same doctor."),
    )
    package = forms.ChoiceField(
        label=capfirst(_("service package")),
        choices=(),
        required=False,
        help_text=_("Leave as it is to keep the same package."),
    )

    def __init__(self, *args, contract=None, **kwargs):
        self.contract = contract
        super().__init__(*args, **kwargs)

    def limit_choices(self):
        self.fields["package"].choices = package_choices()
        if self.contract is not None:
            self.fields["package"].initial = self.contract.package


class SwitchForm(ScopedFormMixin, forms.Form):
    partner = forms.ModelChoiceField(label=capfirst(_("new clinic")), queryset=None)
    doctor_name = forms.CharField(label=capfirst(_("family doctor")), max_length=64)
    package = forms.ChoiceField(label=capfirst(_("service package")), choices=(), required=False)
    start_date = forms.DateField(label=capfirst(_("starts")), widget=DateInput())
    end_date = forms.DateField(label=capfirst(_("ends")), widget=DateInput())

    def __init__(self, *args, contract, **kwargs):
        self.contract = contract
        super().__init__(*args, **kwargs)

    def limit_choices(self):
        self.fields["package"].choices = package_choices()
        self.fields["package"].initial = self.contract.package
        self.fields["partner"].queryset = family_doctor_clinic_choices(actor=self.user).exclude(
            pk=self.contract.partner_id
        )
