"""The form renderer writes Django's select widgets in Python (portal/ui.py, FormRenderer):
byte for byte what Django's own templates write, for every kind of select the portal has."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from grids.models import Grid
from portal.ui import CHOOSE, FormRenderer
from tests.grids.factories import GridFactory


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("", "---------"), ("a", "甲 & <乙>"), (3, 3)])
    grouped = forms.ChoiceField(
        choices=[("", "全部"), ("老人", [("o1", "独居"), ("o2", "空巢")]), ("x", "其他")],
        required=False,
    )
    many = forms.MultipleChoiceField(choices=[("1", "一"), ("2", "二"), ("3", "三")])
    maybe = forms.NullBooleanField()
    grid = forms.ModelChoiceField(queryset=Grid.objects.order_by("pk"))
    odd = forms.ChoiceField(
        choices=[("v", mark_safe("<b>safe</b>"))],
        widget=forms.Select(attrs={"data-x": 'a"b', "disabled": True, "hidden": False}),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"plain": "a", "grouped": "o2", "many": ["1", "3"], "maybe": "true", "odd": "v"},
        {"plain": "<bad>", "many": ["9"], "maybe": "false"},
    ],
)
def test_a_select_is_written_as_djangos_templates_write_it(data, grid_a, grid_b):
    GridFactory(community=grid_a.community, name='网格 "三" & <四>')
    if data:
        data = {**data, "grid": str(grid_b.pk)}
    ours, django = Everything(data or None), Everything(data or None)
    ours.renderer, django.renderer = FormRenderer(), DjangoTemplates()
    for name in Everything.base_fields:
        assert str(ours[name]) == str(django[name]).replace("---------", str(CHOOSE)), name


def test_an_option_with_a_template_of_its_own_goes_through_the_templates():
    class Custom(forms.Select):
        option_template_name = "django/forms/widgets/radio_option.html"

    field = forms.ChoiceField(choices=[("a", "甲")], widget=Custom)
    form = forms.Form()
    form.fields["x"] = field
    form.renderer = FormRenderer()
    assert "<label><input" in str(form["x"])  # radio_option.html drew the option
