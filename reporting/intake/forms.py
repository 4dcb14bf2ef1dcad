"""The intake pages' forms: a form typed on the page (labels one per line), an uploaded
spreadsheet (then the labels read from it, confirmed), a correction of a field's mapping, and
the filing note."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.ui import StyledFormMixin, textarea
from reporting.catalogue.models import DataElement, DutyItem, Relation
from reporting.intake.models import ReportTemplate


class _FormHead(StyledFormMixin, forms.Form):
    department = forms.CharField(label=_("department"), max_length=100)
    title = forms.CharField(label=_("title"), max_length=200)
    period = forms.ChoiceField(label=_("period"), choices=ReportTemplate.Period.choices)
    due_days = forms.IntegerField(label=_("days to answer"), min_value=0, max_value=365, initial=5)
    duty_item = forms.ModelChoiceField(
        label=_("duty item"),
        queryset=DutyItem.objects.all(),
        required=False,
        empty_label=_("None cited (a case-by-case filing is needed)"),
        to_field_name="code",
    )


class TemplatePageForm(_FormHead):
    labels = forms.CharField(
        label=_("fields"),
        widget=textarea(10),
        help_text=_("One label per line, exactly as the department wrote it."),
    )

    def clean_labels(self):
        labels = [line.strip() for line in self.cleaned_data["labels"].splitlines() if line.strip()]
        if not labels:
            raise forms.ValidationError(_("Write at least one label."))
        return labels


class TemplateUploadForm(_FormHead):
    file = forms.FileField(
        label=_("spreadsheet"),
        help_text=_(
            "The department's form (.xlsx or .csv): labels in the header row or the first column."
        ),
    )


class TemplateUploadConfirmForm(TemplatePageForm):
    """The dry run's second step: what was read, sent back to be saved."""

    layout = forms.ChoiceField(choices=ReportTemplate.Layout.choices, widget=forms.HiddenInput)


class FieldCorrectForm(StyledFormMixin, forms.Form):
    relation = forms.ChoiceField(label=_("relation"), choices=Relation.choices)
    element = forms.ModelChoiceField(
        label=_("data element"),
        queryset=DataElement.objects.all(),
        required=False,
        to_field_name="code",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["element"].label_from_instance = lambda e: f"{e.code} {e.name}"


class FilingForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=_("filing note"),
        widget=textarea(3),
        help_text=_("What was filed, with whom, and why the street fills this form."),
    )
