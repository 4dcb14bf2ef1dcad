"""The meeting form: the meeting's details and, on the same phone page, one row of three
buttons (present / excused / absent) for each member of the organisation."""

from django import forms
from django.utils.translation import gettext_lazy as _

from partybuilding.orglife import selectors
from partybuilding.orglife.models import MeetingAttendance, MeetingRequirement, OrgLifeMeeting
from portal.ui import DateInput, StyledFormMixin, styled, textarea

PREFIX = "att_"


class MeetingForm(StyledFormMixin, forms.ModelForm):
    """`org` is chosen before the form (the sheet depends on it); `initial_status` maps member
    pk → status for an existing meeting."""

    class Meta:
        model = OrgLifeMeeting
        fields = ["kind", "held_on", "topic", "place", "minutes"]
        widgets = {"held_on": DateInput(), "minutes": textarea(5)}

    def __init__(self, *args, org, initial_status=None, **kwargs):
        self.org = org
        super().__init__(*args, **kwargs)
        self.members = list(selectors.attendance_members(org=org))
        initial_status = initial_status or {}
        for member in self.members:
            label = (
                member.name if member.org_id == org.pk else f"{member.name}（{member.org.name}）"
            )
            self.fields[f"{PREFIX}{member.pk}"] = forms.ChoiceField(
                label=label,
                choices=MeetingAttendance.Status.choices,
                initial=initial_status.get(member.pk, MeetingAttendance.Status.PRESENT),
                widget=forms.RadioSelect,
            )
        styled(self)

    def _post_clean(self):
        pass  # the write validates the meeting (with its organisation) as a whole

    def details(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def attendance(self) -> list[dict]:
        return [
            {"member": member, "status": self.cleaned_data[f"{PREFIX}{member.pk}"]}
            for member in self.members
        ]

    def detail_fields(self):
        return [self[name] for name in self.Meta.fields]

    def sheet_fields(self):
        return [self[f"{PREFIX}{member.pk}"] for member in self.members]


class ComplianceForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100, required=False)


class MeetingRequirementForm(StyledFormMixin, forms.ModelForm):
    """A kind of meeting, how often, and for which kind of organisation (empty: every kind)."""

    class Meta:
        model = MeetingRequirement
        fields = ["kind", "org_kind", "period"]
        widgets = {"period": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_kind"].choices = [("", _("Every kind of organisation"))] + [
            choice for choice in self.fields["org_kind"].choices if choice[0]
        ]

    def _post_clean(self):
        pass  # the write validates the requirement (one per kind and organisation kind)
