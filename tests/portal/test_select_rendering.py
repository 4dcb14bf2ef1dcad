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


class Inputs(forms.Form):
    text = forms.CharField(widget=forms.TextInput(attrs={"placeholder": '姓名 "全" & <名>'}))
    search = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "search"}))
    number = forms.IntegerField(min_value=0)
    decimal = forms.DecimalField(required=False)
    hidden = forms.CharField(widget=forms.HiddenInput)
    tick = forms.BooleanField(required=False)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    moment = forms.DateTimeField(required=False)
    mail = forms.EmailField(required=False)
    secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    upload = forms.FileField(required=False)
    odd = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"readonly": True, "hidden": False, "data-x": 0}),
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {
            "text": '王 "小" & <明>',
            "search": " 陈 ",
            "number": "0",
            "decimal": "1.50",
            "hidden": "<x>",
            "tick": "on",
            "day": "2026-12-06",
            "moment": "2026-12-06 08:30",
            "mail": "a@b.cn",
            "secret": "p&w",
            "odd": mark_safe("<b>"),
        },
        {"number": "-1", "tick": "", "day": "not a day", "mail": "bad"},
    ],
)
def test_an_input_is_written_as_djangos_templates_write_it(data):
    initial = {"text": "初始", "number": 7, "tick": True, "decimal": 0}
    ours = Inputs(data, initial=initial)
    django = Inputs(data, initial=initial)
    ours.renderer, django.renderer = FormRenderer(), DjangoTemplates()
    for name in Inputs.base_fields:
        assert str(ours[name]) == str(django[name]), name


def test_inputs_and_selects_load_no_template(monkeypatch):
    """The point of writing them in Python: a filter form of inputs and selects loads none."""
    loaded = []
    original = FormRenderer.get_template
    monkeypatch.setattr(
        FormRenderer,
        "get_template",
        lambda self, name: loaded.append(name) or original(self, name),
    )
    form = Inputs({"text": "x", "tick": "on"})
    form.fields["status"] = forms.ChoiceField(choices=[("", "---------"), ("a", "甲")])
    del form.fields["upload"]  # ClearableFileInput: a template of its own, not input.html
    form.renderer = FormRenderer()
    html = "".join(str(form[name]) for name in form.fields)
    assert 'type="checkbox"' in html and "<select" in html
    assert loaded == []


@pytest.mark.django_db
def test_a_model_select_reads_its_options_in_one_query(grid_a, grid_b):
    """Not through a server-side cursor (DECLARE, FETCH, CLOSE): one SELECT, the same options."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.ui import styled

    class Grids(forms.Form):
        grid = forms.ModelChoiceField(queryset=Grid.objects.order_by("pk"))
        grids = forms.ModelMultipleChoiceField(queryset=Grid.objects.order_by("pk"))

    plain, ours = Grids({"grid": grid_b.pk}), Grids({"grid": grid_b.pk})
    styled(plain)
    styled(ours)
    plain.fields["grid"].iterator = plain.fields["grids"].iterator = (
        forms.models.ModelChoiceIterator
    )
    assert ours.is_valid() is plain.is_valid() is False  # validated first: its own query
    for name in ("grid", "grids"):
        plain.fields[name].widget.choices = plain.fields[name].choices
        with CaptureQueriesContext(connection) as captured:
            html = str(ours[name])
        sqls = [q["sql"] for q in captured.captured_queries]
        assert [sql.split()[0] for sql in sqls] == ["SELECT"], sqls
        assert html == str(plain[name])
        assert f'value="{grid_b.pk}" selected' in str(ours["grid"])
        # Rendered again, the options are read again (nothing kept on the field).
        with CaptureQueriesContext(connection) as captured:
            str(ours[name])
        assert len(captured.captured_queries) == 1


def test_a_filter_select_with_a_none_option_reads_its_options_in_one_query(grid_a, grid_b):
    """django-filter's select adds its "none" option on top of Django's iterator: kept, and
    the grids read in one SELECT, not through a server-side cursor."""
    import django_filters
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.ui import FilterSet

    class ByGrid(FilterSet):
        grid = django_filters.ModelChoiceFilter(
            queryset=Grid.objects.order_by("pk"), null_label="无网格"
        )

        class Meta:
            model = Grid
            fields = ["grid"]

    form = ByGrid({}, queryset=Grid.objects.all()).form
    with CaptureQueriesContext(connection) as captured:
        html = str(form["grid"])

    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["SELECT"]
    options = [part.split('"')[1] for part in html.split("<option value=")[1:]]
    assert options == ["", "null", str(grid_a.pk), str(grid_b.pk)]
