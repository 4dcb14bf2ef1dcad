"""REST resources of the registry under /api/v1/ (more arrive with the registry issue)."""

from rest_framework import serializers

from grids import selectors, services
from grids.models import Grid, Household, Region, Resident
from portal.api.fields import ScopedPrimaryKeyRelatedField
from portal.api.viewsets import ScopedModelViewSet, ScopedReadOnlyModelViewSet


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name", "level", "code", "parent"]


class GridSerializer(serializers.ModelSerializer):
    class Meta:
        model = Grid
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "community",
            "household_cap",
            "valid_from",
            "valid_to",
        ]


class HouseholdSerializer(serializers.ModelSerializer):
    class Meta:
        model = Household
        fields = ["id", "number", "kind", "grid", "dwelling", "head"]


class ResidentSerializer(serializers.ModelSerializer):
    """ID number and phone are write-only; reads carry the masked forms."""

    id_number = serializers.CharField(write_only=True, max_length=32)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=32)
    id_number_masked = serializers.CharField(read_only=True)
    phone_masked = serializers.CharField(read_only=True)
    household = ScopedPrimaryKeyRelatedField(
        queryset=Household.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Resident
        fields = [
            "id", "name", "id_type", "id_number", "id_number_masked", "sex", "birth_date", "phone",
            "phone_masked", "ethnicity", "household", "relation_to_head", "population_type",
            "separated", "political_status", "deceased_date", "data_source", "verified_date",
        ]  # fmt: skip


class RegionViewSet(ScopedReadOnlyModelViewSet):
    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_fields = ["level", "parent"]
    search_fields = ["name", "code"]


class GridViewSet(ScopedReadOnlyModelViewSet):
    queryset = Grid.objects.all()
    serializer_class = GridSerializer
    filterset_fields = ["community", "kind"]
    search_fields = ["name", "code"]


class HouseholdViewSet(ScopedReadOnlyModelViewSet):
    queryset = Household.objects.all()
    serializer_class = HouseholdSerializer
    filterset_fields = ["grid", "kind"]
    search_fields = ["number"]


class ResidentViewSet(ScopedModelViewSet):
    """Residents; `?search=` matches a name prefix, or an exact ID number or phone."""

    queryset = Resident.objects.all()
    serializer_class = ResidentSerializer
    filterset_fields = ["household", "sex", "population_type"]
    search_fields = []  # search goes through the selector (encrypted columns need the hash)
    ordering_fields = ["name", "birth_date"]

    def selector_queryset(self):
        return Resident.objects.select_related("household__grid")

    def get_queryset(self):
        queryset = super().get_queryset()
        search = self.request.query_params.get("search", "")
        if search:
            queryset = queryset.filter(selectors.resident_search_q(search))
        return queryset

    def perform_create(self, serializer):
        serializer.instance = services.resident_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.resident_update(
            actor=self.request.user, resident=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.resident_delete(actor=self.request.user, resident=instance)


def register(router) -> None:
    router.register("regions", RegionViewSet, basename="region")
    router.register("grids", GridViewSet, basename="grid")
    router.register("households", HouseholdViewSet, basename="household")
    router.register("residents", ResidentViewSet, basename="resident")
