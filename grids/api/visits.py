"""Visits under /api/v1/visits/: file a visit (with its needs), read visits, and who is due.

Reads through grids/selectors.py; filing through grids.writes.visit_record, whose gate decides
(a household outside the filer's scope is a 403, a resident or household id they cannot see a
400 "does not exist").
"""

from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action

from grids import selectors
from grids.cadence import TIERS, due_filter, due_rows
from grids.models import Household, Resident, Visit, VisitNeed
from grids.writes import visit_record
from portal.api.fields import ScopedPrimaryKeyRelatedField
from portal.api.viewsets import ScopedViewSetMixin


class VisitNeedSerializer(serializers.ModelSerializer):
    description = serializers.CharField(required=False, allow_blank=True, default="")

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
    # Findings are checked by the model (at least a few words unless the person was not met,
    # at most FINDINGS_MAX_CHARS): the same messages as the page's.
    findings = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    needs = VisitNeedSerializer(many=True, required=False)

    class Meta:
        model = Visit
        fields = [
            "id", "resident", "household", "visitor", "mode", "visited_at", "outcome",
            "findings", "risk_flags", "major_event", "needs", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "visitor", "created_at"]

    def validate(self, attrs):
        if not attrs.get("resident") and not attrs.get("household"):
            raise serializers.ValidationError(
                {"resident": ["Choose the resident or the household you visited."]}
            )
        return attrs


class DueResidentSerializer(serializers.ModelSerializer):
    """A resident on the visiting cadence, with the due date and tier decided by
    grids/cadence.py, the tags setting the cadence and why the resident is due."""

    due_at = serializers.DateTimeField()
    last_visit_at = serializers.DateTimeField(allow_null=True)
    is_overdue = serializers.BooleanField()
    grid = serializers.IntegerField(source="household.grid_id", allow_null=True)
    visit_tier = serializers.SerializerMethodField()
    major_event = serializers.CharField(source="last_major_event")
    age = serializers.SerializerMethodField()
    cadence_tags = serializers.SerializerMethodField()
    reason = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()

    class Meta:
        model = Resident
        fields = [
            "id", "name", "age", "household", "grid", "address", "visit_tier", "cadence_tags",
            "major_event", "reason", "last_visit_at", "due_at", "is_overdue",
        ]  # fmt: skip

    def _row(self, resident) -> dict:
        return self.context["rows"][resident.pk]

    def get_visit_tier(self, resident) -> str:
        return self._row(resident)["tier"]

    def get_age(self, resident) -> int:
        return self._row(resident)["age"]

    def get_cadence_tags(self, resident) -> list[str]:
        return [tag.code for tag in self._row(resident)["tags"]]

    def get_reason(self, resident) -> str:
        return self._row(resident)["reason"]

    def get_address(self, resident) -> str:
        return self._row(resident)["address"]


class VisitDueFilter(filters.FilterSet):
    tier = filters.ChoiceFilter(choices=[(tier, tier) for tier in TIERS], method="with_tier")
    tag = filters.CharFilter(method="with_tag", help_text="A tag code held today.")

    class Meta:
        model = Resident
        fields = ["tier", "tag"]

    def with_tier(self, queryset, name, value):
        return due_filter(queryset, tier=value)

    def with_tag(self, queryset, name, value):
        return due_filter(queryset, tag=value)


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

    @extend_schema(
        responses=DueResidentSerializer(many=True),
        parameters=[
            OpenApiParameter("tier", str, enum=TIERS, description="The tier of the cadence."),
            OpenApiParameter("tag", str, description="A tag code held today."),
        ],
    )
    @action(
        detail=False, methods=["get"], serializer_class=DueResidentSerializer, filterset_class=None
    )
    def due(self, request):
        """Residents overdue or due within VISIT_DUE_SOON_DAYS, most urgent first: a major
        event at the last visit, then the tier (high, key, general), then days overdue.
        Filters: `tier`, `tag` (a tag code)."""
        now = timezone.now()
        queryset = selectors.visits_due_list(actor=request.user, now=now).select_related(
            "household__dwelling__building"
        )
        # Only the due list's own filters (not the visits' ordering or search, which name
        # fields a resident does not have).
        filterset = VisitDueFilter(request.query_params, queryset=queryset, request=request)
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        page = self.paginate_queryset(filterset.qs)
        rows = {row["resident"].pk: row for row in due_rows(page, now=now)}
        serializer = DueResidentSerializer(page, many=True, context={"rows": rows})
        return self.get_paginated_response(serializer.data)


def register(router) -> None:
    router.register("visits", VisitViewSet, basename="visit")
