"""The filters of the contest list and the 领头雁 list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from partybuilding.contests.models import Contest, LeadGooseEnrolment
from portal.ui import ALL, FilterSet, search_widget


class ContestFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        field_name="title",
        lookup_expr="contains",
        widget=search_widget(_("Title")),
    )
    status = django_filters.ChoiceFilter(
        label=_("status"), choices=Contest.Status.choices, empty_label=ALL
    )

    class Meta:
        model = Contest
        fields = ["q", "status"]


class EnrolmentFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        field_name="member__name",
        lookup_expr="contains",
        widget=search_widget(_("Name")),
    )
    track = django_filters.ChoiceFilter(
        label=_("track"), choices=LeadGooseEnrolment.Track.choices, empty_label=ALL
    )

    class Meta:
        model = LeadGooseEnrolment
        fields = ["q", "track"]
