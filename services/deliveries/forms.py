"""Forms of the deliveries room: the month (statements and filters), logging a delivery on a
referral, uploading a canteen's meal log."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from services.catalogue.models import Partner, ServiceItem
from services.catalogue.selectors import meal_service_choices, partner_choices
from services.deliveries.models import Delivery
from services.deliveries.statements import Month


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


class DeliveryForm(forms.Form):
    """What the partner's staff fill in after serving the resident (phone first). There is no
    subsidy field, for anyone: the street's catalogue decides the money (quantity × the item's
    subsidy per unit); the street corrects it by an adjustment (StatementAdjustmentForm)."""

    delivered_at = forms.DateTimeField(
        label=_("Delivered at"),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        min_value=0.01,
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(
            attrs={"class": "form-control", "inputmode": "decimal", "step": "0.5"}
        ),
    )
    verification = forms.ChoiceField(
        label=_("Verified by"),
        choices=Delivery.Verification.choices,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
    )
    staff_name = forms.CharField(
        label=_("Delivered by (staff)"),
        max_length=64,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}),
    )
    feedback = forms.CharField(
        label=_("Resident's feedback"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )


class StatementAdjustmentForm(forms.Form):
    """The street's correction of what it pays for one delivery."""

    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        max_digits=10,
        decimal_places=2,
        help_text=_("Positive: the street pays more; negative: less."),
        widget=forms.NumberInput(
            attrs={"class": "form-control", "inputmode": "decimal", "step": "0.01"}
        ),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )


class MealImportForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=_("Canteen (partner)"),
        queryset=Partner.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    service_item = forms.ModelChoiceField(
        label=_("Meal service"),
        queryset=ServiceItem.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv", "class": "form-control"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        meals = meal_service_choices()
        self.fields["partner"].queryset = (
            partner_choices(actor=user).filter(service_items__in=meals).distinct()
        )
        self.fields["service_item"].queryset = meals.order_by("name")
        if not user.is_street_staff:
            self.fields["partner"].empty_label = None  # their own organisation, preselected
