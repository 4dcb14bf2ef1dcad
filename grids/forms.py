"""Forms of the registry pages: phone-friendly widgets, choices limited to what the user may see.

Every form takes the user (`user=`) and limits its related-object querysets with
`visible_to(user)`, so an object outside the user's scope is "not a valid choice", exactly as
if it did not exist. Forms validate and prepare; the writes go through grids.writes.
"""

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from grids import selectors
from grids.models import (
    Building,
    Grid,
    GridAssignment,
    Household,
    MicroGrid,
    Resident,
    ResidentTag,
)
from grids.writes.registry import BUILDING_EDITABLE, GRID_EDITABLE
from portal.models import User
from portal.ui import DateInput, ScopedFormMixin, TelInput, id_number_input
from portal.validators import (
    citizen_id_birth_date,
    citizen_id_normalize,
    citizen_id_sex,
    mobile_normalize,
    validate_citizen_id,
    validate_mobile,
)


def _person_label(user) -> str:
    return f"{user.get_full_name()}（{user.get_role_display()}）" if user.role else str(user)


# --- Grids -----------------------------------------------------------------------------------


class GridForm(ScopedFormMixin, forms.ModelForm):
    """A new grid: its community is one the user may see; its code starts with the community's."""

    class Meta:
        model = Grid
        fields = [
            "community", "code", "name", "kind", "household_cap", "boundary", "valid_from",
            "valid_to",
        ]  # fmt: skip
        widgets = {
            "code": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "15"}),
            "valid_from": DateInput(),
            "valid_to": DateInput(),
            "boundary": forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        }
        help_texts = {
            "code": _("15 digits: the community's 12-digit code and a 3-digit number."),
            "boundary": _("Optional GeoJSON polygon, e.g. drawn in a map tool and pasted here."),
        }

    def limit_choices(self):
        if "community" in self.fields:
            self.fields["community"].queryset = selectors.community_list(actor=self.user)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The end of validity cannot be before its start."))
        return cleaned


class GridEditForm(GridForm):
    """A grid's code and community stay; a redrawn grid is a new grid."""

    class Meta(GridForm.Meta):
        fields = list(GRID_EDITABLE)


class MicroGridForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = MicroGrid
        fields = ["name", "leader_name", "leader_phone"]
        widgets = {"leader_phone": TelInput()}

    def clean_leader_phone(self):
        value = self.cleaned_data["leader_phone"]
        if value:
            validate_mobile(value)
            value = mobile_normalize(value)
        return value


# --- Buildings -------------------------------------------------------------------------------


class BuildingForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = Building
        fields = ["community", "grid", "micro_grid", "name", "address", "longitude", "latitude"]
        widgets = {
            "longitude": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.000001"}),
            "latitude": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.000001"}),
        }

    def limit_choices(self):
        if "community" in self.fields:
            self.fields["community"].queryset = selectors.community_list(actor=self.user)
        self.fields["grid"].queryset = selectors.grid_list(actor=self.user)
        self.fields["micro_grid"].queryset = MicroGrid.objects.visible_to(self.user).select_related(
            "grid"
        )

    def clean(self):
        cleaned = super().clean()
        community = cleaned.get("community")
        if community is None and self.instance.community_id:
            community = self.instance.community
        grid, micro_grid = cleaned.get("grid"), cleaned.get("micro_grid")
        if grid and community and grid.community_id != community.pk:
            self.add_error("grid", _("This grid belongs to another community."))
        if micro_grid and (grid is None or micro_grid.grid_id != grid.pk):
            self.add_error("micro_grid", _("This micro-grid is not in the chosen grid."))
        return cleaned


class BuildingEditForm(BuildingForm):
    class Meta(BuildingForm.Meta):
        fields = list(BUILDING_EDITABLE)


# --- Households ------------------------------------------------------------------------------


class HouseholdForm(ScopedFormMixin, forms.ModelForm):
    """A household and where it lives: building, unit and room find (or create) the dwelling."""

    building = forms.ModelChoiceField(
        label=capfirst(_("building")), queryset=Building.objects.none(), required=False
    )
    unit = forms.CharField(label=capfirst(_("unit")), max_length=16, required=False)
    room = forms.CharField(label=capfirst(_("room")), max_length=16, required=False)

    class Meta:
        model = Household
        fields = ["number", "kind", "grid", "head"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        dwelling = self.instance.dwelling if self.instance.pk else None
        if dwelling is not None and not self.is_bound:
            self.initial.update(
                building=dwelling.building_id, unit=dwelling.unit, room=dwelling.room
            )
        self.order_fields(["number", "kind", "grid", "building", "unit", "room", "head"])

    def limit_choices(self):
        self.fields["grid"].queryset = Grid.objects.visible_to(self.user)
        self.fields["grid"].required = True
        self.fields["building"].queryset = Building.objects.visible_to(self.user)
        if self.instance.pk:
            # The head is one of the household's own members.
            self.fields["head"].queryset = Resident.objects.visible_to(self.user).filter(
                household=self.instance
            )
        else:
            del self.fields["head"]

    def clean(self):
        cleaned = super().clean()
        building, room, grid = cleaned.get("building"), cleaned.get("room"), cleaned.get("grid")
        if building and not room:
            self.add_error("room", _("Enter the room number in this building."))
        if room and not building and "building" not in self.errors:
            self.add_error("building", _("Choose the building the room is in."))
        if building and grid and building.grid_id and building.grid_id != grid.pk:
            self.add_error(
                "grid",
                _("The building lies in grid %(grid)s; a household belongs to that grid.")
                % {"grid": building.grid},
            )
        return cleaned


# --- Residents -------------------------------------------------------------------------------


class ResidentForm(ScopedFormMixin, forms.ModelForm):
    """Register or correct a resident.

    - the ID number is checked (length, birth date, check character) and normalised;
    - sex and birth date, if left empty, are read from a valid citizen ID number, and must
      agree with it when entered;
    - the same ID number entered again never makes a second resident: if the holder is
      visible the form sets `existing_resident` (the page then goes there), otherwise a field
      error that says nothing about who holds it;
    - a probable duplicate (same name and birth date, or same phone) among the residents the
      user may see stops the save until "this is a different person" is ticked; the form
      lists them in `probable_duplicates`.
    """

    household = forms.ModelChoiceField(
        label=capfirst(_("household")),
        queryset=Household.objects.none(),
        to_field_name="number",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The household number, as on the household's page."),
        error_messages={
            "invalid_choice": _("No household with this number in your area."),
        },
    )
    confirm_different = forms.BooleanField(
        label=_("I have checked: this is a different person"),
        required=False,
    )

    DUPLICATE_FIELDS = ("name", "birth_date", "phone")

    class Meta:
        model = Resident
        fields = [
            "name", "id_type", "id_number", "sex", "birth_date", "phone", "ethnicity",
            "household", "relation_to_head", "population_type", "separated",
            "political_status", "deceased_date", "data_source", "verified_date",
        ]  # fmt: skip
        widgets = {
            "id_number": id_number_input(),
            "phone": TelInput(),
            "birth_date": DateInput(),
            "deceased_date": DateInput(),
            "verified_date": DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_resident = None
        self.probable_duplicates = []
        self.fields["sex"].required = False
        self.fields["birth_date"].required = False
        self.fields["sex"].help_text = _("Left empty, it is read from the ID number.")
        self.fields["birth_date"].help_text = _("Left empty, it is read from the ID number.")
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        # Compared on save: a changed name, birth date or phone is checked for duplicates again.
        self._original = {name: getattr(self.instance, name) for name in self.DUPLICATE_FIELDS}
        if self.instance.household_id:
            self.initial["household"] = self.instance.household.number
        if self.instance.pk:
            self._mask_sensitive()

    def _mask_sensitive(self):
        """Editing never shows the ID number or phone in clear (revealing one is audited).

        Both inputs start empty with the masked value as placeholder; left empty, the stored
        value is kept. Removing a phone takes the "remove the phone number" box.
        """
        self._stored = {
            "id_number": self.instance.id_number or "",
            "phone": self.instance.phone or "",
        }
        masked = {
            "id_number": self.instance.id_number_masked,
            "phone": self.instance.phone_masked,
        }
        for name in ("id_number", "phone"):
            field = self.fields[name]
            field.required = False
            self.initial[name] = ""
            if masked[name]:
                field.widget.attrs["placeholder"] = masked[name]
                field.help_text = _("Shown masked. Leave empty to keep it, or type the new one.")
        if self._stored["phone"]:
            self.fields["clear_phone"] = forms.BooleanField(
                label=_("Remove the phone number"), required=False
            )
            names = [name for name in self.fields if name != "clear_phone"]
            after_phone = names.index("phone") + 1
            self.order_fields([*names[:after_phone], "clear_phone", *names[after_phone:]])

    def limit_choices(self):
        households = Household.objects.visible_to(self.user)
        self.fields["household"].queryset = households
        current = self.instance.household_id
        if current and not households.filter(pk=current).exists():
            # A case shared with the user from outside their area: they may correct the
            # person's details but neither see nor change which household it belongs to.
            field = self.fields["household"]
            field.queryset = Household.objects.filter(pk=current)
            field.disabled = True
            field.widget = forms.HiddenInput()

    def clean_id_number(self):
        value = citizen_id_normalize(self.cleaned_data["id_number"])
        if not value and self.instance.pk:
            value = self._stored["id_number"]  # left empty: keep the number on record
        if self.cleaned_data.get("id_type", Resident.IdType.CITIZEN_ID) == (
            Resident.IdType.CITIZEN_ID
        ):
            validate_citizen_id(value)
        taken, holder = selectors.resident_id_number_holder(
            actor=self.user, id_number=value, exclude_pk=self.instance.pk
        )
        if holder is not None and not self.instance.pk:
            self.existing_resident = holder
            raise forms.ValidationError(
                _("A resident with this ID number is already registered."), code="registered"
            )
        if taken:
            # Outside the user's scope (or, when editing, another resident): say nothing more.
            raise forms.ValidationError(
                _(
                    "This ID number is already registered in the portal and cannot be used "
                    "here. The community office can help if the person has moved."
                ),
                code="taken",
            )
        return value

    def clean_phone(self):
        value = self.cleaned_data["phone"]
        if value:
            validate_mobile(value)
            value = mobile_normalize(value)
        return value

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "phone" not in self.errors:
            if cleaned.get("clear_phone"):
                cleaned["phone"] = ""
            elif not cleaned.get("phone"):
                cleaned["phone"] = self._stored["phone"]  # left empty: keep the phone on record
        id_number = cleaned.get("id_number")
        from_id = cleaned.get("id_type") == Resident.IdType.CITIZEN_ID and id_number
        if from_id:
            if not cleaned.get("sex") and "sex" not in self.errors:
                cleaned["sex"] = citizen_id_sex(id_number)
            if not cleaned.get("birth_date") and "birth_date" not in self.errors:
                cleaned["birth_date"] = citizen_id_birth_date(id_number)
        for name in ("sex", "birth_date"):
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(
                    name,
                    forms.ValidationError(
                        _("Enter this, or a valid citizen ID number to read it from."),
                        code="required",
                    ),
                )
        return cleaned

    def _post_clean(self):
        super()._post_clean()  # the model's own checks: ID number agrees with sex and birth date
        if not self.errors:
            self._check_probable_duplicates(self.cleaned_data)

    def _check_probable_duplicates(self, cleaned):
        if cleaned.get("confirm_different"):
            return
        if self.instance.pk and all(
            self._original[name] == cleaned.get(name) for name in self.DUPLICATE_FIELDS
        ):
            return
        self.probable_duplicates = list(
            selectors.resident_probable_duplicates(
                actor=self.user,
                name=cleaned.get("name", ""),
                birth_date=cleaned.get("birth_date"),
                phone=cleaned.get("phone", ""),
                exclude_pk=self.instance.pk,
            )
        )
        if self.probable_duplicates:
            self.add_error(
                "confirm_different",
                forms.ValidationError(
                    _(
                        "Residents with the same name and birth date, or the same phone, are "
                        "already registered. Check them; if this is a different person, tick "
                        "the box and save again."
                    ),
                    code="probable_duplicate",
                ),
            )

    def service_fields(self) -> dict:
        """The cleaned values the resident writes take (sex/birth date possibly derived)."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class ResidentTagForm(ScopedFormMixin, forms.ModelForm):
    """Put a tag on a resident (or change the one they have: same tag, new details)."""

    grade = forms.IntegerField(
        label=capfirst(_("grade")),
        required=False,
        min_value=1,
        max_value=4,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Disability grade 1–4, when the tag has one."),
    )

    class Meta:
        model = ResidentTag
        fields = ["tag", "source", "valid_from", "valid_to", "certificate_number", "grade"]
        widgets = {
            "valid_from": DateInput(),
            "valid_to": DateInput(),
        }

    def limit_choices(self):
        # The tag catalogue is the street's, not anyone's personal data: all tags are choices.
        self.fields["tag"].queryset = selectors.tag_choices()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The end of validity cannot be before its start."))
        return cleaned


# --- Staffing --------------------------------------------------------------------------------


class HandoverForm(ScopedFormMixin, forms.Form):
    """Hand a grid over from one worker to another on a date (grids.writes.grid_handover)."""

    from_person = forms.ModelChoiceField(label=_("Handed over by"), queryset=User.objects.none())
    to_person = forms.ModelChoiceField(label=_("Taken over by"), queryset=User.objects.none())
    post = forms.ChoiceField(
        label=capfirst(_("post")),
        required=False,
        choices=[("", _("Every post the person holds here")), *GridAssignment.Post.choices],
    )
    on_date = forms.DateField(label=_("Handover date"), widget=DateInput())

    def __init__(self, *args, grid: Grid, **kwargs):
        self.grid = grid
        super().__init__(*args, **kwargs)
        self.fields["on_date"].initial = timezone.localdate

    def limit_choices(self):
        holders, takers = selectors.handover_candidates(grid=self.grid)
        self.fields["from_person"].queryset = holders
        self.fields["to_person"].queryset = takers
        for name in ("from_person", "to_person"):
            self.fields[name].label_from_instance = _person_label

    def clean(self):
        cleaned = super().clean()
        giver, taker = cleaned.get("from_person"), cleaned.get("to_person")
        if giver and taker and giver.pk == taker.pk:
            self.add_error("to_person", _("Choose someone other than the person handing over."))
        on = cleaned.get("on_date")
        if on and on > timezone.localdate():
            self.add_error("on_date", _("A handover cannot be dated in the future."))
        return cleaned
