"""Bundled aid (包裹式专项资助) under /api/v1/.

- `/api/v1/funders/` — who pays: read for the street and local staff, create for the street.
- `/api/v1/aid-bundles/` — bundles with their lines nested: read for the street and local
  staff, create for the street (`lines: [{item, amount, funder}]`, at least one);
  `POST /aid-bundles/{id}/lines/` adds a line; `GET /aid-bundles/totals/?from=&to=` gives
  committed, disbursed and outstanding per funder and per bundle (services/aid/selectors.py, aid_totals).
- `/api/v1/aid-cases/` — cases of the households in your scope (another household's case is a
  404): list, read, create (street and community cadres); `close/`, `cancel/` and, for the
  street, `disburse/`. Filters: `household`, `bundle`, `status`, `double_funded`. Every case
  carries `double_funded` and `double_funding: [...]`, the conflicts it is part of (opening
  one is not refused: the answer shows the warning).

Partner staff see nothing of aid: every list is a 403, every object a 404. A case no longer
open answers `close`/`cancel` with 409; bad input is a 400 with field errors.
"""

from decimal import Decimal

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from grids.models import Household, Resident
from portal.api.fields import ScopedPrimaryKeyRelatedField
from portal.api.viewsets import ScopedViewSetMixin
from services.aid import selectors, writes
from services.aid.models import AidBundle, AidBundleLine, AidCase, AidItem, Disbursement, Funder
from services.catalogue.models import Partner
from services.referrals.models import Referral


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."
    default_code = "conflict"


# --- Serializers ------------------------------------------------------------------------------


class FunderSerializer(serializers.ModelSerializer):
    partner = ScopedPrimaryKeyRelatedField(
        queryset=Partner.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Funder
        fields = ["id", "name", "kind", "uscc", "partner"]
        # The service checks uniqueness and the USCC with full_clean: one 400 with the field.
        extra_kwargs = {
            "name": {"validators": []},
            "uscc": {"validators": [], "required": False, "allow_null": True},
        }


class AidBundleLineSerializer(serializers.ModelSerializer):
    funder = ScopedPrimaryKeyRelatedField(queryset=Funder.objects.all())
    funder_name = serializers.CharField(source="funder.name", read_only=True)
    item_label = serializers.CharField(source="get_item_display", read_only=True)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))

    class Meta:
        model = AidBundleLine
        fields = ["id", "item", "item_label", "amount", "funder", "funder_name"]


class AidBundleSerializer(serializers.ModelSerializer):
    lines = AidBundleLineSerializer(many=True)
    repeated_items = serializers.SerializerMethodField()
    case_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = AidBundle
        fields = [
            "id", "name", "description", "period_start", "period_end", "lines",
            "repeated_items", "case_count", "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_by", "created_at"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_repeated_items(self, bundle) -> list[str]:
        """Items on two lines of the bundle: every case of it is double funded."""
        return selectors.bundle_repeated_items(bundle)


class CaseLineSerializer(serializers.Serializer):
    """One line of the case's bundle, with what was paid on it for this case."""

    id = serializers.IntegerField(source="line.id")
    item = serializers.CharField(source="line.item")
    funder = serializers.IntegerField(source="line.funder_id")
    funder_name = serializers.CharField(source="line.funder.name")
    amount = serializers.DecimalField(source="line.amount", max_digits=10, decimal_places=2)
    paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    remaining = serializers.DecimalField(max_digits=14, decimal_places=2)


class AidCaseSerializer(serializers.ModelSerializer):
    household = ScopedPrimaryKeyRelatedField(queryset=Household.objects.all())
    household_number = serializers.CharField(source="household.number", read_only=True)
    bundle = ScopedPrimaryKeyRelatedField(queryset=AidBundle.objects.all())
    bundle_name = serializers.CharField(source="bundle.name", read_only=True)
    beneficiary = ScopedPrimaryKeyRelatedField(
        queryset=Resident.objects.all(), required=False, allow_null=True
    )
    beneficiary_name = serializers.CharField(
        source="beneficiary.name", read_only=True, default=None
    )
    referral = ScopedPrimaryKeyRelatedField(
        queryset=Referral.objects.all(), required=False, allow_null=True
    )
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    disbursed = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    double_funded = serializers.BooleanField(read_only=True)
    double_funding = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()

    class Meta:
        model = AidCase
        fields = [
            "id", "household", "household_number", "bundle", "bundle_name", "beneficiary",
            "beneficiary_name", "period_start", "period_end", "status", "note", "referral",
            "amount", "disbursed", "double_funded", "double_funding", "lines", "created_by",
            "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "status", "created_by", "created_at"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_double_funding(self, case) -> list[dict]:
        """The conflicts this case is part of (selectors.DoubleFunding.as_dict)."""
        conflicts = self.context.get("double_funding", {})
        return [conflict.as_dict() for conflict in conflicts.get(case.pk, [])]

    @extend_schema_field(CaseLineSerializer(many=True))
    def get_lines(self, case):
        return CaseLineSerializer(selectors.case_line_rows(case), many=True).data


class DisbursementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Disbursement
        fields = ["id", "case", "line", "amount", "paid_on", "reference", "recorded_by"]
        read_only_fields = fields


class DisburseSerializer(serializers.Serializer):
    line = ScopedPrimaryKeyRelatedField(queryset=AidBundleLine.objects.all())
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    paid_on = serializers.DateField()
    reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class CloseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class LineAddSerializer(serializers.Serializer):
    item = serializers.ChoiceField(choices=AidItem.choices)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    funder = ScopedPrimaryKeyRelatedField(queryset=Funder.objects.all())


class PeriodSerializer(serializers.Serializer):
    """`?from=&to=` of the totals: the cases whose period overlaps it."""

    def get_fields(self):
        return {
            "from": serializers.DateField(required=False),
            "to": serializers.DateField(required=False),
        }

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and end < start:
            raise serializers.ValidationError(
                {"to": [_("The period must end on or after its start.")]}
            )
        return attrs


class FunderTotalSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="funder.pk")
    name = serializers.CharField(source="funder.name")
    kind = serializers.CharField(source="funder.kind")
    committed = serializers.DecimalField(max_digits=14, decimal_places=2)
    disbursed = serializers.DecimalField(max_digits=14, decimal_places=2)
    outstanding = serializers.DecimalField(max_digits=14, decimal_places=2)


class BundleTotalSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="bundle.pk")
    name = serializers.CharField(source="bundle.name")
    cases = serializers.IntegerField()
    committed = serializers.DecimalField(max_digits=14, decimal_places=2)
    disbursed = serializers.DecimalField(max_digits=14, decimal_places=2)
    outstanding = serializers.DecimalField(max_digits=14, decimal_places=2)


class AidTotalsSerializer(serializers.Serializer):
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    cases = serializers.IntegerField()
    committed = serializers.DecimalField(max_digits=14, decimal_places=2)
    disbursed = serializers.DecimalField(max_digits=14, decimal_places=2)
    outstanding = serializers.DecimalField(max_digits=14, decimal_places=2)
    funders = FunderTotalSerializer(many=True)
    bundles = BundleTotalSerializer(many=True)


# --- Filters ----------------------------------------------------------------------------------


def _households(request):
    if request is None:  # schema generation
        return Household.objects.none()
    return Household.objects.visible_to(request.user)


def _bundles(request):
    if request is None:
        return AidBundle.objects.none()
    return selectors.aid_bundle_choices(actor=request.user)


@extend_schema_field(OpenApiTypes.INT)
class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """An object chosen by id in the caller's scope (an integer in the API schema)."""


class AidCaseFilter(django_filters.FilterSet):
    household = IdChoiceFilter(queryset=_households)
    bundle = IdChoiceFilter(queryset=_bundles)
    status = django_filters.ChoiceFilter(choices=AidCase.Status.choices)
    double_funded = django_filters.BooleanFilter(field_name="double_funded")

    class Meta:
        model = AidCase
        fields = ["household", "bundle", "status", "double_funded"]


# --- Viewsets ---------------------------------------------------------------------------------


class FunderViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Funders of aid lines (read for the street and local staff; the street registers them)."""

    queryset = Funder.objects.all()
    selector = staticmethod(selectors.funder_list)
    serializer_class = FunderSerializer
    filterset_fields = ["kind"]
    search_fields = ["name"]
    ordering_fields = ["name", "kind"]

    def perform_create(self, serializer):
        serializer.instance = writes.funder_create(
            actor=self.request.user, **serializer.validated_data
        )


class AidBundleViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Aid bundles with their lines; the street puts them together."""

    queryset = AidBundle.objects.all()
    selector = staticmethod(selectors.aid_bundle_list)
    serializer_class = AidBundleSerializer
    search_fields = ["name"]
    ordering_fields = ["period_start", "name"]
    extra_action_perms = {"totals": "view", "lines": "change"}

    def _respond(self, bundle, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=bundle.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        bundle = writes.aid_bundle_create(
            actor=request.user,
            name=data["name"],
            description=data.get("description", ""),
            period_start=data["period_start"],
            period_end=data["period_end"],
            lines=[dict(line) for line in data["lines"]],
        )
        return self._respond(bundle, status.HTTP_201_CREATED)

    @extend_schema(request=LineAddSerializer, responses={201: AidBundleSerializer})
    @action(detail=True, methods=["post"])
    def lines(self, request, pk=None):
        """Add a line to the bundle (the street)."""
        bundle = self.get_object()
        payload = LineAddSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        writes.aid_bundle_line_add(actor=request.user, bundle=bundle, **payload.validated_data)
        return self._respond(bundle, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="cases running on or after"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="cases running on or before"),
        ],
        responses=AidTotalsSerializer,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def totals(self, request):
        """Committed, disbursed and outstanding money per funder and per bundle."""
        period = PeriodSerializer(
            data={k: v for k in ("from", "to") if (v := request.query_params.get(k))}
        )
        period.is_valid(raise_exception=True)
        totals = selectors.aid_totals(
            actor=request.user,
            period=(period.validated_data.get("from"), period.validated_data.get("to")),
        )
        return Response(AidTotalsSerializer(totals).data)


class AidCaseViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Aid cases of the households in your scope, each with its double-funding warnings."""

    queryset = AidCase.objects.all()
    selector = staticmethod(selectors.aid_case_api_list)
    serializer_class = AidCaseSerializer
    filterset_class = AidCaseFilter
    ordering_fields = ["period_start", "created_at"]
    extra_action_perms = {"close": "change", "cancel": "change", "disburse": "change"}

    def handle_exception(self, exc):
        if isinstance(exc, writes.AidCaseConflict):
            exc = Conflict(detail=str(exc))
        return super().handle_exception(exc)

    def _context_for(self, cases) -> dict:
        """The serializer context with the double funding of these cases (3 queries at most)."""
        conflicts: dict[int, list] = {}
        flagged = [case for case in cases if getattr(case, "double_funded", False)]
        if flagged:
            for conflict in selectors.aid_double_funding(actor=self.request.user, cases=flagged):
                conflicts.setdefault(conflict.case.pk, []).append(conflict)
        return {**self.get_serializer_context(), "double_funding": conflicts}

    def _respond(self, case, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=case.pk)
        return Response(
            AidCaseSerializer(fresh, context=self._context_for([fresh])).data, status=code
        )

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        data = AidCaseSerializer(rows, many=True, context=self._context_for(rows)).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        return Response(AidCaseSerializer(case, context=self._context_for([case])).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case = writes.aid_case_open(
            actor=request.user,
            household=data["household"],
            bundle=data["bundle"],
            beneficiary=data.get("beneficiary"),
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            note=data.get("note", ""),
            referral=data.get("referral"),
        )
        return self._respond(case, status.HTTP_201_CREATED)

    @extend_schema(request=CloseSerializer, responses=AidCaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """The aid is over; what is still owed may be paid."""
        case = self.get_object()
        payload = CloseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        writes.aid_case_close(actor=request.user, case=case, **payload.validated_data)
        return self._respond(case)

    @extend_schema(request=CancelSerializer, responses=AidCaseSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """The case should not have been opened (refused once money was paid)."""
        case = self.get_object()
        payload = CancelSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        writes.aid_case_cancel(actor=request.user, case=case, **payload.validated_data)
        return self._respond(case)

    @extend_schema(request=DisburseSerializer, responses={201: DisbursementSerializer})
    @action(detail=True, methods=["post"])
    def disburse(self, request, pk=None):
        """Record a payment on one line of the case (the street)."""
        case = self.get_object()
        payload = DisburseSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        disbursement = writes.disbursement_record(
            actor=request.user, case=case, **payload.validated_data
        )
        return Response(DisbursementSerializer(disbursement).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("funders", FunderViewSet, basename="funder")
    router.register("aid-bundles", AidBundleViewSet, basename="aidbundle")
    router.register("aid-cases", AidCaseViewSet, basename="aidcase")
