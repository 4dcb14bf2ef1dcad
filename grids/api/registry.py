"""REST resources of the registry under /api/v1/: area tree, grids and their staff,
buildings and dwellings, households, residents, the tag catalogue and tags on residents.

- Reads come from each viewset's selector (grids/selectors.py, built on `visible_to(user)`,
  owning its joins), so a page of 20 costs the same queries as a page of 1.
- Filters on related ids are plain numbers: an id outside the scope filters to nothing, the
  same answer as a missing id (a "select a valid choice" error would tell the two apart).
- Writes go through grids.writes, whose gates (grids/policy.py) decide who may write what:
  a PermissionDenied is a 403, a ValidationError a 400 with field errors. Related ids in a
  body must be visible to the writer (ScopedPrimaryKeyRelatedField: 400 "does not exist"), and
  a written row must still lie in the writer's jurisdiction (the write asks its gate again in
  the same transaction): a grid worker cannot leave a household without a grid, nor a resident
  without a household, out of their own sight.
- Regions and tag definitions are read-only here. Grids, assignments, buildings and
  households have no delete (405): grids are redrawn with validity dates, assignments are
  ended, households move. Residents and tags on residents are deleted through their writes.
"""

from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.db.models import Exists, OuterRef, ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from grids import selectors, writes
from grids.api.flat import FlatListMixin, HouseholdRows, ResidentRows
from grids.cadence import current_tags
from grids.models import (
    Building,
    Dwelling,
    Grid,
    GridAssignment,
    Household,
    MicroGrid,
    Region,
    Resident,
    ResidentTag,
    TagDef,
)
from portal.api.fields import ScopedPrimaryKeyRelatedField
from portal.api.filters import BoundedFilterBackend
from portal.api.viewsets import ScopedModelViewSet, ScopedReadOnlyModelViewSet, ScopedViewSetMixin

# --- Shared pieces --------------------------------------------------------------------------


class TagDefField(serializers.PrimaryKeyRelatedField):
    """A tag definition by id, from the catalogue the requesting user may read."""

    def get_queryset(self):
        return selectors.tag_def_list(actor=self.context["request"].user)


class CreateOnlySerializerMixin:
    """Fields named in `Meta.create_only` are set when the row is created and never changed.

    An update that sends one with a different value is a 400 on that field; the same value is
    accepted (so a PUT of the whole row works) and dropped before the write is called.
    """

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is None:
            return attrs
        create_only = getattr(self.Meta, "create_only", ())
        errors = {
            name: [_("This cannot be changed once set.")]
            for name in create_only
            if name in attrs and attrs[name] != getattr(self.instance, name)
        }
        if errors:
            raise serializers.ValidationError(errors)
        return {name: value for name, value in attrs.items() if name not in create_only}


class WriteMixin:
    """Create and update through a write (grids.writes), which decides who may and where.

    Subclasses implement `write_create(**data) -> (obj, created)` and
    `write_update(obj, **data) -> obj`. Creating something that already exists (the same
    open assignment, a tag the resident already has) answers 200.
    """

    created = True

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        if not self.created:
            response.status_code = status.HTTP_200_OK
        return response

    def perform_create(self, serializer):
        serializer.instance, self.created = self.write_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self.write_update(serializer.instance, **serializer.validated_data)

    def write_create(self, **data):
        raise NotImplementedError

    def write_update(self, obj, **data):
        raise NotImplementedError


class NoDeleteViewSet(
    WriteMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read, create and change through grids.writes; DELETE is 405."""


class WriteModelViewSet(WriteMixin, ScopedModelViewSet):
    """List, read, create, change and delete through grids.writes."""


def _today():
    return timezone.localdate()


# --- Regions --------------------------------------------------------------------------------


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name", "level", "code", "parent"]


class RegionFilter(filters.FilterSet):
    parent = filters.NumberFilter()

    class Meta:
        model = Region
        fields = ["level"]


class RegionViewSet(ScopedReadOnlyModelViewSet):
    """The area tree within the caller's jurisdiction (and the regions above it)."""

    queryset = Region.objects.all()
    selector = staticmethod(selectors.region_list)
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    search_fields = ["name", "code"]
    ordering_fields = ["code", "name"]


# --- Grids ----------------------------------------------------------------------------------


class GridSerializer(CreateOnlySerializerMixin, serializers.ModelSerializer):
    community = ScopedPrimaryKeyRelatedField(
        queryset=Region.objects.filter(level=Region.Level.COMMUNITY)
    )

    class Meta:
        model = Grid
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "community",
            "household_cap",
            "boundary",
            "valid_from",
            "valid_to",
        ]
        create_only = ("community", "code")


class GridFilter(filters.FilterSet):
    community = filters.NumberFilter()

    class Meta:
        model = Grid
        fields = ["kind"]


class GridViewSet(NoDeleteViewSet):
    """Grids; the code (15 digits, starting with the community's 12) is checked by the write."""

    queryset = Grid.objects.all()
    selector = staticmethod(selectors.grid_list)
    serializer_class = GridSerializer
    filterset_class = GridFilter
    search_fields = ["name", "code"]
    ordering_fields = ["code", "name", "household_cap"]

    def write_create(self, **data):
        return writes.grid_create(actor=self.request.user, **data), True

    def write_update(self, obj, **data):
        return writes.grid_update(actor=self.request.user, grid=obj, **data)


# --- Grid assignments -----------------------------------------------------------------------


class GridAssignmentSerializer(serializers.ModelSerializer):
    grid = ScopedPrimaryKeyRelatedField(queryset=Grid.objects.all())
    person = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True)
    )
    person_name = serializers.StringRelatedField(source="person", read_only=True)

    class Meta:
        model = GridAssignment
        fields = ["id", "grid", "person", "person_name", "post", "start_date", "end_date"]
        read_only_fields = ["end_date"]


class GridAssignmentEndSerializer(serializers.Serializer):
    end_date = serializers.DateField()

    def validate_end_date(self, value):
        if value < self.instance.start_date:
            raise serializers.ValidationError(_("An assignment cannot end before it starts."))
        return value


class GridAssignmentFilter(filters.FilterSet):
    grid = filters.NumberFilter()
    person = filters.NumberFilter()
    current = filters.BooleanFilter(method="filter_current", label=_("Open today"))

    class Meta:
        model = GridAssignment
        fields = ["post"]

    def filter_current(self, queryset, name, value):
        open_today = GridAssignment.objects.current(on=_today()).values("pk")
        return queryset.filter(pk__in=open_today) if value else queryset.exclude(pk__in=open_today)


class GridAssignmentViewSet(NoDeleteViewSet):
    """Who holds which post in which grid. POST assigns (grid_assign); PATCH `end_date` ends.

    Only the end date changes after creation; any other field in a PATCH is a 400. PUT is not
    offered (405), nor DELETE: history is kept.
    """

    queryset = GridAssignment.objects.all()
    selector = staticmethod(selectors.grid_assignment_list)
    serializer_class = GridAssignmentSerializer
    filterset_class = GridAssignmentFilter
    ordering_fields = ["start_date", "end_date", "grid"]
    ordering = ["grid", "start_date", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def write_create(self, **data):
        already = selectors.grid_assignment_open_exists(
            grid=data["grid"], person=data["person"], post=data["post"]
        )
        return writes.grid_assign(actor=self.request.user, **data), not already

    def partial_update(self, request, *args, **kwargs):
        assignment = self.get_object()
        fixed = sorted(set(request.data) - {"end_date"})
        if fixed:
            message = _("Only the end date changes; end this assignment and assign again.")
            raise serializers.ValidationError({name: [message] for name in fixed})
        ending = GridAssignmentEndSerializer(assignment, data=request.data)
        ending.is_valid(raise_exception=True)
        assignment = writes.grid_assignment_end(
            actor=request.user, assignment=assignment, end_date=ending.validated_data["end_date"]
        )
        return Response(self.get_serializer(assignment).data)


# --- Buildings and their dwellings ----------------------------------------------------------


class BuildingSerializer(CreateOnlySerializerMixin, serializers.ModelSerializer):
    community = ScopedPrimaryKeyRelatedField(
        queryset=Region.objects.filter(level=Region.Level.COMMUNITY)
    )
    grid = ScopedPrimaryKeyRelatedField(
        queryset=Grid.objects.all(), allow_null=True, required=False
    )
    micro_grid = ScopedPrimaryKeyRelatedField(
        queryset=MicroGrid.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Building
        fields = [
            "id",
            "community",
            "grid",
            "micro_grid",
            "name",
            "address",
            "longitude",
            "latitude",
        ]
        create_only = ("community",)


class DwellingSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Dwelling
        fields = ["id", "building", "unit", "room", "use", "label"]
        read_only_fields = ["building"]


class BuildingFilter(filters.FilterSet):
    search = filters.CharFilter(method="filter_search", label=_("Part of the name or address"))
    community = filters.NumberFilter()
    grid = filters.NumberFilter()
    micro_grid = filters.NumberFilter()

    class Meta:
        model = Building
        fields = []

    def filter_search(self, queryset, name, value):
        value = value.strip()
        # Case-sensitive LIKE, so the trigram index on the address is used.
        return queryset.filter(Q(name__contains=value) | Q(address__contains=value))


class BuildingViewSet(NoDeleteViewSet):
    """Buildings; `GET/POST /buildings/{id}/dwellings/` lists and adds its dwellings."""

    queryset = Building.objects.all()
    selector = staticmethod(selectors.building_list)
    serializer_class = BuildingSerializer
    filterset_class = BuildingFilter
    filter_backends = [BoundedFilterBackend, OrderingFilter]
    ordering_fields = ["name", "address"]

    def write_create(self, **data):
        return writes.building_create(actor=self.request.user, **data), True

    def write_update(self, obj, **data):
        return writes.building_update(actor=self.request.user, building=obj, **data)

    @extend_schema(methods=["GET"], responses=DwellingSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=DwellingSerializer, responses={201: DwellingSerializer}
    )
    @action(detail=True, methods=["get", "post"], serializer_class=DwellingSerializer)
    def dwellings(self, request, pk=None):
        building = self.get_object()  # 404 outside the scope, before anything else
        context = self.get_serializer_context()
        if request.method == "POST":
            serializer = DwellingSerializer(data=request.data, context=context)
            serializer.is_valid(raise_exception=True)
            dwelling = writes.dwelling_create(
                actor=request.user, building=building, **serializer.validated_data
            )
            return Response(
                DwellingSerializer(dwelling, context=context).data, status=status.HTTP_201_CREATED
            )
        dwellings = selectors.dwelling_list(actor=request.user, building=building)
        page = self.paginate_queryset(dwellings)
        return self.get_paginated_response(
            DwellingSerializer(page, many=True, context=context).data
        )


# --- Households -----------------------------------------------------------------------------


class HouseholdSerializer(serializers.ModelSerializer):
    grid = ScopedPrimaryKeyRelatedField(
        queryset=Grid.objects.all(), allow_null=True, required=False
    )
    dwelling = ScopedPrimaryKeyRelatedField(
        queryset=Dwelling.objects.all(), allow_null=True, required=False
    )
    head = ScopedPrimaryKeyRelatedField(
        queryset=Resident.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Household
        fields = ["id", "number", "kind", "grid", "dwelling", "head"]


class HouseholdFilter(filters.FilterSet):
    search = filters.CharFilter(method="filter_search", label=_("Part of the household number"))
    grid = filters.NumberFilter()
    community = filters.NumberFilter(field_name="grid__community")
    dwelling = filters.NumberFilter()
    building = filters.NumberFilter(field_name="dwelling__building")

    class Meta:
        model = Household
        fields = ["kind"]

    def filter_search(self, queryset, name, value):
        # Case-sensitive LIKE, so the trigram index on the number is used.
        return queryset.filter(number__contains=value.strip())


class HouseholdViewSet(FlatListMixin, NoDeleteViewSet):
    queryset = Household.objects.all()
    selector = staticmethod(selectors.household_list)
    serializer_class = HouseholdSerializer
    flat_list = HouseholdRows()  # the list from `.values()` rows, the same JSON
    filterset_class = HouseholdFilter
    filter_backends = [BoundedFilterBackend, OrderingFilter]
    ordering_fields = ["number"]

    def write_create(self, **data):
        return writes.household_create(actor=self.request.user, **data), True

    def write_update(self, obj, **data):
        return writes.household_update(actor=self.request.user, household=obj, **data)


# --- Residents ------------------------------------------------------------------------------


class ResidentSerializer(serializers.ModelSerializer):
    """ID number and phone are write-only; reads carry the masked forms."""

    id_number = serializers.CharField(write_only=True, max_length=32)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=32)
    id_number_masked = serializers.CharField(read_only=True)
    phone_masked = serializers.CharField(read_only=True)
    household = ScopedPrimaryKeyRelatedField(
        queryset=Household.objects.all(), allow_null=True, required=False
    )
    grid = serializers.IntegerField(source="household.grid_id", read_only=True, allow_null=True)
    tags = serializers.SerializerMethodField()

    class Meta:
        model = Resident
        fields = [
            "id", "name", "id_type", "id_number", "id_number_masked", "sex", "birth_date", "phone",
            "phone_masked", "ethnicity", "household", "grid", "relation_to_head",
            "population_type", "separated", "political_status", "deceased_date", "data_source",
            "verified_date", "tags",
        ]  # fmt: skip

    def get_tags(self, resident) -> list[str]:
        return [resident_tag.tag.code for resident_tag in resident.tags.all()]


class DuplicateResident(exceptions.APIException):
    """409: the ID number belongs to a resident already registered.

    The body names that resident's id only when the requester may see them; otherwise it is
    the bare conflict, so the answer reveals nothing about whom the number belongs to.
    """

    status_code = status.HTTP_409_CONFLICT
    default_code = "duplicate"

    def __init__(self, existing_id: int | None = None):
        super().__init__(
            {"id_number": [_("A resident with this ID number is already registered.")]}
        )
        if existing_id is not None:
            self.detail["existing_id"] = existing_id


class ResidentHasRecords(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "protected"
    default_detail = _(
        "This resident has visits or needs on record and cannot be deleted; "
        "record a date of death or a move instead."
    )


def _is_duplicate_id_number(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    if constraint is not None:  # PostgreSQL names the constraint
        return constraint == "resident_unique_id_number"
    return "id_number_hash" in str(exc)  # SQLite (make run) names the column


class ResidentFilter(filters.FilterSet):
    search = filters.CharFilter(
        method="filter_search", label=_("Name prefix, or exact ID number or phone")
    )
    household = filters.NumberFilter()
    grid = filters.NumberFilter(field_name="household__grid")
    community = filters.NumberFilter(field_name="household__grid__community")
    tag = filters.CharFilter(method="filter_tag", label=_("Holds this tag (code) today"))
    group = filters.ChoiceFilter(
        choices=TagDef.Group.choices, method="filter_tag", label=_("Holds a tag of this group")
    )
    tier = filters.ChoiceFilter(
        choices=TagDef.Tier.choices, method="filter_tag", label=_("Holds a tag of this tier")
    )

    class Meta:
        model = Resident
        fields = ["sex", "population_type", "separated"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(selectors.resident_search_q(value)) if value else queryset

    def filter_tag(self, queryset, name, value):
        lookup = {"tag": "tag__code", "group": "tag__group", "tier": "tag__visit_tier"}[name]
        in_force = current_tags(on=_today()).filter(resident=OuterRef("pk"), **{lookup: value})
        return queryset.filter(Exists(in_force))


class ResidentViewSet(FlatListMixin, WriteModelViewSet):
    """Residents; `?search=` matches a name prefix, or an exact ID number or phone.

    An ID number already registered is a 409 (DuplicateResident), never a second resident.
    """

    queryset = Resident.objects.all()
    selector = staticmethod(selectors.resident_with_tags_list)
    serializer_class = ResidentSerializer
    flat_list = ResidentRows()  # the list from `.values()` rows, the same JSON
    filterset_class = ResidentFilter
    filter_backends = [BoundedFilterBackend, OrderingFilter]
    ordering_fields = ["name", "birth_date"]

    def write_create(self, **data):
        return writes.resident_create(actor=self.request.user, **data), True

    def write_update(self, obj, **data):
        return writes.resident_update(actor=self.request.user, resident=obj, **data)

    def perform_create(self, serializer):
        with self._registered_id_number_is_409(serializer.validated_data):
            super().perform_create(serializer)

    def perform_update(self, serializer):
        with self._registered_id_number_is_409(serializer.validated_data):
            super().perform_update(serializer)

    def perform_destroy(self, instance):
        try:
            writes.resident_delete(actor=self.request.user, resident=instance)
        except ProtectedError:
            raise ResidentHasRecords() from None

    @contextmanager
    def _registered_id_number_is_409(self, data):
        """The unique index on the ID number's hash, hit on save, becomes a 409."""
        try:
            yield
        except IntegrityError as exc:
            if "id_number" not in data or not _is_duplicate_id_number(exc):
                raise
            existing = selectors.resident_visible_id_holder(
                actor=self.request.user, id_number=data["id_number"]
            )
            raise DuplicateResident(existing) from None


# --- Tag catalogue and tags on residents ----------------------------------------------------


class TagDefSerializer(serializers.ModelSerializer):
    class Meta:
        model = TagDef
        fields = ["id", "code", "name", "group", "visit_tier", "age_derived"]


class TagDefFilter(filters.FilterSet):
    tier = filters.ChoiceFilter(field_name="visit_tier", choices=TagDef.Tier.choices)

    class Meta:
        model = TagDef
        fields = ["group", "age_derived"]


class TagDefViewSet(ScopedReadOnlyModelViewSet):
    """The tag catalogue (一老一幼一特 and others): read-only, the same for every role with it."""

    queryset = TagDef.objects.all()
    selector = staticmethod(selectors.tag_def_list)
    serializer_class = TagDefSerializer
    filterset_class = TagDefFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "group", "visit_tier"]


class ResidentTagSerializer(CreateOnlySerializerMixin, serializers.ModelSerializer):
    resident = ScopedPrimaryKeyRelatedField(queryset=Resident.objects.all())
    tag = TagDefField(queryset=TagDef.objects.all())
    tag_code = serializers.CharField(source="tag.code", read_only=True)
    tag_name = serializers.CharField(source="tag.name", read_only=True)
    group = serializers.CharField(source="tag.group", read_only=True)
    visit_tier = serializers.CharField(source="tag.visit_tier", read_only=True)

    class Meta:
        model = ResidentTag
        fields = [
            "id", "resident", "tag", "tag_code", "tag_name", "group", "visit_tier", "source",
            "valid_from", "valid_to", "certificate_number", "grade",
        ]  # fmt: skip
        create_only = ("resident", "tag")
        validators = []  # the same tag again updates it (resident_tag_add), it is not a 400


class ResidentTagFilter(filters.FilterSet):
    resident = filters.NumberFilter()
    tag = filters.NumberFilter()
    group = filters.ChoiceFilter(field_name="tag__group", choices=TagDef.Group.choices)
    tier = filters.ChoiceFilter(field_name="tag__visit_tier", choices=TagDef.Tier.choices)
    grid = filters.NumberFilter(field_name="resident__household__grid")
    community = filters.NumberFilter(field_name="resident__household__grid__community")
    current = filters.BooleanFilter(method="filter_current", label=_("In force today"))

    class Meta:
        model = ResidentTag
        fields = ["source"]

    def filter_current(self, queryset, name, value):
        in_force = current_tags(on=_today()).values("pk")
        return queryset.filter(pk__in=in_force) if value else queryset.exclude(pk__in=in_force)


class ResidentTagViewSet(WriteModelViewSet):
    """Tags on residents. POST a tag the resident already has updates it (200).

    The resident and the tag are fixed once set; PATCH changes source, validity, certificate
    and grade.
    """

    queryset = ResidentTag.objects.all()
    selector = staticmethod(selectors.resident_tag_list)
    serializer_class = ResidentTagSerializer
    filterset_class = ResidentTagFilter
    filter_backends = [BoundedFilterBackend, OrderingFilter]
    ordering_fields = ["valid_from", "valid_to", "resident"]
    ordering = ["resident", "tag__group", "tag__code"]

    def write_create(self, **data):
        already = selectors.resident_tag_exists(resident=data["resident"], tag=data["tag"])
        return writes.resident_tag_add(actor=self.request.user, **data), not already

    def write_update(self, obj, **data):
        return writes.resident_tag_add(
            actor=self.request.user, resident=obj.resident, tag=obj.tag, **data
        )

    def perform_destroy(self, instance):
        writes.resident_tag_remove(actor=self.request.user, resident_tag=instance)


def register(router) -> None:
    router.register("regions", RegionViewSet, basename="region")
    router.register("grids", GridViewSet, basename="grid")
    router.register("grid-assignments", GridAssignmentViewSet, basename="gridassignment")
    router.register("buildings", BuildingViewSet, basename="building")
    router.register("households", HouseholdViewSet, basename="household")
    router.register("residents", ResidentViewSet, basename="resident")
    router.register("tags", TagDefViewSet, basename="tagdef")
    router.register("resident-tags", ResidentTagViewSet, basename="residenttag")
