"""Forms of the aid pages: funders, bundles and their lines, opening a case, paying on it, and
the period of the totals. Choices come from the selectors (`visible_to(user)`)."""

from decimal import Decimal

from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from grids.models import Resident
from grids.selectors import resident_list
from portal.ui import DateInput, ScopedFormMixin, StyledFormMixin, textarea
from services.aid import selectors
from services.aid.models import AidBundle, AidBundleLine, AidItem, Funder
from services.catalogue.models import Partner
from services.catalogue.selectors import partner_choices


class FunderForm(ScopedFormMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("organisation or bundle", "Name"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Funder.Kind.choices)
    uscc = forms.CharField(
        label=gettext_lazy("Unified social credit code"),
        max_length=18,
        required=False,
        help_text=gettext_lazy("18 characters, on the organisation's certificate."),
    )
    partner = forms.ModelChoiceField(
        label=gettext_lazy("Partner organisation"),
        queryset=Partner.objects.none(),
        required=False,
        help_text=gettext_lazy("If the funder is also one of our partner organisations."),
    )

    def limit_choices(self):
        self.fields["partner"].queryset = partner_choices(actor=self.user)


class BundleForm(ScopedFormMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("organisation or bundle", "Name"), max_length=100)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=textarea(2),
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
        self.fields["funder"].queryset = selectors.funder_choices(actor=self.user)

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
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=textarea(3))

    def __init__(self, *args, household, **kwargs):
        self.household = household
        super().__init__(*args, **kwargs)

    def limit_choices(self):
        self.fields["bundle"].queryset = selectors.aid_bundle_choices(actor=self.user)
        self.fields["beneficiary"].queryset = (
            resident_list(actor=self.user).filter(household=self.household).order_by("name")
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
        self.fields["line"].queryset = selectors.aid_bundle_line_choices(
            actor=self.user, bundle=self.case.bundle_id
        )


class PeriodForm(StyledFormMixin, forms.Form):
    start = forms.DateField(
        label=pgettext_lazy("aid period", "From"), required=False, widget=DateInput()
    )
    end = forms.DateField(
        label=pgettext_lazy("aid period", "To"), required=False, widget=DateInput()
    )
