"""Partners and the service catalogue under /api/v1/, read-only.

- `GET /api/v1/partners/` — partner organisations in scope (`Partner.objects.visible_to`):
  street, community and grid staff all of them (they refer residents to them), partner staff
  only their own; another organisation is a 404 to them.
- `GET /api/v1/service-items/` — the catalogue, the same for every role with
  `services.view_serviceitem`. Filters: `group`, `category`, `unit`, `active`, `partner`
  (a partner in scope) and `eligible_for=<resident id>` (a resident in scope; only items whose
  eligibility rule the resident's current tags satisfy). A resident or partner outside the
  scope is a 400 on the filter, exactly like a missing one. Each item's `partners` lists only
  the providers the user may see.
"""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from grids.models import Resident
from portal.api.viewsets import ScopedReadOnlyModelViewSet
from services.catalogue import selectors
from services.catalogue.models import Partner, ServiceItem

# --- Serializers ---------------------------------------------------------------------------


class PartnerSerializer(serializers.ModelSerializer):
    agreement_state = serializers.ChoiceField(
        choices=Partner.AgreementState.choices,
        read_only=True,
        help_text="The agreement today: only a partner `in_force` is given new referrals or "
        "family-doctor contracts.",
    )

    class Meta:
        model = Partner
        fields = [
            "id", "name", "uscc", "kind", "agreement_start", "agreement_end", "agreement_state",
            "dpa_signed",
        ]  # fmt: skip


class PartnerBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Partner
        fields = ["id", "name", "kind"]


class ServiceItemSerializer(serializers.ModelSerializer):
    partners = PartnerBriefSerializer(many=True, read_only=True)
    quantity_limit = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        read_only=True,
        help_text="The most one delivery may count: `max_quantity`, else the unit's default.",
    )

    class Meta:
        model = ServiceItem
        fields = [
            "id", "name", "group", "category", "unit", "eligibility_rule", "subsidy",
            "max_quantity", "quantity_limit", "active", "partners",
        ]  # fmt: skip


# --- Filters -------------------------------------------------------------------------------


def _partners(request):
    if request is None:  # schema generation
        return Partner.objects.none()
    return selectors.partner_list(actor=request.user)


def _residents(request):
    if request is None:  # schema generation
        return Resident.objects.none()
    return Resident.objects.visible_to(request.user)


class PartnerFilter(django_filters.FilterSet):
    agreement_state = django_filters.ChoiceFilter(
        choices=Partner.AgreementState.choices,
        method="filter_agreement_state",
        help_text=_("The agreement today: in force, not yet in force, or ended."),
    )

    class Meta:
        model = Partner
        fields = ["kind", "dpa_signed", "agreement_state"]

    def filter_agreement_state(self, queryset, name, value):
        return queryset.agreement_state(value, timezone.localdate())


@extend_schema_field(OpenApiTypes.INT)
class ResidentIdFilter(django_filters.ModelChoiceFilter):
    """A resident chosen by id (documented as an integer in the API schema)."""


class ServiceItemFilter(django_filters.FilterSet):
    partner = django_filters.ModelChoiceFilter(
        label=_("provided by"), field_name="partners", queryset=_partners
    )
    eligible_for = ResidentIdFilter(
        label=_("eligible resident"),
        queryset=_residents,
        method="filter_eligible_for",
        help_text=_("Only services the resident's current tags make them eligible for."),
    )

    class Meta:
        model = ServiceItem
        fields = ["group", "category", "unit", "active"]

    def filter_eligible_for(self, queryset, name, resident):
        """Rules are evaluated in Python against the resident's tags in force today: two
        queries (the tags, the rules) however long the catalogue is."""
        rules = queryset.prefetch_related(None).only("pk", "eligibility_rule")
        eligible, _other = selectors.service_items_by_eligibility(rules, resident=resident)
        return queryset.filter(pk__in=[item.pk for item in eligible])


# --- Viewsets ------------------------------------------------------------------------------


class PartnerViewSet(ScopedReadOnlyModelViewSet):
    """Partner organisations in your scope (read-only; they are registered by the street)."""

    queryset = Partner.objects.all()
    selector = staticmethod(selectors.partner_list)
    serializer_class = PartnerSerializer
    filterset_class = PartnerFilter
    search_fields = ["name", "uscc"]
    ordering_fields = ["name", "kind", "agreement_end"]


class ServiceItemViewSet(ScopedReadOnlyModelViewSet):
    """The service catalogue (一老一幼一特): read-only, one list for the whole street."""

    queryset = ServiceItem.objects.all()
    # The catalogue has no jurisdiction: the role's view permission decides (visible_to), and
    # a role without it meets a 404 on details, like everywhere else.
    selector = staticmethod(selectors.service_item_list)
    serializer_class = ServiceItemSerializer
    filterset_class = ServiceItemFilter
    search_fields = ["name"]
    ordering_fields = ["name", "group", "category"]


def register(router) -> None:
    router.register("partners", PartnerViewSet, basename="partner")
    router.register("service-items", ServiceItemViewSet, basename="serviceitem")
