"""`coverage` under /api/v1/: the 全覆盖 report per community and the exceptions behind each count.

- `GET /api/v1/coverage/` — the date, the overall verdict, one row of counts per community in
  scope (not paginated: a street has a handful of communities), unlocated households;
- `GET /api/v1/coverage/<community>/` — one community: its counts, its current grids with their
  colour on the map, and the URL of each exception list;
- `GET /api/v1/coverage/<community>/<kind>/` — the exceptions of one kind, paginated;
- `GET /api/v1/coverage/unlocated-households/` — households in no community (street roles).

Read-only. Definitions and scope: grids/coverage.py; who may read it: the read gate
grids.policy.access_coverage_view. A role without registry access gets 403 on the collection
routes; a community outside the scope is a 404, like a missing one.
"""

from django.http import Http404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from grids import coverage
from grids.models import Building, Grid, Household, Region, Resident
from grids.policy import access_coverage_view
from portal.api.scopes import TokenScopePermission
from portal.policy import allowed

# --- Serializers ---------------------------------------------------------------------------


class CoverageRowSerializer(serializers.Serializer):
    community = serializers.IntegerField(source="community.pk")
    community_name = serializers.CharField(source="community.name")
    community_code = serializers.CharField(source="community.code")
    grids = serializers.IntegerField(help_text="Current grids (base and dedicated).")
    households = serializers.IntegerField()
    buildings_outside = serializers.IntegerField()
    households_outside = serializers.IntegerField()
    grids_without_worker = serializers.IntegerField()
    grids_over_cap = serializers.IntegerField()
    overdue_residents = serializers.IntegerField()
    exceptions = serializers.IntegerField()
    full_coverage = serializers.BooleanField(source="covered")


class CoverageSummarySerializer(serializers.Serializer):
    date = serializers.DateField(source="today")
    full_coverage = serializers.BooleanField(
        source="covered", allow_null=True, help_text="Null when nothing is in your scope."
    )
    exceptions = serializers.IntegerField()
    unlocated_households = serializers.IntegerField(
        help_text="Households with neither grid nor dwelling (street roles only)."
    )
    communities = CoverageRowSerializer(source="rows", many=True)


class GridCoverageSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="grid.pk")
    code = serializers.CharField(source="grid.code")
    name = serializers.CharField(source="grid.name")
    kind = serializers.ChoiceField(source="grid.kind", choices=Grid.Kind.choices)
    household_cap = serializers.IntegerField(source="grid.household_cap")
    households = serializers.IntegerField()
    workers = serializers.ListField(child=serializers.CharField())
    overdue = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=[coverage.COVERED, coverage.OVER_CAP_STATUS, coverage.UNCOVERED]
    )


class CoverageBuildingSerializer(serializers.ModelSerializer):
    grid_name = serializers.CharField(source="grid.name", default=None)

    class Meta:
        model = Building
        fields = ["id", "name", "address", "community", "grid", "grid_name"]


class CoverageHouseholdSerializer(serializers.ModelSerializer):
    grid_name = serializers.CharField(source="grid.name", default=None)
    address = serializers.CharField(source="dwelling", default=None)

    class Meta:
        model = Household
        fields = ["id", "number", "kind", "grid", "grid_name", "dwelling", "address"]


class CoverageGridSerializer(serializers.ModelSerializer):
    households = serializers.IntegerField(source="household_count")
    workers = serializers.SerializerMethodField()

    class Meta:
        model = Grid
        fields = ["id", "code", "name", "kind", "household_cap", "households", "workers"]

    def get_workers(self, grid) -> list[str]:
        return [
            a.person.get_full_name() for a in grid.current_staff if a.post in coverage.WORKER_POSTS
        ]


class CoverageResidentSerializer(serializers.ModelSerializer):
    """An overdue resident, with the due date from grids.cadence; no personal numbers."""

    grid = serializers.IntegerField(source="household.grid_id")
    grid_name = serializers.CharField(source="household.grid.name")
    due_at = serializers.DateTimeField()
    last_visit_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = Resident
        fields = ["id", "name", "household", "grid", "grid_name", "due_at", "last_visit_at"]


KIND_SERIALIZERS = {
    coverage.BUILDINGS: CoverageBuildingSerializer,
    coverage.HOUSEHOLDS: CoverageHouseholdSerializer,
    coverage.NO_WORKER: CoverageGridSerializer,
    coverage.OVER_CAP: CoverageGridSerializer,
    coverage.OVERDUE: CoverageResidentSerializer,
}

CoverageDetailSerializer = inline_serializer(
    "CoverageDetail",
    fields={
        "date": serializers.DateField(),
        "row": CoverageRowSerializer(),
        "grids": GridCoverageSerializer(many=True),
        "exceptions": serializers.DictField(
            child=serializers.URLField(), help_text="Kind → URL of its paginated list."
        ),
    },
)


# --- Viewset -------------------------------------------------------------------------------


class CoveragePermission(permissions.BasePermission):
    """Collection routes need registry access (else 403); a community route is decided by scope."""

    def has_permission(self, request, view):
        if view.detail:
            return True
        return allowed(access_coverage_view, request.user)


class CoverageSchema(AutoSchema):
    """The collection route returns one summary object, not a paginated list."""

    def _is_list_view(self, serializer=None) -> bool:
        if getattr(self.view, "action", None) == "list":
            return False
        return super()._is_list_view(serializer)


class CoverageViewSet(viewsets.GenericViewSet):
    """全覆盖: per-community coverage counts, and the exceptions behind each count."""

    permission_classes = [permissions.IsAuthenticated, TokenScopePermission, CoveragePermission]
    lookup_value_regex = r"[0-9]+"
    filter_backends = []
    serializer_class = CoverageRowSerializer
    schema = CoverageSchema()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Region.objects.none()
        return coverage.coverage_communities(actor=self.request.user)

    def _community(self):
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except Region.DoesNotExist:
            raise Http404 from None

    @extend_schema(operation_id="v1_coverage_summary", responses=CoverageSummarySerializer)
    def list(self, request):
        summary = coverage.coverage_summary(actor=request.user)
        return Response(CoverageSummarySerializer(summary).data)

    @extend_schema(responses=CoverageDetailSerializer)
    def retrieve(self, request, pk=None):
        community = self._community()
        summary = coverage.coverage_summary(actor=request.user, community=community)
        grids = coverage.coverage_grids(actor=request.user, community=community)
        links = {
            kind: reverse(f"coverage-{kind}", args=[community.pk], request=request)
            for kind in coverage.KINDS
        }
        return Response(
            {
                "date": summary.today,
                "row": CoverageRowSerializer(summary.rows[0]).data,
                "grids": GridCoverageSerializer(grids, many=True).data,
                "exceptions": links,
            }
        )

    def _exceptions(self, request, kind, *, community):
        queryset = coverage.coverage_exceptions(actor=request.user, community=community, kind=kind)
        page = self.paginate_queryset(queryset)
        serializer = KIND_SERIALIZERS[kind](page, many=True, context={"request": request})
        return self.get_paginated_response(serializer.data)

    @extend_schema(responses=CoverageBuildingSerializer(many=True))
    @action(detail=True, url_path=coverage.BUILDINGS, url_name=coverage.BUILDINGS)
    def buildings(self, request, pk=None):
        """Buildings of the community outside any current base grid."""
        return self._exceptions(request, coverage.BUILDINGS, community=self._community())

    @extend_schema(responses=CoverageHouseholdSerializer(many=True))
    @action(detail=True, url_path=coverage.HOUSEHOLDS, url_name=coverage.HOUSEHOLDS)
    def households(self, request, pk=None):
        """Households of the community outside any current base grid."""
        return self._exceptions(request, coverage.HOUSEHOLDS, community=self._community())

    @extend_schema(responses=CoverageGridSerializer(many=True))
    @action(detail=True, url_path=coverage.NO_WORKER, url_name=coverage.NO_WORKER)
    def grids_without_worker(self, request, pk=None):
        """Current grids without a full-time or part-time grid worker today."""
        return self._exceptions(request, coverage.NO_WORKER, community=self._community())

    @extend_schema(responses=CoverageGridSerializer(many=True))
    @action(detail=True, url_path=coverage.OVER_CAP, url_name=coverage.OVER_CAP)
    def grids_over_cap(self, request, pk=None):
        """Current grids holding more households than their cap."""
        return self._exceptions(request, coverage.OVER_CAP, community=self._community())

    @extend_schema(responses=CoverageResidentSerializer(many=True))
    @action(detail=True, url_path=coverage.OVERDUE, url_name=coverage.OVERDUE)
    def overdue_residents(self, request, pk=None):
        """Residents overdue for a visit (grids.cadence), most overdue first."""
        return self._exceptions(request, coverage.OVERDUE, community=self._community())

    @extend_schema(responses=CoverageHouseholdSerializer(many=True))
    @action(detail=False, url_path="unlocated-households", url_name="unlocated-households")
    def unlocated_households(self, request):
        """Households with neither a grid nor a dwelling: in no community at all."""
        return self._exceptions(request, coverage.HOUSEHOLDS, community=None)


def register(router) -> None:
    router.register("coverage", CoverageViewSet, basename="coverage")
