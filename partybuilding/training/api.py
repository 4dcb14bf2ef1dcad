"""Training under /api/v1/trainings/ (partybuilding/training/writes.py and its gates decide).

- `GET trainings/`, `GET trainings/{id}/`: the street's courses (everyone in its Party work);
  `record_count` counts the attendance records you may see. `POST trainings/` records a course
  (the Party office). Filters: `topic`, `mode`, `year`.
- `GET trainings/{id}/records/`: the course's attendance records you may see (a secretary their
  branch's, a member their own); `POST trainings/{id}/records/` {"members": [ids], "hours":
  null | "2.0", "completed_on": null | "2026-04-01"} records attendees — hours and day default
  to the course's; a member outside your scope is a 400 on `members`, as missing.
"""

import django_filters
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from partybuilding.organisations.models import PartyMember
from partybuilding.training import selectors, writes
from partybuilding.training.models import TrainingCourse, TrainingRecord
from partybuilding.training.policy import access_training_records_add
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


class TrainingViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Courses, and who attended them."""

    queryset = TrainingCourse.objects.all()
    selector = staticmethod(selectors.course_list)
    serializer_class = CourseSerializer
    filterset_class = CourseFilter
    search_fields = ["title", "provider"]
    ordering_fields = ["held_on"]
    extra_action_perms = {"records": "view"}  # the write's gate decides who may add

    def perform_create(self, serializer):
        course = writes.training_course_create(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=course.pk)

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


def register(router) -> None:
    router.register("trainings", TrainingViewSet, basename="training")
