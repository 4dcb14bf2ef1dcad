"""Filters of the registry's list pages (django-filter).

Choices of related objects come from `visible_to(request.user)`: a grid or community outside
the user's scope is not a valid choice, and the list it would filter holds nothing of it
anyway. Tag filters look at the tags in force today (grids.cadence.current_tags).
"""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids import selectors
from grids.cadence import current_tags
from grids.models import Building, Grid, Household, Resident, TagDef
from portal.ui import ALL, FilterSet, search_widget


def _communities(request):
    return selectors.community_list(actor=request.user)


def _grids(request):
    return selectors.grid_list(actor=request.user)


def _tags(request):
    return selectors.tag_choices()


class GridFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=search_widget(_("Grid name or code")),
    )
    community = django_filters.ModelChoiceFilter(
        label=_("community"), queryset=_communities, empty_label=ALL
    )
    kind = django_filters.ChoiceFilter(label=_("kind"), choices=Grid.Kind.choices, empty_label=ALL)

    class Meta:
        model = Grid
        fields = ["q", "community", "kind"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__contains=value) | Q(code__startswith=value))


class BuildingFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=search_widget(_("Building name or address"))
    )
    community = django_filters.ModelChoiceFilter(
        label=_("community"), queryset=_communities, empty_label=ALL
    )
    grid = django_filters.ModelChoiceFilter(label=_("grid"), queryset=_grids, empty_label=ALL)
    outside_grids = django_filters.BooleanFilter(
        label=_("Only buildings outside any grid"), method="outside", widget=forms.CheckboxInput
    )

    class Meta:
        model = Building
        fields = ["q", "community", "grid", "outside_grids"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__contains=value) | Q(address__contains=value))

    def outside(self, queryset, name, value):
        # An unticked box means "all buildings", not "only buildings inside a grid".
        return queryset.filter(grid__isnull=True) if value else queryset


class HouseholdFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=search_widget(_("Household number or head's name")),
    )
    community = django_filters.ModelChoiceFilter(
        label=_("community"),
        field_name="grid__community",
        queryset=_communities,
        empty_label=ALL,
    )
    grid = django_filters.ModelChoiceFilter(label=_("grid"), queryset=_grids, empty_label=ALL)
    kind = django_filters.ChoiceFilter(
        label=_("kind"), choices=Household.Kind.choices, empty_label=ALL
    )

    class Meta:
        model = Household
        fields = ["q", "community", "grid", "kind"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(number__startswith=value) | Q(head__name__startswith=value))


class ResidentFilter(FilterSet):
    """The resident list: search (name prefix, exact ID number or phone) and filters."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=search_widget(_("Name, full ID number or phone")),
    )
    community = django_filters.ModelChoiceFilter(
        label=_("community"),
        field_name="household__grid__community",
        queryset=_communities,
        empty_label=ALL,
    )
    grid = django_filters.ModelChoiceFilter(
        label=_("grid"), field_name="household__grid", queryset=_grids, empty_label=ALL
    )
    population_type = django_filters.ChoiceFilter(
        label=_("population type"), choices=Resident.PopulationType.choices, empty_label=ALL
    )
    tag = django_filters.ModelChoiceFilter(
        label=_("tag"), queryset=_tags, method="with_tag", empty_label=ALL
    )
    tier = django_filters.ChoiceFilter(
        label=_("visit tier"), choices=TagDef.Tier.choices, method="with_tier", empty_label=ALL
    )

    class Meta:
        model = Resident
        fields = ["q", "community", "grid", "population_type", "tag", "tier"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(selectors.resident_search_q(value)) if value else queryset

    # Tags through EXISTS, not a join: a resident with two matching tags is listed once.
    def with_tag(self, queryset, name, value):
        tags = current_tags(on=timezone.localdate()).filter(resident=OuterRef("pk"), tag=value)
        return queryset.filter(Exists(tags))

    def with_tier(self, queryset, name, value):
        tags = current_tags(on=timezone.localdate()).filter(
            resident=OuterRef("pk"), tag__visit_tier=value
        )
        return queryset.filter(Exists(tags))
