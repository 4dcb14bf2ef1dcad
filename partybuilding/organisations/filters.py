"""The filters of the member list page."""

import django_filters
from django.utils.translation import gettext_lazy as _

from partybuilding.organisations import selectors
from partybuilding.organisations.models import PartyMember
from portal.ui import ALL, FilterSet, search_widget


def _orgs(request):
    return selectors.party_org_choices(actor=request.user)


def _communities(request):
    return selectors.party_community_choices(actor=request.user)


class PartyMemberFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=search_widget(_("Name"))
    )
    org = django_filters.ModelChoiceFilter(
        label=_("Party organisation"), queryset=_orgs, empty_label=ALL
    )
    status = django_filters.ChoiceFilter(
        label=_("status"), choices=PartyMember.Status.choices, empty_label=ALL
    )
    serving = django_filters.BooleanFilter(label=_("serving member"))
    reported_community = django_filters.ModelChoiceFilter(
        label=_("reported to community"), queryset=_communities, empty_label=ALL
    )

    class Meta:
        model = PartyMember
        fields = ["q", "org", "status", "serving", "reported_community"]

    def search(self, queryset, name, value):
        if not value.strip():
            return queryset
        return queryset.filter(selectors.party_member_search_q(value))
