"""The filters of the aid case list page."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy

from portal.ui import ALL, FilterSet, search_widget
from services.aid import selectors
from services.aid.models import AidCase


def _bundles(request):
    return selectors.aid_bundle_choices(actor=request.user)


class CaseFilter(FilterSet):
    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="search",
        widget=search_widget(gettext_lazy("Household number")),
    )
    bundle = django_filters.ModelChoiceFilter(
        label=gettext_lazy("bundle"), queryset=_bundles, empty_label=ALL
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("status"), choices=AidCase.Status.choices, empty_label=ALL
    )
    double_funded = django_filters.BooleanFilter(
        label=gettext_lazy("Double funding only"),
        field_name="double_funded",
        widget=forms.CheckboxInput,
        method="only_double_funded",
    )

    class Meta:
        model = AidCase
        fields = ["q", "bundle", "status", "double_funded"]

    def search(self, queryset, name, value):
        return queryset.filter(household__number__startswith=value.strip())

    def only_double_funded(self, queryset, name, value):
        return queryset.filter(double_funded=True) if value else queryset
