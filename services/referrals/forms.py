"""Forms of the services pages: the list filters, the create forms and one small form per
referral transition.

Forms validate and prepare; the writes go through services/referrals.py, which checks the
state and the actor again under its row lock. Choices of related objects come from
`visible_to(user)`. Widgets are sized for a phone (390 px): one column, big choices.
"""

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.roles import STREET_ROLES, Role
from portal.ui import ALL, FilterSet
from services.models import Partner, Referral, ServiceItem
from services.referrals import writes as flow
from services.referrals.selectors import overdue_q


def style(form: forms.BaseForm) -> None:
    """Bootstrap classes on every widget; radio buttons become buttons (services/_field.html)."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect):
            css = "btn-check"
        elif isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        if form.is_bound and form._errors and name in form._errors:
            css += " is-invalid"
        widget.attrs["class"] = css


def _textarea(rows=2):
    return forms.Textarea(attrs={"rows": rows})


# --- List filters -----------------------------------------------------------------------------


def _search_widget(placeholder):
    return forms.TextInput(attrs={"type": "search", "placeholder": placeholder})


def _filter_service_items(request):
    """Partner staff choose among the items their organisation provides; others, all."""
    items = ServiceItem.objects.order_by("group", "name")
    if request.user.role == Role.PARTNER_STAFF:
        return items.filter(partners__in=Partner.objects.visible_to(request.user)).distinct()
    return items


def _filter_partners(request):
    return Partner.objects.visible_to(request.user).order_by("name")


class ReferralFilter(FilterSet):
    """The referral list: resident name, status, service, partner (street only), overdue."""

    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=_search_widget(_("Resident's name"))
    )
    status = django_filters.ChoiceFilter(
        label=_("status"), choices=Referral.Status.choices, empty_label=ALL
    )
    service_item = django_filters.ModelChoiceFilter(
        label=_("service"), queryset=_filter_service_items, empty_label=ALL
    )
    partner = django_filters.ModelChoiceFilter(
        label=_("partner"), queryset=_filter_partners, empty_label=ALL
    )
    overdue = django_filters.BooleanFilter(
        label=_("Only overdue"), method="only_overdue", widget=forms.CheckboxInput
    )
    follow_up = django_filters.ChoiceFilter(
        label=_("Follow-up (回访)"),
        choices=[("due", _("Not done yet")), ("mine", _("Mine, not done yet"))],
        method="follow_up_open",
        empty_label=ALL,
    )

    class Meta:
        model = Referral
        fields = ["q", "status", "service_item", "partner", "overdue", "follow_up"]

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        # Choosing the partner is the street's business; partner staff only have their own.
        if request.user.role not in STREET_ROLES and not request.user.is_superuser:
            del self.filters["partner"]
        if request.user.role == Role.PARTNER_STAFF:
            del self.filters["follow_up"]  # the follow-up is the grid's and the street's work

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(resident__name__startswith=value) if value else queryset

    def follow_up_open(self, queryset, name, value):
        """Referrals whose follow-up task (回访) is not done; "mine": assigned to me."""
        if not value:
            return queryset
        queryset = queryset.filter(follow_up__isnull=False, follow_up__done_at__isnull=True)
        if value == "mine":
            queryset = queryset.filter(follow_up__assignee=self.request.user)
        return queryset.order_by("follow_up__due_on", "pk")

    def only_overdue(self, queryset, name, value):
        # An unticked box means "all referrals", not "only those on time".
        return queryset.filter(overdue_q(timezone.now())) if value else queryset


class PartnerFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=_search_widget(_("Name or credit code"))
    )
    kind = django_filters.ChoiceFilter(
        label=_("kind"), choices=Partner.Kind.choices, empty_label=ALL
    )

    class Meta:
        model = Partner
        fields = ["q", "kind"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__contains=value) | Q(uscc__startswith=value.upper()))


class ServiceItemFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=_search_widget(_("Service name"))
    )
    group = django_filters.ChoiceFilter(
        label=_("group"), choices=ServiceItem.Group.choices, empty_label=ALL
    )
    category = django_filters.ChoiceFilter(
        label=_("category"), choices=ServiceItem.Category.choices, empty_label=ALL
    )

    class Meta:
        model = ServiceItem
        fields = ["q", "group", "category"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(name__contains=value) if value else queryset


# --- Create -----------------------------------------------------------------------------------


def _item_label(item: ServiceItem) -> str:
    return f"{item.name} · {item.get_group_display()}"


class ReferralCreateForm(forms.Form):
    """Choose the service (the ones the resident's tags qualify for first) and say what is needed."""

    service_item = forms.ChoiceField(label=_("Service"))
    description = forms.CharField(
        label=_("What is needed"), required=False, widget=_textarea(3), max_length=2000
    )

    def __init__(self, *args, eligible, other, with_description=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = {str(item.pk): item for item in [*eligible, *other]}
        choices = [("", "—")]
        if eligible:
            choices.append(
                (
                    _("Services the resident is eligible for"),
                    [(str(item.pk), _item_label(item)) for item in eligible],
                )
            )
        if other:
            choices.append(
                (
                    _("Other services (the resident's tags do not meet their rule)"),
                    [(str(item.pk), _item_label(item)) for item in other],
                )
            )
        self.fields["service_item"].choices = choices
        if not with_description:
            del self.fields["description"]
        style(self)

    def full_clean(self):
        super().full_clean()
        style(self)

    def clean_service_item(self):
        return self.items[self.cleaned_data["service_item"]]


# --- One form per transition ------------------------------------------------------------------


class ActionForm(forms.Form):
    """A transition's form on the referral page. Class attributes say how it is shown:
    `title`, `button` (its label), `style` (Bootstrap button colour), `folded` (hidden behind
    a summary, for the actions that stop or turn back a referral) and `done` (the message)."""

    title = ""
    button = _("Confirm")
    style = "primary"
    folded = False
    done = _("Done.")

    def __init__(self, *args, referral, user, **kwargs):
        self.referral = referral
        self.user = user
        super().__init__(*args, **kwargs)
        self.setup()
        style(self)

    def setup(self):
        pass

    def full_clean(self):
        super().full_clean()
        style(self)

    def service_kwargs(self) -> dict:
        """The arguments of the service function, taken from the cleaned data."""
        return dict(self.cleaned_data)


class ConsentForm(ActionForm):
    title = _("Consent to share with a partner")
    button = _("Record consent")
    style = "outline-primary"
    done = _("Consent recorded.")

    consent_by = forms.ChoiceField(
        label=_("Consent given by"), choices=Referral.ConsentBy.choices, widget=forms.RadioSelect
    )
    guardian_name = forms.CharField(label=_("Guardian's name"), required=False, max_length=64)

    def setup(self):
        if self.resident_is_child:
            self.fields["consent_by"].choices = [
                (Referral.ConsentBy.GUARDIAN, Referral.ConsentBy.GUARDIAN.label)
            ]
            self.fields["consent_by"].initial = Referral.ConsentBy.GUARDIAN
            self.fields["consent_by"].help_text = _(
                "The resident is under %(age)s: only a guardian may consent."
            ) % {"age": settings.GUARDIAN_CONSENT_UNDER_AGE}
        elif self.referral.consent_by:
            self.fields["consent_by"].initial = self.referral.consent_by
        self.fields["guardian_name"].initial = self.referral.consent_guardian_name

    @property
    def resident_is_child(self) -> bool:
        age = flow.resident_age(self.referral.resident)
        return age < settings.GUARDIAN_CONSENT_UNDER_AGE

    def clean(self):
        data = super().clean()
        data["guardian_name"] = (data.get("guardian_name") or "").strip()
        if data.get("consent_by") == Referral.ConsentBy.GUARDIAN and not data["guardian_name"]:
            self.add_error("guardian_name", _("Give the guardian's name."))
        return data


class SubmitForm(ActionForm):
    title = _("Send to the street for review")
    button = _("Submit")
    done = _("The referral is submitted to the street for review.")


class ApproveForm(ActionForm):
    title = _("Approve")
    button = _("Approve")
    done = _("The referral is approved: now choose a partner.")

    note = forms.CharField(label=_("Note (optional)"), required=False, widget=_textarea())


class RejectForm(ActionForm):
    title = _("Reject")
    button = _("Reject")
    style = "outline-danger"
    folded = True
    done = _("The referral is rejected.")

    reason = forms.CharField(label=_("Why is it rejected?"), max_length=500, widget=_textarea())


class AssignForm(ActionForm):
    title = _("Assign to a partner")
    button = _("Assign")
    done = _("The referral is assigned; the partner's staff are told.")

    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.none())

    def setup(self):
        field = self.fields["partner"]
        field.queryset = (
            Partner.objects.visible_to(self.user)
            .filter(service_items=self.referral.service_item_id)
            .order_by("name")
        )
        field.label_from_instance = self.partner_label
        if field.queryset.exists():
            field.help_text = _("Only partners that provide this service.")
        else:
            field.help_text = _("No partner provides this service yet.")

    @staticmethod
    def partner_label(partner) -> str:
        label = f"{partner.name} · {partner.get_kind_display()}"
        if not partner.dpa_signed:
            label += " · " + str(_("no data-processing agreement"))
        return label


class AcceptForm(ActionForm):
    title = _("Take this referral on")
    button = _("Accept")
    done = _("You accepted the referral.")


class DeclineForm(ActionForm):
    title = _("Decline")
    button = _("Decline")
    style = "outline-danger"
    folded = True
    done = _("You declined the referral; it goes back to the street for another partner.")

    reason = forms.ChoiceField(label=_("Reason for declining"), choices=flow.DeclineReason.choices)
    note = forms.CharField(label=_("Note (optional)"), required=False, widget=_textarea())


class StartForm(ActionForm):
    title = _("Start the service")
    button = _("Service started")
    done = _("The service has started.")


class CompleteForm(ActionForm):
    title = _("Service completed")
    button = _("Mark completed")
    done = _("The service is marked completed; the grid will follow up.")

    note = forms.CharField(label=_("What was done (optional)"), required=False, widget=_textarea())


class FollowUpForm(ActionForm):
    title = _("Follow-up with the resident")
    button = _("Record the follow-up")
    done = _("Follow-up recorded.")

    note = forms.CharField(label=_("What did the follow-up find?"), widget=_textarea(3))


class CloseForm(ActionForm):
    title = _("Close the referral")
    button = _("Close the referral")
    done = _("The referral is closed.")

    outcome = forms.CharField(label=_("Outcome"), widget=_textarea())
    satisfaction = forms.TypedChoiceField(
        label=_("Resident's satisfaction (1–5)"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )


class CancelForm(ActionForm):
    title = _("Cancel the referral")
    button = _("Cancel the referral")
    style = "outline-danger"
    folded = True
    done = _("The referral is cancelled.")

    reason = forms.ChoiceField(label=_("Reason for cancelling"), choices=flow.CancelReason.choices)
    note = forms.CharField(label=_("Note (optional)"), required=False, widget=_textarea())


# The actions of the referral page, in the order they are shown. `escalate` is left to the
# hourly deadline task (services.referrals_escalate_overdue).
ACTION_FORMS: dict[str, type[ActionForm]] = {
    "consent": ConsentForm,
    "submit": SubmitForm,
    "approve": ApproveForm,
    "assign": AssignForm,
    "reject": RejectForm,
    "accept": AcceptForm,
    "decline": DeclineForm,
    "start": StartForm,
    "complete": CompleteForm,
    "follow_up": FollowUpForm,
    "close": CloseForm,
    "cancel": CancelForm,
}
