"""The task flow's forms: a period of a form, a reason (reject, return), a community's asked
fields (built from its values), a delegation, one delegated field."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.ui import DateInput, StyledFormMixin, textarea


class TaskForm(StyledFormMixin, forms.Form):
    period_start = forms.DateField(label=_("period start"), widget=DateInput())
    period_end = forms.DateField(label=_("period end"), widget=DateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and start > end:
            self.add_error("period_end", _("The period ends before it starts."))
        return data


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("reason"), widget=textarea(3), max_length=2000)


class ValuesForm(StyledFormMixin, forms.Form):
    """One input per asked field (prefilled fields are shown, never posted)."""

    def __init__(self, *args, values, **kwargs):
        super().__init__(*args, **kwargs)
        for row in values:
            if row.prefilled:
                continue
            initial = row.value if not isinstance(row.value, dict | list) else ""
            self.fields[f"f{row.field_id}"] = forms.CharField(
                label=row.field.label,
                required=False,
                initial=initial,
                max_length=2000,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )

    def values(self) -> dict[int, str]:
        return {int(name[1:]): value for name, value in self.cleaned_data.items()}


class DelegateForm(StyledFormMixin, forms.Form):
    field = forms.TypedChoiceField(label=_("field"), coerce=int)
    worker = forms.TypedChoiceField(label=_("grid worker"), coerce=int)

    def __init__(self, *args, asked, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [(v.pk, v.field.label) for v in asked]
        self.fields["worker"].choices = [(w.pk, w.get_full_name() or w.username) for w in workers]


class DelegationForm(StyledFormMixin, forms.Form):
    value = forms.CharField(label=_("value"), max_length=2000)


def quarter_default(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last complete quarter: a sensible default period."""
    start = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = start - datetime.timedelta(days=1)
    return datetime.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end
