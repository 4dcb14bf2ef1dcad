"""Forms of the organisation tree and the membership register; choices limited to what the
user may see (an organisation, a resident or an area outside it is "not a valid choice")."""

from django import forms
from django.utils.translation import gettext_lazy as _

from grids.selectors import resident_visible_id_holder
from partybuilding.organisations import selectors
from partybuilding.organisations.models import MemberTransfer, PartyMember, PartyOrg
from portal.ui import DateInput, ScopedFormMixin, TelInput, id_number_input, textarea


class PartyOrgForm(ScopedFormMixin, forms.ModelForm):
    """An organisation's place in the tree and in the area tree: a grid branch names its grid,
    a building group its building (the model checks which kind needs what)."""

    class Meta:
        model = PartyOrg
        fields = [
            "name", "kind", "parent", "community", "grid", "building", "host_unit",
            "host_unit_uscc", "founded_on", "dissolved_on",
        ]  # fmt: skip
        widgets = {"founded_on": DateInput(), "dissolved_on": DateInput()}

    def limit_choices(self):
        parents = selectors.party_org_choices(actor=self.user)
        if self.instance.pk and self.instance.path:
            # Not under itself: its own subtree is no place to move it to.
            parents = parents.exclude(path__startswith=self.instance.path)
        self.fields["parent"].queryset = parents
        self.fields["community"].queryset = selectors.party_community_choices(actor=self.user)
        self.fields["grid"].queryset = selectors.party_grid_choices(actor=self.user)
        self.fields["building"].queryset = selectors.party_building_choices(actor=self.user)
        self.fields["grid"].help_text = _("A grid Party branch: its grid.")
        self.fields["building"].help_text = _("A building Party group: its building.")


class SecretaryForm(ScopedFormMixin, forms.Form):
    secretary = forms.ModelChoiceField(
        label=_("secretary"), queryset=PartyMember.objects.none(), required=False
    )

    def __init__(self, *args, org, **kwargs):
        self.org = org
        super().__init__(*args, **kwargs)

    def limit_choices(self):
        self.fields["secretary"].queryset = (
            selectors.party_member_list(actor=self.user)
            .filter(org__path__startswith=self.org.path, transferred_out_on__isnull=True)
            .order_by("name", "pk")
        )


class PartyMemberForm(ScopedFormMixin, forms.ModelForm):
    """A member's record; the registry resident is named by ID number among the residents the
    user sees (empty: no link). Editing does not move a member: that is a transfer."""

    resident_id_number = forms.CharField(
        label=_("resident's ID number"),
        required=False,
        widget=id_number_input(),
        help_text=_("Optional: links the member to their record in the registry."),
    )

    class Meta:
        model = PartyMember
        fields = [
            "name", "org", "status", "joined_party_on", "serving", "employer", "employer_org",
            "phone", "reported_community", "reported_on", "note",
        ]  # fmt: skip
        widgets = {
            "joined_party_on": DateInput(),
            "reported_on": DateInput(),
            "phone": TelInput(),
            "note": textarea(2),
        }

    def limit_choices(self):
        orgs = selectors.party_org_choices(actor=self.user)
        if self.instance.pk:
            del self.fields["org"]
            self.fields["resident_id_number"].help_text = _(
                "Leave empty to keep the current link to the registry."
            )
        else:
            self.fields["org"].queryset = orgs
        self.fields["employer_org"].queryset = orgs
        self.fields["reported_community"].queryset = selectors.party_community_choices(
            actor=self.user
        )

    def clean_resident_id_number(self):
        number = self.cleaned_data["resident_id_number"].strip().upper()
        if not number:
            return ""
        pk = resident_visible_id_holder(actor=self.user, id_number=number)
        if pk is None:
            raise forms.ValidationError(_("No resident with this ID number in your area."))
        self.resident_pk = pk
        return number

    def write_data(self) -> dict:
        """The fields for the write: `resident` by id, the rest as cleaned."""
        from grids.models import Resident

        data = dict(self.cleaned_data)
        data.pop("resident", None)
        number = data.pop("resident_id_number", "")
        if number:
            data["resident"] = Resident.objects.get(pk=self.resident_pk)
        elif not self.instance.pk:
            data["resident"] = None
        # Editing with the box left empty keeps the link (the ID number is never shown back).
        return data


class TransferForm(ScopedFormMixin, forms.Form):
    direction = forms.ChoiceField(
        label=_("direction"), choices=MemberTransfer.Direction.choices, widget=forms.RadioSelect
    )
    date = forms.DateField(label=_("date"), widget=DateInput())
    to_org = forms.ModelChoiceField(
        label=_("to organisation"),
        queryset=PartyOrg.objects.none(),
        required=False,
        help_text=_("An organisation of the street (transfer in, or a move inside the street)."),
    )
    to_org_name = forms.CharField(
        label=_("to (outside organisation)"), max_length=100, required=False
    )
    from_org_name = forms.CharField(
        label=_("from (outside organisation)"), max_length=100, required=False
    )
    note = forms.CharField(label=_("note"), required=False, widget=textarea(2))

    def limit_choices(self):
        self.fields["to_org"].queryset = selectors.party_org_choices(actor=self.user)


class LoginForm(forms.Form):
    username = forms.CharField(label=_("username"), max_length=150)
    password = forms.CharField(label=_("password"), widget=forms.PasswordInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from portal.ui import styled

        styled(self)
