"""The filters of the activity list page."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.ui import ALL, FilterSet, search_widget
from services.activities import selectors
from services.activities.models import Activity
from services.catalogue.models import ServiceItem


def _communities(request):
    return selectors.activity_community_choices(actor=request.user)


class ActivityFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=search_widget(_("Title, team or place"))
    )
    theme = django_filters.ChoiceFilter(
        label=_("theme"), choices=Activity.Theme.choices, empty_label=ALL
    )
    target_group = django_filters.ChoiceFilter(
        label=_("target group"), choices=ServiceItem.Group.choices, empty_label=ALL
    )
    community = django_filters.ModelChoiceFilter(
        label=_("community"), queryset=_communities, empty_label=ALL
    )
    year = django_filters.NumberFilter(
        label=_("year"), method="filter_year", min_value=2000, max_value=2100
    )

    class Meta:
        model = Activity
        fields = ["q", "theme", "target_group", "community", "year"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__contains=value) | Q(team_name__contains=value) | Q(place__contains=value)
        )

    def filter_year(self, queryset, name, value):
        return selectors.activities_in_year(queryset, int(value))
