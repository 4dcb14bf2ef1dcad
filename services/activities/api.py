"""Themed activities under /api/v1/activities/: list, read, record, update (no delete), and
`totals/` (services/activities/writes.py and its gates decide).

- Scope: `Activity.objects.visible_to` — the street all, community and grid staff the
  activities of their communities, partner staff their organisation's. Anything else is a 404.
- `attendees` is a list of resident ids. On reading, only the attendees you may see are
  listed (`named_attendees` counts them all); on writing, every id must be a resident you may
  see (else 400, as if missing), and the list replaces the attendees you can see. Partner
  staff cannot name residents: they count people in `extra_attendees`.
- `community`: one of your communities (partner staff: any community of the street);
  `partner`: for partner staff their own organisation (the default when they have one).
- Filters: `theme`, `target_group`, `community`, `partner`, `year`.
- `GET totals/?year=2026`: activities, attendees, volunteers and volunteer hours in your
  scope, overall, per theme and per target group.
"""

import django_filters
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from grids.models import Region, Resident
from portal.api.fields import ScopedPrimaryKeyRelatedField
from portal.api.viewsets import ScopedViewSetMixin
from portal.params import year_optional
from services.activities import selectors, writes
from services.activities.models import Activity
from services.catalogue.models import Partner
from services.catalogue.selectors import partner_list


class CommunityField(serializers.PrimaryKeyRelatedField):
    """A community in which the requesting user may record an activity."""

    def get_queryset(self):
        return selectors.activity_community_choices(actor=self.context["request"].user)


class ActivitySerializer(serializers.ModelSerializer):
    community = CommunityField()
    community_name = serializers.CharField(source="community.name", read_only=True)
    partner = ScopedPrimaryKeyRelatedField(
        queryset=Partner.objects.all(), required=False, allow_null=True
    )
    team_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    attendees = ScopedPrimaryKeyRelatedField(
        queryset=Resident.objects.all(), many=True, required=False
    )
    named_attendees = serializers.IntegerField(source="named_count", read_only=True, default=0)
    total_attendees = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = [
            "id", "title", "theme", "target_group", "community", "community_name", "partner",
            "team_name", "starts_at", "place", "volunteer_count", "volunteer_hours",
            "attendees", "named_attendees", "extra_attendees", "total_attendees", "summary",
            "capacity", "enrolled", "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_by", "created_at"]

    enrolled = serializers.SerializerMethodField()

    def get_enrolled(self, activity) -> int:
        """How many residents are enrolled (places taken)."""
        return getattr(activity, "enrolled_count", 0) or 0

    def get_total_attendees(self, activity) -> int:
        return (getattr(activity, "named_count", 0) or 0) + activity.extra_attendees


class EnrolSerializer(serializers.Serializer):
    residents = ScopedPrimaryKeyRelatedField(queryset=Resident.objects.all(), many=True)


class WithdrawSerializer(serializers.Serializer):
    resident = ScopedPrimaryKeyRelatedField(queryset=Resident.objects.all())


class TotalsRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    activities = serializers.IntegerField()
    attendees = serializers.IntegerField()
    named_attendees = serializers.IntegerField()
    extra_attendees = serializers.IntegerField()
    volunteers = serializers.IntegerField()
    volunteer_hours = serializers.DecimalField(max_digits=12, decimal_places=1)


class TotalsSerializer(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True)
    activities = serializers.IntegerField()
    attendees = serializers.IntegerField()
    named_attendees = serializers.IntegerField()
    extra_attendees = serializers.IntegerField()
    volunteers = serializers.IntegerField()
    volunteer_hours = serializers.DecimalField(max_digits=12, decimal_places=1)
    by_theme = TotalsRowSerializer(many=True)
    by_target_group = TotalsRowSerializer(many=True)


# --- Filters -------------------------------------------------------------------------------


def _communities(request):
    if request is None:  # schema generation
        return Region.objects.none()
    return selectors.activity_community_choices(actor=request.user)


def _partners(request):
    if request is None:
        return Partner.objects.none()
    return partner_list(actor=request.user)


class ActivityFilter(django_filters.FilterSet):
    community = django_filters.ModelChoiceFilter(label=_("community"), queryset=_communities)
    partner = django_filters.ModelChoiceFilter(label=_("team (partner)"), queryset=_partners)
    year = django_filters.NumberFilter(
        label=_("year"), method="filter_year", min_value=2000, max_value=2100
    )

    class Meta:
        model = Activity
        fields = ["theme", "target_group", "community", "partner", "year"]

    def filter_year(self, queryset, name, value):
        return selectors.activities_in_year(queryset, int(value))


# --- Viewset -------------------------------------------------------------------------------


class ActivityViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Themed activities in your scope: record and update them, name who came, count them."""

    queryset = Activity.objects.all()
    selector = staticmethod(selectors.activity_api_list)
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter
    search_fields = ["title", "team_name", "place"]
    ordering_fields = ["starts_at", "created_at"]
    extra_action_perms = {"totals": "view", "enrol": "change", "withdraw": "change"}

    def _fresh(self, activity):
        return self.get_queryset().get(pk=activity.pk)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        activity = writes.activity_record(actor=self.request.user, **data)
        serializer.instance = self._fresh(activity)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        attendees = data.pop("attendees", None)
        with transaction.atomic():
            activity = writes.activity_update(
                actor=self.request.user, activity=serializer.instance, **data
            )
            if attendees is not None:
                writes.activity_attendees_set(
                    actor=self.request.user, activity=activity, residents=attendees
                )
        serializer.instance = self._fresh(activity)

    @extend_schema(request=EnrolSerializer, responses={200: ActivitySerializer})
    @action(detail=True, methods=["post"])
    def enrol(self, request, pk=None):
        """Enrol registered residents before the activity starts (capacity permitting)."""
        activity = self.get_object()
        payload = EnrolSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        writes.activity_enrol(
            actor=request.user, activity=activity, residents=payload.validated_data["residents"]
        )
        return Response(self.get_serializer(self._fresh(activity)).data)

    @extend_schema(request=WithdrawSerializer, responses={200: ActivitySerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Take a resident's enrolment back before the activity starts."""
        activity = self.get_object()
        payload = WithdrawSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        writes.activity_enrolment_withdraw(
            actor=request.user, activity=activity, resident=payload.validated_data["resident"]
        )
        return Response(self.get_serializer(self._fresh(activity)).data)

    @extend_schema(
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, description="Calendar year")],
        responses={200: TotalsSerializer},
    )
    @action(detail=False, methods=["get"])
    def totals(self, request):
        """Activities, attendees and volunteer hours in your scope, per theme and group."""
        year = year_optional(request.query_params.get("year"))  # a bad year: 400 on "year"
        totals = selectors.activity_totals(actor=request.user, year=year)
        return Response(TotalsSerializer(totals).data)


def register(router) -> None:
    router.register("activities", ActivityViewSet, basename="activity")
