"""Forms of the administration pages."""

from django import forms
from django.conf import settings
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from portal.administration.selectors import grantable_regions, streets, unbound_partner_staff
from portal.models import API_SCOPE_GROUPS, User
from portal.ui import DateInput, StyledFormMixin, TelInput, styled
from services.catalogue.models import Partner, ServiceItem

SCOPE_LABELS = {
    "registry": _("Registry (regions, grids, households, residents, tags)"),
    "visits": _("Visits"),
    "services": _("Services (partners, referrals, contracts, aid, activities)"),
    "deliveries": _("Deliveries and statements"),
    "partybuilding": _("Party building"),
    "reporting": _("Reporting"),
    "webhooks": _("Webhook subscriptions"),
}
SCOPE_CHOICES = [("", _("No access")), ("read", _("Read")), ("write", _("Read and write"))]


class RegionGrantForm(StyledFormMixin, forms.Form):
    region = forms.ModelChoiceField(
        label=_("Community or street"),
        queryset=grantable_regions(),
        empty_label=_("Choose a community"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = grantable_regions()
        self.fields["region"].label_from_instance = lambda region: (
            f"{region.name}（{region.get_level_display()}）"
        )


class IntegrationAccountForm(StyledFormMixin, forms.Form):
    username = forms.CharField(
        label=_("Account name"),
        max_length=150,
        help_text=_("Letters, digits and @/./+/-/_ only, e.g. district-platform."),
    )
    full_name = forms.CharField(label=_("Name of the system"), max_length=64)


class TokenIssueForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Token label"), max_length=100)
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=3650,
        initial=settings.API_TOKEN_DEFAULT_DAYS,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for group in API_SCOPE_GROUPS:
            self.fields[f"scope_{group}"] = forms.ChoiceField(
                label=SCOPE_LABELS.get(group, group),
                choices=SCOPE_CHOICES,
                required=False,
                initial="read" if group == "registry" else "",
            )
        styled(self)  # the scope fields came after the mixin styled the form

    def scope_fields(self):
        return [self[f"scope_{group}"] for group in API_SCOPE_GROUPS]

    def clean(self):
        cleaned = super().clean()
        scopes = {
            group: cleaned[f"scope_{group}"]
            for group in API_SCOPE_GROUPS
            if cleaned.get(f"scope_{group}")
        }
        if not scopes:
            raise forms.ValidationError(_("Give the token access to at least one resource group."))
        cleaned["scopes"] = scopes
        return cleaned


class PartnerForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        help_text=_("18 characters, on the organisation's certificate."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Partner.Kind.choices)
    agreement_start = forms.DateField(label=_("Agreement from"), required=False, widget=DateInput)
    agreement_end = forms.DateField(label=_("Agreement to"), required=False, widget=DateInput)
    dpa_signed = forms.BooleanField(label=_("Data-processing agreement signed"), required=False)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("agreement_start"), cleaned.get("agreement_end")
        if start and end and end < start:
            self.add_error("agreement_end", _("The agreement cannot end before it starts."))
        return cleaned


class PartnerStaffCreateForm(StyledFormMixin, forms.Form):
    username = forms.CharField(label=_("Account name"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=64)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False, widget=TelInput)


class PartnerStaffBindForm(StyledFormMixin, forms.Form):
    person = forms.ModelChoiceField(
        label=_("Existing partner-staff account"),
        queryset=User.objects.none(),
        empty_label=_("Choose an account"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = unbound_partner_staff()
        self.fields["person"].label_from_instance = lambda user: (
            f"{user.get_full_name()}（{user.username}）"
        )


class CommunityForm(StyledFormMixin, forms.Form):
    parent = forms.ModelChoiceField(label=_("Street"), queryset=streets(), empty_label=None)
    name = forms.CharField(label=_("Name"), max_length=64)
    code = forms.CharField(
        label=_("Code"),
        max_length=12,
        help_text=_("12 digits: the street's first 9 and 3 of the community."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "12"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = streets()


class CommunityRenameForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("New name"), max_length=64)


class ServiceItemForm(StyledFormMixin, forms.ModelForm):
    """A catalogue entry; the eligibility rule is checked as it is typed (htmx, rule-check)."""

    class Meta:
        model = ServiceItem
        fields = [
            "name", "group", "category", "unit", "eligibility_rule", "subsidy", "max_quantity",
            "partners", "active",
        ]  # fmt: skip
        widgets = {"partners": forms.SelectMultiple(attrs={"size": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partners"].queryset = Partner.objects.order_by("name")
        rule = self.fields["eligibility_rule"]
        rule.widget.attrs.update(
            {
                "hx-get": reverse_lazy("administration:rule-check"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#rule-check",
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        )
