"""Forms of 双报到: report, post a need, complete it, log hours (a phone form), review hours,
choose the quarter of the feedback sheet."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partybuilding.organisations.selectors import party_community_choices
from partybuilding.serving import selectors
from partybuilding.serving.models import CommunityNeed, PointRule, ServiceHours
from portal.ui import DateInput, ScopedFormMixin, StyledFormMixin, textarea
from portal.uploads import DOCUMENT, form_file_clean


class ReportForm(ScopedFormMixin, forms.Form):
    community = forms.ModelChoiceField(
        label=_("community where you live"), queryset=CommunityNeed.objects.none()
    )
    on = forms.DateField(label=_("reported on"), required=False, widget=DateInput())

    def limit_choices(self):
        from grids.models import Region

        # The communities of the street: where a member lives is not bounded by anyone's scope.
        self.fields["community"].queryset = Region.objects.filter(
            level=Region.Level.COMMUNITY
        ).order_by("code")


class CommunityNeedForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = CommunityNeed
        fields = ["community", "title", "category", "description"]
        widgets = {"description": textarea(3)}

    def limit_choices(self):
        if self.instance.pk:
            del self.fields["community"]
        else:
            self.fields["community"].queryset = party_community_choices(actor=self.user)


class CompleteForm(StyledFormMixin, forms.Form):
    delivered = forms.CharField(label=_("what was delivered"), widget=textarea(3))


class ServiceHoursForm(ScopedFormMixin, forms.ModelForm):
    """Hours on a phone: the day, the hours, what was done, the evidence photo."""

    class Meta:
        model = ServiceHours
        fields = ["served_on", "hours", "rule", "need", "description", "evidence"]
        widgets = {
            "served_on": DateInput(),
            "hours": forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "max": "24"}),
            "description": textarea(3),
            "evidence": forms.ClearableFileInput(attrs={"accept": "image/*,.pdf"}),
        }

    def __init__(self, *args, member, **kwargs):
        self.member = member
        super().__init__(*args, **kwargs)

    def limit_choices(self):
        self.fields["rule"].queryset = selectors.point_rule_choices(actor=self.user)
        self.fields["rule"].label = _("kind of service")
        self.fields["need"].queryset = selectors.community_need_claimed_by(
            actor=self.user, member=self.member
        ).exclude(status=CommunityNeed.Status.CANCELLED)
        self.fields["need"].required = False
        self.fields["need"].help_text = _("Leave empty for general service in your community.")
        self.fields["served_on"].initial = timezone.localdate()
        self.fields["evidence"].help_text = _(
            "A photo or a document; some kinds of service need it."
        )

    def clean_evidence(self):
        return form_file_clean(self.cleaned_data.get("evidence"), kinds=DOCUMENT)

    def _post_clean(self):
        # The write builds the record (member, community); the model's clean runs there.
        pass


class ReviewForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=_("review note"), required=False, widget=textarea(2))


def _quarter_now() -> tuple[int, int]:
    today = timezone.localdate()
    return today.year, (today.month - 1) // 3 + 1


class FeedbackSheetForm(ScopedFormMixin, forms.Form):
    org = forms.ModelChoiceField(label=_("employer's Party organisation"), queryset=None)
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("quarter"), coerce=int, choices=[(q, f"Q{q}") for q in range(1, 5)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        year, quarter = _quarter_now()
        self.fields["year"].initial = year
        self.fields["quarter"].initial = quarter

    def limit_choices(self):
        self.fields["org"].queryset = selectors.employer_org_choices(actor=self.user)


class PointRuleForm(StyledFormMixin, forms.ModelForm):
    """A point rule: points per approved hour and per approved record, whether evidence is
    required, whether members may still log under it."""

    class Meta:
        model = PointRule
        fields = [
            "code", "name", "points_per_hour", "points_per_item", "evidence_required", "active",
        ]  # fmt: skip
        widgets = {
            "points_per_hour": forms.NumberInput(
                attrs={"step": "0.5", "min": "0", "inputmode": "decimal"}
            ),
            "points_per_item": forms.NumberInput(
                attrs={"step": "0.5", "min": "0", "inputmode": "decimal"}
            ),
        }

    def _post_clean(self):
        pass  # the write validates the rule (and its unique code)
