"""The filters of the meeting list page."""

import django_filters
from django.utils.translation import gettext_lazy as _

from partybuilding.organisations.models import PartyOrg
from partybuilding.orglife.models import MeetingKind, OrgLifeMeeting
from portal.ui import ALL, FilterSet, search_widget


def _orgs(request):
    if request is None:
        return PartyOrg.objects.none()
    return PartyOrg.objects.visible_to(request.user).order_by("path")


class MeetingFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        field_name="topic",
        lookup_expr="contains",
        widget=search_widget(_("Topic")),
    )
    org = django_filters.ModelChoiceFilter(
        label=_("Party organisation"), queryset=_orgs, empty_label=ALL
    )
    kind = django_filters.ChoiceFilter(
        label=_("kind"), choices=MeetingKind.choices, empty_label=ALL
    )
    year = django_filters.NumberFilter(
        label=_("year"), field_name="held_on", lookup_expr="year", min_value=2000, max_value=2100
    )

    class Meta:
        model = OrgLifeMeeting
        fields = ["q", "org", "kind", "year"]
