"""The contest pages' forms: the organiser's sheet, the judge's scoring page, the 领头雁 enrolment."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from partybuilding.contests import selectors
from partybuilding.contests.models import (
    Contest,
    Contestant,
    ContestAspect,
    ContestIndicator,
    LeadGooseEnrolment,
    LeadGooseMilestone,
)
from portal.ui import DateInput, ScopedFormMixin, StyledFormMixin, textarea


class ContestForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Contest
        fields = ["title", "held_on", "trim_min_judges", "leaders_count"]
        widgets = {"held_on": DateInput()}


class AspectForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ContestAspect
        fields = ["name", "order"]


class IndicatorForm(StyledFormMixin, forms.ModelForm):
    aspect = forms.ModelChoiceField(label=_("aspect"), queryset=ContestAspect.objects.none())

    class Meta:
        model = ContestIndicator
        fields = ["aspect", "name", "weight", "max_score", "order"]
        widgets = {
            "weight": forms.NumberInput(
                attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}
            ),
            "max_score": forms.NumberInput(
                attrs={"step": "0.5", "min": "0.5", "inputmode": "decimal"}
            ),
        }

    def __init__(self, *args, contest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["aspect"].queryset = contest.aspects.all()

    def _post_clean(self):
        pass  # the write validates the indicator (and its contest's state)


class ContestantForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = Contestant
        fields = ["member", "name"]

    def limit_choices(self):
        self.fields["member"].queryset = selectors.contestant_member_choices(actor=self.user)
        self.fields["name"].required = False
        self.fields["name"].help_text = _("Leave empty to use the member's name.")


class ContestantEditForm(ScopedFormMixin, forms.ModelForm):
    """Correct a contestant's name or organisation (the member stays as entered)."""

    class Meta:
        model = Contestant
        fields = ["name", "org"]

    def limit_choices(self):
        from partybuilding.organisations.models import PartyOrg

        self.fields["org"].queryset = PartyOrg.objects.visible_to(self.user).order_by("path")

    def _post_clean(self):
        pass  # the write validates the contestant as a whole


class JudgeForm(StyledFormMixin, forms.Form):
    user = forms.ModelChoiceField(label=_("judge"), queryset=selectors.judge_candidates())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = selectors.judge_candidates()


class ScoreSheetForm(StyledFormMixin, forms.Form):
    """One number field per indicator (the phone's decimal keypad); empty clears a score."""

    def __init__(self, *args, indicators, own: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = list(indicators)
        for indicator in self.indicators:
            value = own.get(indicator.pk)
            self.fields[f"indicator_{indicator.pk}"] = forms.DecimalField(
                label=f"{indicator.aspect.name} · {indicator.name}",
                required=False,
                min_value=Decimal("0"),
                max_value=indicator.max_score,
                max_digits=6,
                decimal_places=2,
                initial=value,
                help_text=_("0 to %(max)s") % {"max": indicator.max_score},
                widget=forms.NumberInput(
                    attrs={
                        "inputmode": "decimal",
                        "step": "0.1",
                        "min": "0",
                        "max": str(indicator.max_score),
                        "class": "form-control form-control-lg",
                    }
                ),
            )

    def values(self) -> dict:
        return {
            indicator: self.cleaned_data.get(f"indicator_{indicator.pk}")
            for indicator in self.indicators
        }


class EnrolmentForm(StyledFormMixin, forms.Form):
    """The track, mentor, plan and start (a plain form: the write builds and checks the row)."""

    track = forms.ChoiceField(
        label=_("track"), choices=LeadGooseEnrolment.Track.choices, widget=forms.RadioSelect
    )
    mentor = forms.CharField(label=_("mentor"), max_length=64, required=False)
    plan = forms.CharField(label=_("development plan"), required=False, widget=textarea(3))
    started_on = forms.DateField(label=_("started on"), widget=DateInput())


class MilestoneForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = LeadGooseMilestone
        fields = ["title", "due_on"]
        widgets = {"due_on": DateInput()}
