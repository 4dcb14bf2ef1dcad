"""Visits under /api/v1/visits/: file a visit (with its needs), read visits, and who is due.

Reads through grids/selectors.py; filing through grids.writes.visit_record, whose gate decides
(a household outside the filer's scope is a 403, a resident or household id they cannot see a
400 "does not exist").
"""

from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action

from grids import selectors
from grids.models import Household, Resident, Visit, VisitNeed
from grids.writes import visit_record
from portal.api.fields import ScopedPrimaryKeyRelatedField
from portal.api.viewsets import ScopedViewSetMixin


class VisitNeedSerializer(serializers.ModelSerializer):
    class Meta:
        model = VisitNeed
        fields = ["id", "category", "description", "status", "resident", "assignee"]
        read_only_fields = ["id", "status", "resident", "assignee"]


class VisitSerializer(serializers.ModelSerializer):
    """A visit; `resident` or `household` names the subject (both must be in your scope)."""

    resident = ScopedPrimaryKeyRelatedField(
        queryset=Resident.objects.all(), required=False, allow_null=True
    )
    household = ScopedPrimaryKeyRelatedField(
        queryset=Household.objects.all(), required=False, allow_null=True
    )
    risk_flags = serializers.ListField(
        child=serializers.ChoiceField(choices=Visit.RiskFlag.choices), required=False, default=list
    )
    needs = VisitNeedSerializer(many=True, required=False)

    class Meta:
        model = Visit
        fields = [
            "id", "resident", "household", "visitor", "mode", "visited_at", "findings",
            "risk_flags", "major_event", "needs", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "visitor", "created_at"]

    def validate(self, attrs):
        if not attrs.get("resident") and not attrs.get("household"):
            raise serializers.ValidationError(
                {"resident": ["Choose the resident or the household you visited."]}
            )
        return attrs


class DueResidentSerializer(serializers.ModelSerializer):
    """A resident on the visiting cadence, with the due date decided by grids/cadence.py."""

    due_at = serializers.DateTimeField()
    last_visit_at = serializers.DateTimeField(allow_null=True)
    is_overdue = serializers.BooleanField()
    grid = serializers.IntegerField(source="household.grid_id", allow_null=True)

    class Meta:
        model = Resident
        fields = ["id", "name", "household", "grid", "last_visit_at", "due_at", "is_overdue"]


class VisitFilter(filters.FilterSet):
    # Ids as plain numbers, as on the registry's resources: an id outside the scope lists
    # nothing, exactly like a missing one (a model choice filter would answer 400 for one and
    # 200 for the other, telling which ids exist).
    household = filters.NumberFilter()
    resident = filters.NumberFilter()
    visitor = filters.NumberFilter()

    class Meta:
        model = Visit
        fields = ["mode", "major_event"]


class VisitViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Visits in your scope. Visits are records: they are filed, not edited or deleted."""

    queryset = Visit.objects.all()
    selector = staticmethod(selectors.visit_with_needs_list)
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    ordering_fields = ["visited_at"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        needs = data.pop("needs", [])
        serializer.instance = visit_record(actor=self.request.user, needs=needs, **data)

    @extend_schema(responses=DueResidentSerializer(many=True))
    @action(
        detail=False, methods=["get"], serializer_class=DueResidentSerializer, filterset_class=None
    )
    def due(self, request):
        """Residents overdue or due within VISIT_DUE_SOON_DAYS, most urgent first."""
        queryset = selectors.visits_due_list(actor=request.user, now=timezone.now())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(DueResidentSerializer(page, many=True).data)


def register(router) -> None:
    router.register("visits", VisitViewSet, basename="visit")
