"""The pages' kit: what every module's views and forms share (never borrowed from a module).

- `form_errors(form, exc)`: a write's ValidationError on the form (fields, or above it);
- `form_page(...)`: a form page, 400 when a POST comes back with errors;
- query parameters and path ids: `portal.params` (one parser for pages and the API);
- `paginate(request, rows)` / `filtered_page(request, filterset)`: 20 to a page, counted up
  to the cap (`portal.paginator`); the pagination include (`portal/_pagination.html`) keeps the
  filters in the links, and `portal/_capped.html` says "more than 10,000" above a capped list;
- `styled(form)`, `ScopedFormMixin`: Bootstrap classes, and forms that take `user=` and limit
  their choices to what the user may see;
- widgets for phones: `DateInput`, `TelInput`, `id_number_input()`, `search_widget()`;
- `FilterSet`: the base of every list filter (small Bootstrap controls, `active`);
- `FormRenderer` (settings.FORM_RENDERER): every select's empty choice reads "请选择…", never
  Django's "---------" (model forms, choice fields, filters and admin alike).
"""

from functools import cache

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Page
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import DjangoTemplates
from django.shortcuts import render
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData
from django.utils.translation import gettext_lazy as _

from portal.paginator import CappedPaginator
from portal.params import YEAR_MAX, YEAR_MIN, bound_filters

PAGE_SIZE = 20
ALL = _("All")
CHOOSE = _("Please choose…")
DJANGO_EMPTY_LABEL = "---------"  # ModelChoiceField's empty_label, BLANK_CHOICE_DASH


# --- Errors and form pages --------------------------------------------------------------------


def form_errors(form, exc: ValidationError) -> None:
    """Put a write's ValidationError on the form: on its fields, or above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def form_page(
    request,
    form,
    *,
    title,
    cancel_url,
    template: str = "portal/form.html",
    status: int | None = None,
    **context,
):
    """The form page; after a POST it is shown again only with errors: 400."""
    if status is None:
        status = 400 if request.method == "POST" else 200
    return render(
        request,
        template,
        {"form": form, "title": title, "cancel_url": cancel_url, **context},
        status=status,
    )


# --- Pagination -------------------------------------------------------------------------------


def paginate(request, rows, per_page: int = PAGE_SIZE) -> Page:
    """The requested page of `rows` (a bad or too-large page number gives the nearest page);
    a list longer than the cap is counted as the cap (`page.paginator.capped`)."""
    return CappedPaginator(rows, per_page).get_page(request.GET.get("page"))


def filtered_page(request, filterset, per_page: int = PAGE_SIZE) -> Page:
    """The page of the filtered list; an invalid filter (say, a grid out of scope) lists nothing."""
    queryset = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    return paginate(request, queryset, per_page)


# --- Widgets ----------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    """The phone's own date picker (`<input type="date">`), which always sends YYYY-MM-DD."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TelInput(forms.TextInput):
    """A phone number: the numeric keypad on phones, no autocorrection."""

    input_type = "tel"

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "tel", "autocomplete": "off", **(attrs or {})})


def id_number_input():
    # Digits and a trailing X: the text keyboard (inputmode=numeric has no X on most phones).
    return forms.TextInput(
        attrs={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "maxlength": "24",
        }
    )


def search_widget(placeholder):
    return forms.TextInput(attrs={"type": "search", "placeholder": placeholder})


def textarea(rows: int = 2):
    return forms.Textarea(attrs={"rows": rows})


# --- Forms ------------------------------------------------------------------------------------


class ListedModelChoiceIterator(ModelChoiceIterator):
    """The options of a model select read in one query.

    Django reads them through `QuerySet.iterator()`: on PostgreSQL a server-side cursor —
    DECLARE, FETCH, CLOSE, three round trips for a list of a few dozen partners or grids. A
    fresh clone is read each time, so nothing is kept on the field between renders."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


def listed_choices(field: forms.Field) -> None:
    """Have a model select (single or multiple) read its options with ListedModelChoiceIterator
    — also django-filter's, which adds its "none" option on top of Django's iterator."""
    if isinstance(field, forms.ModelChoiceField) and not issubclass(
        field.iterator, ListedModelChoiceIterator
    ):
        field.iterator = _listed_iterator(field.iterator)
        field.widget.choices = field.choices


@cache
def _listed_iterator(iterator: type) -> type:
    """`iterator` (Django's ModelChoiceIterator or a subclass) reading in one query: the
    subclass's own options first, then ListedModelChoiceIterator's rows."""
    if iterator is ModelChoiceIterator:
        return ListedModelChoiceIterator
    return type(f"Listed{iterator.__name__}", (iterator, ListedModelChoiceIterator), {})


def styled(form: forms.BaseForm) -> None:
    """Bootstrap classes on every widget, invalid fields marked; radio buttons become buttons
    (portal/_field.html draws them as a row of toggles); model selects read their options in
    one query (ListedModelChoiceIterator)."""
    for name, field in form.fields.items():
        listed_choices(field)
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


class StyledFormMixin:
    """Bootstrap classes on construction and again after validation (invalid fields marked)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        styled(self)

    def full_clean(self):
        super().full_clean()
        styled(self)


class ScopedFormMixin:
    """Takes `user=` and keeps it; subclasses limit their querysets in `limit_choices()` to
    `visible_to(user)`, so an object outside the scope is "not a valid choice"."""

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.limit_choices()
        styled(self)

    def limit_choices(self):
        pass

    def full_clean(self):
        super().full_clean()
        styled(self)


SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
# Django's widget templates that are `{% include "django/forms/widgets/input.html" %}` and
# nothing else: one <input>.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{kind}.html"
    for kind in (
        "checkbox", "color", "date", "datetime", "email", "file", "hidden", "number",
        "password", "search", "tel", "text", "time", "url",
    )
)  # fmt: skip


class FormRenderer(DjangoTemplates):
    """Django's form renderer, with "请选择…" for the empty choice of every select whose label
    is Django's default "---------" (a label a form set itself, such as "All", stays).

    A select or a single <input> of Django's own templates is written here in Python, to the
    byte what `select.html` or `input.html` writes: the select template includes
    `select_option.html` once per option, every input includes `input.html` and `attrs.html`,
    and a list page's filters (thirty partners, a dozen statuses, a search box, a tick box)
    spent a few milliseconds of every view in those includes. Any other template, or an option
    with a template of its own, goes through the templates as before.
    """

    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if isinstance(widget, dict) and widget.get("optgroups") and "select" in template_name:
            for _group, options, _index in widget["optgroups"]:
                for option in options:
                    if option["value"] in ("", None) and option["label"] == DJANGO_EMPTY_LABEL:
                        option["label"] = CHOOSE
        if template_name == SELECT_TEMPLATE and isinstance(widget, dict):
            html = _select_html(widget)
            if html is not None:
                return html
        if template_name in INPUT_TEMPLATES and isinstance(widget, dict):
            return _input_html(widget)
        return super().render(template_name, context, request=request)


def _shown(value) -> str:
    """`{{ value }}` in a template: localized, made text, escaped unless already safe."""
    value = localize(value)
    return conditional_escape(value if isinstance(value, str) else str(value))


def _formatted(value):
    """`|stringformat:'s'` (a safe value stays safe, as the filter is marked is_safe)."""
    return value if isinstance(value, SafeData) else str(value)


def _attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare ` name` for True, none for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_shown(name)}")
        if value is not True:
            parts.append(f'="{_shown(_formatted(value))}"')
    return "".join(parts)


def _input_html(widget: dict) -> str:
    """input.html with attrs.html."""
    value = widget["value"]
    shown = "" if value is None else f' value="{_shown(_formatted(value))}"'
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{shown}'
        f"{_attrs_html(widget['attrs'])}>"
    )


def _select_html(widget: dict) -> str | None:
    """select.html with select_option.html, or None when an option has another template."""
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs_html(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in options:
            if option.get("template_name") != OPTION_TEMPLATE:
                return None
            parts.append(
                f'\n  <option value="{_shown(_formatted(option["value"]))}"'
                f"{_attrs_html(option['attrs'])}>{_shown(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts).strip()


# --- List filters -----------------------------------------------------------------------------


class FilterSet(django_filters.FilterSet):
    """The base of every list page's filters: small Bootstrap controls, every filter optional;
    number and id filters bounded (`portal.params.bound_filters`: a bad value lists nothing)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_filters(self)

    @property
    def active(self) -> bool:
        """Whether a filter other than the search box is in use (the page unfolds them)."""
        return any(self.data.get(name) for name in self.filters if name != "q")

    @property
    def form(self):
        form = super().form
        for field in form.fields.values():
            listed_choices(field)
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"
            else:
                field.widget.attrs["class"] = "form-control form-control-sm"
        return form


def year_filter(field_name: str):
    """The year of a date field, for pages and the API alike: 2000–2100 (a year outside is a
    field error — an empty list on a page, a 400 in the API — never a 500 from the database)."""
    return django_filters.NumberFilter(
        label=_("year"),
        field_name=field_name,
        lookup_expr="year",
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
    )
