"""The filters of the referral list page."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.ui import ALL, FilterSet, search_widget
from services.catalogue.selectors import partner_choices, service_items_dealt_in
from services.referrals.models import Referral
from services.referrals.selectors import overdue_q


def _service_items(request):
    return service_items_dealt_in(actor=request.user)


def _partners(request):
    return partner_choices(actor=request.user)


class ReferralFilter(FilterSet):
    """The referral list: resident name, status, service, partner (street only), overdue."""

    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=search_widget(_("Resident's name"))
    )
    status = django_filters.ChoiceFilter(
        label=_("status"), choices=Referral.Status.choices, empty_label=ALL
    )
    service_item = django_filters.ModelChoiceFilter(
        label=_("service"), queryset=_service_items, empty_label=ALL
    )
    partner = django_filters.ModelChoiceFilter(
        label=_("partner"), queryset=_partners, empty_label=ALL
    )
    overdue = django_filters.BooleanFilter(
        label=_("Only overdue"), method="only_overdue", widget=forms.CheckboxInput
    )
    follow_up = django_filters.ChoiceFilter(
        label=_("Follow-up (回访)"),
        choices=[("due", _("Not done yet")), ("mine", _("Mine, not done yet"))],
        method="follow_up_open",
        empty_label=ALL,
    )

    class Meta:
        model = Referral
        fields = ["q", "status", "service_item", "partner", "overdue", "follow_up"]

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = request.user
        # Choosing the partner is the street's business; partner staff only have their own.
        if not (user.is_street_staff or user.is_superuser):
            del self.filters["partner"]
        if user.is_partner_staff:
            del self.filters["follow_up"]  # the follow-up is the grid's and the street's work

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(resident__name__startswith=value) if value else queryset

    def follow_up_open(self, queryset, name, value):
        """Referrals whose follow-up task (回访) is not done; "mine": assigned to me."""
        if not value:
            return queryset
        queryset = queryset.filter(follow_up__isnull=False, follow_up__done_at__isnull=True)
        if value == "mine":
            queryset = queryset.filter(follow_up__assignee=self.request.user)
        return queryset.order_by("follow_up__due_on", "pk")

    def only_overdue(self, queryset, name, value):
        # An unticked box means "all referrals", not "only those on time".
        return queryset.filter(overdue_q(timezone.now())) if value else queryset
