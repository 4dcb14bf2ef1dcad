"""The activity form: its details and, for those who see the registry, who came."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models import Resident
from grids.selectors import resident_list
from portal.params import id_param
from portal.policy import allowed
from portal.ui import ScopedFormMixin, textarea
from services.activities import selectors
from services.activities.models import Activity
from services.activities.policy import access_activity_attendees_name
from services.catalogue.selectors import partner_list


class DateTimeInput(forms.DateTimeInput):
    """The phone's own date-and-time picker."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class ActivityForm(ScopedFormMixin, forms.ModelForm):
    """The activity's details; `attendees` (residents the user may see) unless partner staff."""

    attendees = forms.ModelMultipleChoiceField(
        label=capfirst(gettext_lazy("attendees")),
        queryset=Resident.objects.none(),
        required=False,
        widget=forms.MultipleHiddenInput,
    )

    class Meta:
        model = Activity
        fields = [
            "title", "theme", "target_group", "community", "partner", "team_name", "starts_at",
            "place", "capacity", "volunteer_count", "volunteer_hours", "extra_attendees",
            "summary",
        ]  # fmt: skip
        widgets = {
            "starts_at": DateTimeInput(),
            "summary": textarea(3),
            "volunteer_hours": forms.NumberInput(attrs={"step": "0.5", "min": "0"}),
        }

    def limit_choices(self):
        self.fields["community"].queryset = selectors.activity_community_choices(
            actor=self.user
        ).order_by("code")
        self.fields["partner"].queryset = partner_list(actor=self.user)
        self.fields["team_name"].required = False
        self.fields["team_name"].help_text = _("Leave empty to use the partner's name.")
        if self.user.is_partner_staff:
            # Partner staff record their own organisation's activities.
            self.fields["partner"].required = True
            self.fields["partner"].empty_label = None
        if not allowed(access_activity_attendees_name, self.user):
            del self.fields["attendees"]  # they count people under "other attendees"
        else:
            self.fields["attendees"].queryset = resident_list(actor=self.user)
            if not self.fields["partner"].queryset.exists():
                del self.fields["partner"]  # community and grid staff work with no partners

    def chosen_attendees(self):
        """The residents to show as picked: those posted back, or those already recorded."""
        if "attendees" not in self.fields:
            return []
        if self.is_bound:
            self.is_valid()  # cleans once; cached afterwards
            if "attendees" in self.cleaned_data:
                return list(self.cleaned_data["attendees"])
            ids = [pk for raw in self.data.getlist("attendees") if (pk := id_param(raw))]
            return list(self.fields["attendees"].queryset.filter(pk__in=ids))
        return list(self.initial.get("attendees", []))
