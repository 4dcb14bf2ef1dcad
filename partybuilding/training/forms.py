"""The training pages' forms: a course, the attendees of a course (one phone-friendly form),
a threshold, and the period of the hours pages."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partybuilding.organisations.models import PartyMember, PartyOrg
from partybuilding.training import selectors
from partybuilding.training.models import TrainingCourse, TrainingRecord, TrainingThreshold
from portal.ui import DateInput, ScopedFormMixin, StyledFormMixin


class CourseForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = TrainingCourse
        fields = ["title", "topic", "mode", "hours", "held_on", "provider"]
        widgets = {
            "held_on": DateInput(),
            "mode": forms.RadioSelect,
            "hours": forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "inputmode": "decimal"}),
        }


class CourseEditForm(CourseForm):
    def _post_clean(self):
        pass  # the write validates the course against its records


class RecordForm(StyledFormMixin, forms.ModelForm):
    """Correct one attendee's hours or the day they completed the course."""

    class Meta:
        model = TrainingRecord
        fields = ["hours", "completed_on"]
        widgets = {
            "completed_on": DateInput(),
            "hours": forms.NumberInput(attrs={"step": "0.5", "min": "0.1", "inputmode": "decimal"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hours"].required = True
        self.fields["hours"].help_text = _("At most the course's %(hours)s hours.") % {
            "hours": self.instance.course.hours
        }

    def _post_clean(self):
        pass  # the write validates the record


class AttendeesForm(ScopedFormMixin, forms.Form):
    """Tick who came; hours and day default to the course's."""

    members = forms.ModelMultipleChoiceField(
        label=_("attendees"),
        queryset=PartyMember.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    hours = forms.DecimalField(
        label=_("hours"),
        required=False,
        min_value=0.1,
        max_digits=5,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    completed_on = forms.DateField(label=_("completed on"), required=False, widget=DateInput())

    def __init__(self, *args, course, org=None, **kwargs):
        self.course = course
        self.org = org
        super().__init__(*args, **kwargs)
        self.fields["hours"].help_text = _("Empty: the course's %(hours)s hours.") % {
            "hours": course.hours
        }
        self.fields["completed_on"].help_text = _("Empty: the day of the course.")

    def limit_choices(self):
        self.fields["members"].queryset = selectors.attendee_choices(actor=self.user, org=self.org)
        self.fields["members"].label_from_instance = lambda m: f"{m.name} · {m.org.name}"


class ThresholdForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = TrainingThreshold
        fields = ["yearly_hours"]


class PeriodForm(ScopedFormMixin, forms.Form):
    """Which organisation and which year the hours pages show."""

    org = forms.ModelChoiceField(
        label=_("Party organisation"), queryset=PartyOrg.objects.none(), required=False
    )
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100, required=False)

    def limit_choices(self):
        self.fields["org"].queryset = selectors.org_choices(actor=self.user)
        self.fields["org"].empty_label = _("All")

    def period(self):
        """(org or None, year): the current year when none or an invalid one is given."""
        if self.is_valid():
            return self.cleaned_data["org"], self.cleaned_data["year"] or timezone.localdate().year
        return None, timezone.localdate().year
