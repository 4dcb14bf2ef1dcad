"""The filters of the catalogue room's list pages (partners, the catalogue)."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.ui import ALL, FilterSet, search_widget
from services.catalogue.models import Partner, ServiceItem


class PartnerFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=search_widget(_("Name or credit code"))
    )
    kind = django_filters.ChoiceFilter(
        label=_("kind"), choices=Partner.Kind.choices, empty_label=ALL
    )
    agreement_state = django_filters.ChoiceFilter(
        label=_("agreement state"),
        choices=Partner.AgreementState.choices,
        empty_label=ALL,
        method="filter_agreement_state",
    )

    class Meta:
        model = Partner
        fields = ["q", "kind", "agreement_state"]

    def filter_agreement_state(self, queryset, name, value):
        return queryset.agreement_state(value, timezone.localdate())

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__contains=value) | Q(uscc__startswith=value.upper()))


class ServiceItemFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=search_widget(_("Service name"))
    )
    group = django_filters.ChoiceFilter(
        label=_("group"), choices=ServiceItem.Group.choices, empty_label=ALL
    )
    category = django_filters.ChoiceFilter(
        label=_("category"), choices=ServiceItem.Category.choices, empty_label=ALL
    )

    class Meta:
        model = ServiceItem
        fields = ["q", "group", "category"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(name__contains=value) if value else queryset
