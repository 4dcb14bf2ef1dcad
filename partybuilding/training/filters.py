"""The filters of the course list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from partybuilding.training.models import TrainingCourse
from portal.ui import ALL, FilterSet, search_widget, year_filter


class CourseFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        field_name="title",
        lookup_expr="contains",
        widget=search_widget(_("Title")),
    )
    topic = django_filters.ChoiceFilter(
        label=_("topic"), choices=TrainingCourse.Topic.choices, empty_label=ALL
    )
    mode = django_filters.ChoiceFilter(
        label=_("mode"), choices=TrainingCourse.Mode.choices, empty_label=ALL
    )
    year = year_filter("held_on")

    class Meta:
        model = TrainingCourse
        fields = ["q", "topic", "mode", "year"]
