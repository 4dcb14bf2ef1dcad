"""Deliveries under /api/v1/deliveries/: list, read, create, and a partner's monthly statement.

- `GET /api/v1/deliveries/` — deliveries in scope (`Delivery.objects.visible_to`): street roles
  all, partner staff their organisation's, community and grid staff their residents'. Filters:
  `partner`, `service_item`, `resident`, `referral` (ids) and `month` (`YYYY-MM`, local time).
  A delivery outside the scope is a 404 on its detail, like a missing one.
- `POST /api/v1/deliveries/` — through services.deliveries.writes.delivery_log: partner staff for
  their own organisation only (another organisation's id is a 400 "does not exist"), on a
  referral of theirs that is accepted or in service; street roles for any partner. With a
  `referral`, `partner` and `resident` may be left out (they are the referral's). `subsidy`
  left out is quantity × the item's subsidy. Bad input: 400 with field errors.
- `GET /api/v1/deliveries/statement/?partner=<id>&month=YYYY-MM` — the partner's monthly
  statement (services.deliveries.statements.partner_statement): per service item the deliveries, the
  quantity, the subsidy and the residents served, and the totals. A partner the user may not
  see is a 404.
"""

import django_filters
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from grids.models import Resident
from portal.api.fields import ScopedPrimaryKeyRelatedField
from portal.api.viewsets import ScopedViewSetMixin
from services.catalogue.models import Partner, ServiceItem
from services.catalogue.selectors import partner_list
from services.deliveries import selectors
from services.deliveries.filters import MonthFilter
from services.deliveries.models import Delivery
from services.deliveries.statements import Month, partner_statement
from services.deliveries.writes import delivery_log
from services.referrals.models import Referral

# --- Serializers ---------------------------------------------------------------------------


class DeliverySerializer(serializers.ModelSerializer):
    partner = ScopedPrimaryKeyRelatedField(queryset=Partner.objects.all(), required=False)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    service_item = serializers.PrimaryKeyRelatedField(
        queryset=ServiceItem.objects.filter(active=True), required=False
    )
    service_item_name = serializers.CharField(source="service_item.name", read_only=True)
    resident = ScopedPrimaryKeyRelatedField(queryset=Resident.objects.all(), required=False)
    resident_name = serializers.CharField(source="resident.name", read_only=True)
    referral = ScopedPrimaryKeyRelatedField(
        queryset=Referral.objects.all(), required=False, allow_null=True
    )
    subsidy = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text=_("Left out: quantity × the service's subsidy per unit."),
    )

    class Meta:
        model = Delivery
        fields = [
            "id", "partner", "partner_name", "service_item", "service_item_name", "resident",
            "resident_name", "referral", "delivered_at", "quantity", "staff_name",
            "verification", "subsidy", "feedback", "meal_import", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "meal_import", "created_at"]

    def validate(self, attrs):
        """The referral, when given, supplies what was left out; what remains must be there."""
        referral = attrs.get("referral")
        if referral is not None:
            attrs.setdefault("partner", referral.partner)
            attrs.setdefault("resident", referral.resident)
            attrs.setdefault("service_item", referral.service_item)
        missing = {
            name: [_("This field is required.")]
            for name in ("partner", "service_item", "resident")
            if attrs.get(name) is None
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class DeliveryPartnerSerializer(DeliverySerializer):
    """What partner staff read of a delivery: the resident by name only, never the registry id
    (they log deliveries through the referral, which names the resident)."""

    resident = ScopedPrimaryKeyRelatedField(
        queryset=Resident.objects.all(), required=False, write_only=True
    )


class StatementLineSerializer(serializers.Serializer):
    service_item = serializers.IntegerField(source="service_item_id", allow_null=True)
    service_item_name = serializers.CharField(source="service_item")
    unit = serializers.CharField()
    deliveries = serializers.IntegerField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=2)
    subsidy = serializers.DecimalField(max_digits=16, decimal_places=2)
    residents = serializers.IntegerField()


class StatementSerializer(serializers.Serializer):
    partner = inline_serializer(
        "StatementPartner", {"id": serializers.IntegerField(), "name": serializers.CharField()}
    )
    month = serializers.CharField()
    items = StatementLineSerializer(many=True, source="lines")
    total = StatementLineSerializer()

    def to_representation(self, statement):
        data = super().to_representation(statement)
        data["partner"] = {"id": statement.partner.pk, "name": statement.partner.name}
        data["month"] = str(statement.month)
        return data


# --- Filters -------------------------------------------------------------------------------


class DeliveryFilter(django_filters.FilterSet):
    # Plain ids: the list is already scoped, and local staff may not see partners as objects.
    partner = django_filters.NumberFilter(field_name="partner")
    service_item = django_filters.NumberFilter(field_name="service_item")
    resident = django_filters.NumberFilter(field_name="resident")
    referral = django_filters.NumberFilter(field_name="referral")
    month = MonthFilter(label=_("month (YYYY-MM)"))

    class Meta:
        model = Delivery
        fields = ["partner", "service_item", "resident", "referral", "verification", "month"]


# --- Viewset -------------------------------------------------------------------------------


class DeliveryViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Deliveries in your scope; partner staff log their organisation's."""

    queryset = Delivery.objects.all()
    selector = staticmethod(selectors.delivery_list)
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    ordering_fields = ["delivered_at", "created_at"]
    extra_action_perms = {"statement": "view"}

    def get_serializer_class(self):
        # Schema generation asks without a signed-in user.
        if getattr(self.request.user, "is_partner_staff", False):
            return DeliveryPartnerSerializer
        return DeliverySerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = delivery_log(
            actor=self.request.user,
            referral=data.get("referral"),
            partner=data["partner"],
            service_item=data["service_item"],
            resident=data["resident"],
            delivered_at=data.get("delivered_at"),
            quantity=data.get("quantity"),
            staff_name=data.get("staff_name", ""),
            verification=data.get("verification", ""),
            subsidy=data.get("subsidy"),
            feedback=data.get("feedback", ""),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("partner", OpenApiTypes.INT, required=True),
            OpenApiParameter("month", OpenApiTypes.STR, required=True, description="YYYY-MM"),
        ],
        responses=StatementSerializer,
        filters=False,
    )
    @action(detail=False, methods=["get"])
    def statement(self, request):
        """A partner's monthly statement: per service item and in total."""
        errors = {}
        partner_id = request.query_params.get("partner", "")
        if not partner_id.isdigit():
            errors["partner"] = [_("Give the partner's id.")]
        try:
            month = Month.parse(request.query_params.get("month", ""))
        except ValidationError as exc:
            errors |= exc.message_dict
        if errors:
            raise serializers.ValidationError(errors)
        partner = partner_list(actor=request.user).filter(pk=int(partner_id)).first()
        if partner is None:
            raise NotFound()
        try:
            statement = partner_statement(actor=request.user, partner=partner, month=month)
        except ObjectDoesNotExist:
            raise NotFound() from None
        return Response(StatementSerializer(statement).data)


def register(router) -> None:
    router.register("deliveries", DeliveryViewSet, basename="delivery")
