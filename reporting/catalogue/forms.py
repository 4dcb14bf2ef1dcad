"""The catalogue pages' forms: a data element, a duty item."""

from django import forms

from portal.ui import StyledFormMixin, textarea
from reporting.catalogue.models import DataElement, DutyItem


class ElementForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = DataElement
        fields = [
            "code", "name", "definition", "unit", "basis", "age_rule", "kind", "period",
            "computable", "source",
        ]  # fmt: skip
        widgets = {"definition": textarea(3), "source": textarea(2)}


class ElementEditForm(ElementForm):
    class Meta(ElementForm.Meta):
        fields = [f for f in ElementForm.Meta.fields if f != "code"]


class DutyForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = DutyItem
        fields = ["code", "name", "type", "basis"]
        widgets = {"basis": textarea(4), "type": forms.RadioSelect}


class DutyEditForm(DutyForm):
    class Meta(DutyForm.Meta):
        fields = ["name", "type", "basis"]
