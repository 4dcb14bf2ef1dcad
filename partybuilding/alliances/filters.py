"""The filters of the alliance list page."""

import django_filters
from django.utils.translation import gettext_lazy as _

from partybuilding.alliances.models import Alliance
from portal.ui import ALL, FilterSet, search_widget


class AllianceFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        field_name="name",
        lookup_expr="contains",
        widget=search_widget(_("Name")),
    )
    kind = django_filters.ChoiceFilter(
        label=_("kind"), choices=Alliance.Kind.choices, empty_label=ALL
    )
    active = django_filters.BooleanFilter(label=_("active"))

    class Meta:
        model = Alliance
        fields = ["q", "kind", "active"]
