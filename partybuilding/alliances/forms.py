"""Forms of the alliance pages: alliances, member units, agreements, list items, circles."""

from django import forms
from django.utils.translation import gettext_lazy as _

from grids.models import Region
from partybuilding.alliances import selectors
from partybuilding.alliances.models import (
    Alliance,
    AllianceAgreement,
    AllianceItem,
    AllianceMember,
    ExchangeCircle,
    ExchangeCirclePost,
)
from partybuilding.alliances.policy import circle_orgs_acted_for, members_acted_for
from portal.ui import DateInput, ScopedFormMixin, StyledFormMixin, textarea
from portal.uploads import DOCUMENT, form_file_clean


class AllianceForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = Alliance
        fields = ["name", "kind", "lead_org", "community", "description"]
        widgets = {"description": textarea(3)}

    def limit_choices(self):
        self.fields["lead_org"].queryset = selectors.party_org_choices(actor=self.user)
        self.fields["community"].queryset = Region.objects.filter(
            level=Region.Level.COMMUNITY
        ).order_by("code")


class AllianceEditForm(AllianceForm):
    class Meta(AllianceForm.Meta):
        fields = ["name", "kind", "lead_org", "community", "description", "active"]


class AllianceMemberForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = AllianceMember
        fields = ["kind", "party_org", "name", "unit_uscc", "joined_on"]
        widgets = {"joined_on": DateInput()}

    def limit_choices(self):
        self.fields["party_org"].queryset = selectors.party_org_choices(actor=self.user)
        self.fields["name"].required = False
        self.fields["name"].help_text = _("Leave empty to use the Party organisation's name.")
        self.fields["joined_on"].required = False


class AllianceMemberEditForm(AllianceMemberForm):
    """Correct a member unit, or record the day it left the alliance."""

    class Meta(AllianceMemberForm.Meta):
        fields = ["kind", "party_org", "name", "unit_uscc", "joined_on", "left_on"]
        widgets = {"joined_on": DateInput(), "left_on": DateInput()}

    def limit_choices(self):
        super().limit_choices()
        self.fields["name"].required = True
        self.fields["name"].help_text = ""
        self.fields["joined_on"].required = True

    def _post_clean(self):
        pass  # the write validates the member as a whole


class AgreementForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = AllianceAgreement
        fields = [
            "title", "signed_on", "term_start", "term_end", "lead", "parties", "scanned_copy",
            "note",
        ]  # fmt: skip
        widgets = {
            "signed_on": DateInput(),
            "term_start": DateInput(),
            "term_end": DateInput(),
            "parties": forms.CheckboxSelectMultiple(),
            "note": textarea(2),
        }

    def __init__(self, *args, alliance, **kwargs):
        self.alliance = alliance
        super().__init__(*args, **kwargs)

    def limit_choices(self):
        members = AllianceMember.objects.filter(alliance=self.alliance).order_by("name")
        self.fields["lead"].queryset = members
        self.fields["parties"].queryset = members

    def full_clean(self):
        super().full_clean()
        self.fields["parties"].widget.attrs["class"] = "form-check-input"

    def clean_scanned_copy(self):
        return form_file_clean(self.cleaned_data.get("scanned_copy"), kinds=DOCUMENT)


class AgreementEditForm(AgreementForm):
    """Correct a filed agreement; leave the scan empty to keep the one filed."""

    def limit_choices(self):
        super().limit_choices()
        self.fields["scanned_copy"].required = False
        self.fields["scanned_copy"].help_text = _("Empty: keep the scanned copy filed.")

    def _post_clean(self):
        pass  # the write validates the agreement and its parties


class ItemForm(ScopedFormMixin, forms.ModelForm):
    """Post an item for a member the user acts for."""

    class Meta:
        model = AllianceItem
        fields = ["kind", "title", "description", "posted_by", "linked_kind", "linked_id"]
        widgets = {"description": textarea(3)}

    def __init__(self, *args, alliance, **kwargs):
        self.alliance = alliance
        super().__init__(*args, **kwargs)

    def limit_choices(self):
        self.fields["posted_by"].queryset = members_acted_for(self.user, self.alliance)
        self.fields["posted_by"].empty_label = None
        self.fields["linked_kind"].required = False
        self.fields["linked_kind"].help_text = _("Projects only: a referral or an activity.")

    def _post_clean(self):
        pass  # the write validates the item as a whole


class ClaimForm(StyledFormMixin, forms.Form):
    claimed_by = forms.ModelChoiceField(
        label=_("claim for"), queryset=AllianceMember.objects.none(), empty_label=None
    )

    def __init__(self, *args, user, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claimed_by"].queryset = members_acted_for(user, item.alliance_id).exclude(
            pk=item.posted_by_id
        )


class CompleteForm(StyledFormMixin, forms.Form):
    delivered = forms.CharField(label=_("what was delivered"), widget=textarea(3))


class CircleForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = ExchangeCircle
        fields = ["name", "orgs", "description"]
        widgets = {"orgs": forms.CheckboxSelectMultiple(), "description": textarea(3)}

    def limit_choices(self):
        self.fields["orgs"].queryset = selectors.party_org_choices(actor=self.user)

    def full_clean(self):
        super().full_clean()
        self.fields["orgs"].widget.attrs["class"] = "form-check-input"


class CircleEditForm(CircleForm):
    def _post_clean(self):
        pass  # the write validates the circle


class CirclePostForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = ExchangeCirclePost
        fields = ["org", "kind", "title", "body", "happened_on"]
        widgets = {"happened_on": DateInput(), "body": textarea(4)}

    def __init__(self, *args, circle, **kwargs):
        self.circle = circle
        super().__init__(*args, **kwargs)

    def limit_choices(self):
        self.fields["org"].queryset = circle_orgs_acted_for(self.user, self.circle)
        self.fields["org"].empty_label = None

    def _post_clean(self):
        pass
