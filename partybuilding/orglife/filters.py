"""The filters of the meeting list page."""

import django_filters
from django.utils.translation import gettext_lazy as _

from partybuilding.organisations.models import PartyOrg
from partybuilding.orglife.models import MeetingKind, OrgLifeMeeting
from portal.ui import ALL, FilterSet, search_widget, year_filter


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
    year = year_filter("held_on")

    class Meta:
        model = OrgLifeMeeting
        fields = ["q", "org", "kind", "year"]
