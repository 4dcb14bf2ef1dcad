"""The visit form, built for a grid worker's phone: big choices, few words to type."""

from datetime import timedelta

from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Visit, VisitNeed
from grids.models.visits import (
    FINDINGS_MAX_CHARS,
    FINDINGS_MIN_CHARS,
    NEED_DESCRIPTION_MAX_CHARS,
)
from portal.uploads import PHOTO, form_file_clean

MAX_PHOTO_BYTES = 8 * 1024 * 1024


class VisitForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("How"),
        choices=Visit.Mode.choices,
        initial=Visit.Mode.HOME,
        widget=forms.RadioSelect,
    )
    visited_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    outcome = forms.ChoiceField(
        label=_("Did you meet the person?"),
        choices=Visit.Outcome.choices,
        initial=Visit.Outcome.MET,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("A visit that did not meet the person is recorded but stays due."),
    )
    findings = forms.CharField(
        label=_("What you found"),
        required=False,
        # The length is checked by the model, whose message names the field (page, API and
        # imports say the same); the browser stops typing at the limit.
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": FINDINGS_MAX_CHARS}),
        help_text=_("At least %(min)d characters, unless you did not meet the person.")
        % {"min": FINDINGS_MIN_CHARS},
    )
    risk_flags = forms.MultipleChoiceField(
        label=_("Risks noticed"),
        choices=Visit.RiskFlag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    major_event = forms.ChoiceField(
        label=_("Major event since the last visit"),
        choices=Visit.MajorEvent.choices,
        required=False,
        help_text=_(
            "A hospital stay, a bereavement or an accident makes the next visit due within 24 hours."
        ),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")

    def clean_visited_at(self):
        value = self.cleaned_data["visited_at"]
        if value > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError(_("A visit cannot be in the future."))
        return value

    def clean_outcome(self):
        return self.cleaned_data.get("outcome") or Visit.Outcome.MET

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(_("The photo is larger than 8 MB."))
        if photo and not (getattr(photo, "content_type", "") or "").startswith("image/"):
            raise forms.ValidationError(_("Choose a picture file."))
        return form_file_clean(photo, kinds=PHOTO, max_bytes=MAX_PHOTO_BYTES)


class NeedForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Need"), choices=[("", "—"), *VisitNeed.Category.choices], required=False
    )
    description = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "maxlength": NEED_DESCRIPTION_MAX_CHARS}
        ),
    )

    def clean(self):
        data = super().clean()
        if data.get("description") and not data.get("category"):
            self.add_error("category", _("Choose what kind of need this is."))
        return data


NeedFormSet = formset_factory(NeedForm, extra=2, max_num=5)
