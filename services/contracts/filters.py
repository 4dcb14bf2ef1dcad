"""The filters of the contract list page."""

from datetime import timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.ui import ALL, FilterSet, search_widget
from services.contracts.models import FamilyDoctorContract
from services.contracts.selectors import clinic_choices

Status = FamilyDoctorContract.Status

EXPIRING_CHOICES = [
    ("30", _("within 30 days")),
    ("60", _("within 60 days")),
    ("90", _("within 90 days")),
]


def _clinics(request):
    return clinic_choices(actor=request.user)


class ContractFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=search_widget(_("Resident's name or doctor"))
    )
    status = django_filters.ChoiceFilter(label=_("status"), choices=Status.choices, empty_label=ALL)
    partner = django_filters.ModelChoiceFilter(
        label=_("clinic"), queryset=_clinics, empty_label=ALL
    )
    expiring = django_filters.ChoiceFilter(
        label=_("ending"),
        choices=EXPIRING_CHOICES,
        method="filter_expiring",
        empty_label=ALL,
    )

    class Meta:
        model = FamilyDoctorContract
        fields = ["q", "status", "partner", "expiring"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(resident__name__startswith=value) | Q(doctor_name__startswith=value)
        )

    def filter_expiring(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.filter(
            status=Status.ACTIVE,
            end_date__gte=today,
            end_date__lte=today + timedelta(days=int(value)),
        )
