"""The filters of the deliveries room: the delivery list page's, and the month filter the API
shares with it."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from portal.ui import ALL, FilterSet, search_widget
from services.catalogue.selectors import partner_choices, service_item_choices
from services.deliveries.forms import MonthField
from services.deliveries.models import Delivery
from services.deliveries.statements import deliveries_in_month


@extend_schema_field(OpenApiTypes.STR)
class MonthFilter(django_filters.Filter):
    """`YYYY-MM`: the deliveries of that month, in local time."""

    field_class = MonthField

    def filter(self, queryset, value):
        return deliveries_in_month(queryset, value) if value else queryset


def _partners(request):
    return partner_choices(actor=request.user)


def _service_items(request):
    return service_item_choices(actor=request.user)


class DeliveryFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=search_widget(_("Resident's name"))
    )
    month = MonthFilter(label=_("month"))
    partner = django_filters.ModelChoiceFilter(
        label=_("partner"), queryset=_partners, empty_label=ALL
    )
    service_item = django_filters.ModelChoiceFilter(
        label=_("service"), queryset=_service_items, empty_label=ALL
    )
    verification = django_filters.ChoiceFilter(
        label=_("verified by"), choices=Delivery.Verification.choices, empty_label=ALL
    )

    class Meta:
        model = Delivery
        fields = ["q", "month", "partner", "service_item", "verification"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(resident__name__startswith=value) if value else queryset
