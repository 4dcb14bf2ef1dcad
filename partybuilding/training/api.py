"""Training under /api/v1/trainings/ (partybuilding/training/writes.py and its gates decide).

- `GET trainings/`, `GET trainings/{id}/`: the street's courses (everyone in its Party work);
  `record_count` counts the attendance records you may see. `POST trainings/` records a course
  (the Party office). Filters: `topic`, `mode`, `year`.
- `GET trainings/{id}/records/`: the course's attendance records you may see (a secretary their
  branch's, a member their own); `POST trainings/{id}/records/` {"members": [ids], "hours":
  null | "2.0", "completed_on": null | "2026-04-01"} records attendees — hours and day default
  to the course's; a member outside your scope is a 400 on `members`, as missing.
- `PATCH trainings/{id}/` corrects a course (the Party office; fewer hours than a record counts
  is a 400 on `hours`); `PATCH trainings/{id}/records/{record_id}/` {"hours", "completed_on"}
  corrects one attendance record, `DELETE` takes it off (204).
- `GET training-thresholds/`, `GET training-thresholds/{id}/`: the yearly hours per position
  (everyone in the Party work); `PATCH training-thresholds/{id}/` {"yearly_hours": "40.0"} sets
  one (the Party office).
"""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from partybuilding.organisations.models import PartyMember
from partybuilding.training import selectors, writes
from partybuilding.training.models import TrainingCourse, TrainingRecord, TrainingThreshold
from partybuilding.training.policy import (
    access_training_course_change,
    access_training_record_change,
    access_training_records_add,
    access_training_threshold_change,
)
from portal.api.fields import ScopedPrimaryKeyRelatedField
from portal.api.viewsets import ScopedViewSetMixin
from portal.ui import year_filter


class CourseSerializer(serializers.ModelSerializer):
    record_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = TrainingCourse
        fields = [
            "id", "title", "topic", "mode", "hours", "held_on", "provider", "record_count",
            "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at"]


class RecordSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    org = serializers.IntegerField(source="member.org_id", read_only=True)

    class Meta:
        model = TrainingRecord
        fields = ["id", "course", "member", "member_name", "org", "hours", "completed_on"]


class RecordUpdateSerializer(serializers.Serializer):
    hours = serializers.DecimalField(max_digits=5, decimal_places=1, required=False)
    completed_on = serializers.DateField(required=False)


class ThresholdSerializer(serializers.ModelSerializer):
    position_label = serializers.CharField(source="get_position_display", read_only=True)

    class Meta:
        model = TrainingThreshold
        fields = ["id", "position", "position_label", "yearly_hours"]
        read_only_fields = ["id", "position"]


class RecordsInputSerializer(serializers.Serializer):
    members = ScopedPrimaryKeyRelatedField(queryset=PartyMember.objects.all(), many=True)
    hours = serializers.DecimalField(
        max_digits=5, decimal_places=1, required=False, allow_null=True
    )
    completed_on = serializers.DateField(required=False, allow_null=True)


class CourseFilter(django_filters.FilterSet):
    year = year_filter("held_on")

    class Meta:
        model = TrainingCourse
        fields = ["topic", "mode", "year"]


class TrainingViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Courses, and who attended them."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    queryset = TrainingCourse.objects.all()
    selector = staticmethod(selectors.course_list)
    serializer_class = CourseSerializer
    filterset_class = CourseFilter
    search_fields = ["title", "provider"]
    ordering_fields = ["held_on"]
    # The writes' gates decide who may add or correct records.
    extra_action_perms = {"records": "view", "record_detail": "view"}

    def perform_create(self, serializer):
        course = writes.training_course_create(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=course.pk)

    def update(self, request, *args, **kwargs):
        # Refuse a reader before reading their input (403, not a 400 on the fields).
        access_training_course_change(request.user, self.get_object())
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        course = writes.training_course_update(
            actor=self.request.user, course=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=course.pk)

    @extend_schema(
        methods=["PATCH"], operation_id="v1_trainings_record_update", request=RecordUpdateSerializer
    )
    @extend_schema(
        methods=["DELETE"],
        operation_id="v1_trainings_record_remove",
        request=None,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"records/(?P<record_pk>[0-9]+)",
        serializer_class=RecordSerializer,
    )
    def record_detail(self, request, pk=None, record_pk=None):
        """Correct one attendance record (PATCH) or take it off (DELETE)."""
        course = self.get_object()
        record = get_object_or_404(
            selectors.course_records(actor=request.user, course=course), pk=record_pk
        )
        # Refuse a reader before reading their input (403, not a 400 on the fields).
        access_training_record_change(request.user, record)
        if request.method == "DELETE":
            writes.training_record_remove(actor=request.user, record=record)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = RecordUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        writes.training_record_update(actor=request.user, record=record, **data.validated_data)
        fresh = selectors.course_records(actor=request.user, course=course).get(pk=record.pk)
        return Response(RecordSerializer(fresh).data)

    @extend_schema(methods=["GET"], responses=RecordSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=RecordsInputSerializer,
        # The course's records after the addition: a plain list, not a page.
        responses={201: {"type": "array", "items": {"$ref": "#/components/schemas/Record"}}},
    )
    @action(detail=True, methods=["get", "post"], serializer_class=RecordSerializer)
    def records(self, request, pk=None):
        """The course's attendance records you may see (GET), or record attendees (POST)."""
        course = self.get_object()
        if request.method == "POST":
            # Refuse a reader before reading their input (403, not a 400 on the members).
            access_training_records_add(request.user, course)
            data = RecordsInputSerializer(data=request.data, context={"request": request})
            data.is_valid(raise_exception=True)
            writes.training_records_add(
                actor=request.user,
                course=course,
                members=data.validated_data["members"],
                hours=data.validated_data.get("hours"),
                completed_on=data.validated_data.get("completed_on"),
            )
            rows = selectors.course_records(actor=request.user, course=course)
            return Response(RecordSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)
        rows = selectors.course_records(actor=request.user, course=course)
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(RecordSerializer(page, many=True).data)
        return Response(RecordSerializer(rows, many=True).data)


class TrainingThresholdViewSet(
    ScopedViewSetMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """The yearly training hours each position must reach; the Party office sets them."""

    queryset = TrainingThreshold.objects.all()
    selector = staticmethod(selectors.threshold_list)
    serializer_class = ThresholdSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def update(self, request, *args, **kwargs):
        # Refuse a reader before reading their input (403, not a 400 on the hours).
        access_training_threshold_change(request.user, self.get_object())
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        threshold = writes.training_threshold_set(
            actor=self.request.user,
            threshold=serializer.instance,
            yearly_hours=serializer.validated_data.get(
                "yearly_hours", serializer.instance.yearly_hours
            ),
        )
        serializer.instance = self.get_queryset().get(pk=threshold.pk)


def register(router) -> None:
    router.register("trainings", TrainingViewSet, basename="training")
    router.register("training-thresholds", TrainingThresholdViewSet, basename="training-threshold")
