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
  quantity, the subsidy and the residents served, the adjustments recorded in the month, the
  totals (adjustments included) and whether the month is closed. A partner the user may not
  see is a 404.
- `POST /api/v1/deliveries/statement/close/` `{"partner": <id>, "month": "YYYY-MM"}` — the
  street closes a month that has ended (services.deliveries.writes.statement_close); 200 with
  the statement. Others: 403.
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
from portal.params import id_param
from services.catalogue.models import Partner, ServiceItem
from services.catalogue.selectors import partner_list
from services.deliveries import selectors
from services.deliveries.filters import MonthFilter
from services.deliveries.models import Delivery, StatementAdjustment
from services.deliveries.statements import Month, partner_statement
from services.deliveries.writes import delivery_log, statement_adjust, statement_close
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
    # The street's money: computed from the catalogue, never taken from the request.
    subsidy = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        read_only=True,
        help_text=_("Quantity × the service's subsidy per unit; set by the street's catalogue."),
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


class StatementAdjustmentLineSerializer(serializers.Serializer):
    delivery = serializers.IntegerField(source="delivery_id")
    delivered_on = serializers.DateField()
    service_item_name = serializers.CharField(source="service_item")
    reason = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class StatementSerializer(serializers.Serializer):
    partner = inline_serializer(
        "StatementPartner", {"id": serializers.IntegerField(), "name": serializers.CharField()}
    )
    month = serializers.CharField()
    closed = serializers.BooleanField()
    closed_at = serializers.DateTimeField(source="closure.closed_at", allow_null=True)
    items = StatementLineSerializer(many=True, source="lines")
    adjustments = StatementAdjustmentLineSerializer(many=True)
    total = StatementLineSerializer()

    def to_representation(self, statement):
        data = super().to_representation(statement)
        data["partner"] = {"id": statement.partner.pk, "name": statement.partner.name}
        data["month"] = str(statement.month)
        return data


class StatementCloseSerializer(serializers.Serializer):
    partner = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    month = serializers.CharField(max_length=7, help_text="YYYY-MM")


class StatementAdjustmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatementAdjustment
        fields = ["id", "delivery", "month", "amount", "reason", "created_at"]
        read_only_fields = ["id", "delivery", "month", "created_at"]


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
    extra_action_perms = {"statement": "view", "statement_close": "view"}

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
        partner_id = id_param(request.query_params.get("partner"))
        if partner_id is None:
            errors["partner"] = [_("Give the partner's id.")]
        try:
            month = Month.parse(request.query_params.get("month", ""))
        except ValidationError as exc:
            errors |= exc.message_dict
        if errors:
            raise serializers.ValidationError(errors)
        partner = partner_list(actor=request.user).filter(pk=partner_id).first()
        if partner is None:
            raise NotFound()
        try:
            statement = partner_statement(actor=request.user, partner=partner, month=month)
        except ObjectDoesNotExist:
            raise NotFound() from None
        return Response(StatementSerializer(statement).data)

    @extend_schema(request=StatementCloseSerializer, responses=StatementSerializer)
    @action(detail=False, methods=["post"], url_path="statement/close")
    def statement_close(self, request):
        """The street closes a partner's month: nothing in it changes afterwards."""
        body = StatementCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            month = Month.parse(body.validated_data["month"])
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        partner = partner_list(actor=request.user).filter(pk=body.validated_data["partner"]).first()
        if partner is None:
            raise NotFound()
        statement_close(actor=request.user, partner=partner, month=month)
        statement = partner_statement(actor=request.user, partner=partner, month=month)
        return Response(StatementSerializer(statement).data)

    @extend_schema(
        request=StatementAdjustmentSerializer, responses={201: StatementAdjustmentSerializer}
    )
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        """The street corrects what it pays for this delivery (in the next open month)."""
        delivery = self.get_object()
        body = StatementAdjustmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        adjustment = statement_adjust(
            actor=request.user,
            delivery=delivery,
            amount=body.validated_data["amount"],
            reason=body.validated_data["reason"],
        )
        return Response(StatementAdjustmentSerializer(adjustment).data, status=201)


def register(router) -> None:
    router.register("deliveries", DeliveryViewSet, basename="delivery")
