"""The hours-saved rule's form."""

from django import forms

from portal.ui import StyledFormMixin
from reporting.dashboards.models import BurdenRule


class BurdenRuleForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = BurdenRule
        fields = [
            "minutes_per_prefilled_field",
            "minutes_per_answered_form",
            "minutes_per_rejected_form",
        ]
