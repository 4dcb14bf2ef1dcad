"""The filters of the needs and hours lists."""

import django_filters
from django.utils.translation import gettext_lazy as _

from partybuilding.organisations.selectors import party_community_choices
from partybuilding.serving.models import CommunityNeed, ServiceHours
from portal.ui import ALL, FilterSet, search_widget


def _communities(request):
    return party_community_choices(actor=request.user)


class CommunityNeedFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        field_name="title",
        lookup_expr="contains",
        widget=search_widget(_("Title")),
    )
    status = django_filters.ChoiceFilter(
        label=_("status"), choices=CommunityNeed.Status.choices, empty_label=ALL
    )
    category = django_filters.ChoiceFilter(
        label=_("category"), choices=CommunityNeed.Category.choices, empty_label=ALL
    )
    community = django_filters.ModelChoiceFilter(
        label=_("community"), queryset=_communities, empty_label=ALL
    )

    class Meta:
        model = CommunityNeed
        fields = ["q", "status", "category", "community"]


class ServiceHoursFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        field_name="member__name",
        lookup_expr="contains",
        widget=search_widget(_("Member's name")),
    )
    status = django_filters.ChoiceFilter(
        label=_("status"), choices=ServiceHours.Status.choices, empty_label=ALL
    )
    community = django_filters.ModelChoiceFilter(
        label=_("community"), queryset=_communities, empty_label=ALL
    )

    class Meta:
        model = ServiceHours
        fields = ["q", "status", "community"]
