"""Forms of the referral pages: the create form and one small form per referral transition.

Forms validate and prepare; the writes go through services/referrals/writes.py, which asks the
gate and checks the state again under its row lock. Choices of related objects come from the
selectors (`visible_to(user)`). Widgets are sized for a phone (390 px): one column, big choices.
"""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.ui import StyledFormMixin, textarea
from services.catalogue.models import Partner
from services.catalogue.selectors import partner_choices
from services.referrals.models import CancelReason, DeclineReason, Referral, resident_age

# --- Create -----------------------------------------------------------------------------------


def _item_label(item) -> str:
    return f"{item.name} · {item.get_group_display()}"


class ReferralCreateForm(StyledFormMixin, forms.Form):
    """Choose the service (the ones the resident's tags qualify for first) and say what is needed."""

    service_item = forms.ChoiceField(label=_("Service"))
    description = forms.CharField(
        label=_("What is needed"), required=False, widget=textarea(3), max_length=2000
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

    def clean_service_item(self):
        return self.items[self.cleaned_data["service_item"]]


# --- One form per transition ------------------------------------------------------------------


class ActionForm(StyledFormMixin, forms.Form):
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

    def setup(self):
        pass

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
        if self.referral.consent_at:
            # Recorded: no longer offered as a step, only as a correction behind a summary.
            self.folded = True
            self.title = _("Correct the recorded consent")
            self.button = _("Save the correction")

    @property
    def resident_is_child(self) -> bool:
        age = resident_age(self.referral.resident)
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

    note = forms.CharField(label=_("Note (optional)"), required=False, widget=textarea())


class RejectForm(ActionForm):
    title = _("Reject")
    button = _("Reject")
    style = "outline-danger"
    folded = True
    done = _("The referral is rejected.")

    reason = forms.CharField(label=_("Why is it rejected?"), max_length=500, widget=textarea())


class AssignForm(ActionForm):
    title = _("Assign to a partner")
    button = _("Assign")
    done = _("The referral is assigned; the partner's staff are told.")

    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.none())

    def setup(self):
        field = self.fields["partner"]
        providers = partner_choices(actor=self.user).filter(
            service_items=self.referral.service_item_id
        )
        field.queryset = providers.agreement_in_force(timezone.localdate())
        field.label_from_instance = self.partner_label
        if field.queryset.exists():
            field.help_text = _(
                "Only partners that provide this service under an agreement in force today."
            )
        elif providers.exists():
            field.help_text = _(
                "The agreements of the partners that provide this service are not in force "
                "today: the street administrator records the new agreement period first."
            )
        else:
            field.help_text = _("No partner provides this service yet.")

    @staticmethod
    def partner_label(partner) -> str:
        label = f"{partner.name} · {partner.get_kind_display()}"
        if not partner.dpa_signed:
            label += " · " + str(_("no data-processing agreement"))
        return label


class PlanForm(ActionForm):
    title = _("Service plan")
    button = _("Save the plan")
    style = "outline-primary"
    folded = True
    done = _("The service plan is saved.")

    quantity = forms.DecimalField(
        label=_("Quantity per period"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=8,
        decimal_places=2,
        help_text=_("In the service's unit, e.g. 2 (hours). Leave empty to remove the plan."),
    )
    period = forms.ChoiceField(label=_("Per"), choices=Referral.PlanPeriod.choices, required=False)
    start = forms.DateField(
        label=_("Plan starts"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Plan ends"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def setup(self):
        referral = self.referral
        self.fields["quantity"].initial = referral.plan_quantity
        self.fields["period"].initial = referral.plan_period or Referral.PlanPeriod.WEEK
        self.fields["start"].initial = referral.plan_start
        self.fields["end"].initial = referral.plan_end
        self.fields["quantity"].label = _("Quantity per period (%(unit)s)") % {
            "unit": referral.service_item.get_unit_display()
        }


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

    reason = forms.ChoiceField(label=_("Reason for declining"), choices=DeclineReason.choices)
    note = forms.CharField(label=_("Note (optional)"), required=False, widget=textarea())


class StartForm(ActionForm):
    title = _("Start the service")
    button = _("Service started")
    done = _("The service has started.")


class CompleteForm(ActionForm):
    title = _("Service completed")
    button = _("Mark completed")
    done = _("The service is marked completed; the grid will follow up.")

    note = forms.CharField(label=_("What was done (optional)"), required=False, widget=textarea())


class FollowUpForm(ActionForm):
    title = _("Follow-up with the resident")
    button = _("Record the follow-up")
    done = _("Follow-up recorded.")

    note = forms.CharField(label=_("What did the follow-up find?"), widget=textarea(3))


class CloseForm(ActionForm):
    title = _("Close the referral")
    button = _("Close the referral")
    done = _("The referral is closed.")

    outcome = forms.CharField(label=_("Outcome"), widget=textarea())
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

    reason = forms.ChoiceField(label=_("Reason for cancelling"), choices=CancelReason.choices)
    note = forms.CharField(label=_("Note (optional)"), required=False, widget=textarea())


# The actions of the referral page, in the order they are shown. `escalate` is left to the
# hourly deadline task (services.referrals_escalate_overdue).
ACTION_FORMS: dict[str, type[ActionForm]] = {
    "consent": ConsentForm,
    "submit": SubmitForm,
    "approve": ApproveForm,
    "assign": AssignForm,
    "plan": PlanForm,
    "reject": RejectForm,
    "accept": AcceptForm,
    "decline": DeclineForm,
    "start": StartForm,
    "complete": CompleteForm,
    "follow_up": FollowUpForm,
    "close": CloseForm,
    "cancel": CancelForm,
}
