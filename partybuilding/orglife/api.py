"""Organisational life under /api/v1/meetings/: list, read, record and correct meetings, with
their attendance as a nested list `[{"member": id, "status": "present|excused|absent"}]` on
read and on write (on write it replaces the sheet).

- Scope: `OrgLifeMeeting.objects.visible_to` (the street all, a granted cadre or secretary their
  organisations' subtree, a member the meetings they attended); anything else is a 404.
- Who may record: the gates (partybuilding/orglife/policy.py), 403 otherwise; bad input, such
  as a member of another organisation on the sheet, is 400 with field errors.
- Filters: `org`, `kind`, `year`.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, viewsets

from partybuilding.organisations.models import PartyMember, PartyOrg
from partybuilding.orglife import selectors, writes
from partybuilding.orglife.models import MeetingAttendance, OrgLifeMeeting
from portal.api.fields import ScopedPrimaryKeyRelatedField
from portal.api.viewsets import ScopedViewSetMixin
from portal.ui import year_filter


class AttendanceSerializer(serializers.ModelSerializer):
    # Any member id: the write checks that each is a current member of the meeting's
    # organisation (a 400 otherwise) — the sheet lists people the recorder may not otherwise
    # look up one by one.
    member = serializers.PrimaryKeyRelatedField(queryset=PartyMember.objects.all())
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = MeetingAttendance
        fields = ["member", "member_name", "status"]


class MeetingSerializer(serializers.ModelSerializer):
    org = ScopedPrimaryKeyRelatedField(queryset=PartyOrg.objects.all())
    attendance = AttendanceSerializer(many=True, required=False)
    present_count = serializers.IntegerField(read_only=True, default=0)
    excused_count = serializers.IntegerField(read_only=True, default=0)
    absent_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = OrgLifeMeeting
        fields = [
            "id", "org", "kind", "held_on", "topic", "place", "minutes", "attendance",
            "present_count", "excused_count", "absent_count", "recorded_by", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "recorded_by", "created_at"]

    def validate(self, attrs):
        if self.instance is not None and "org" in attrs and attrs["org"] != self.instance.org:
            raise serializers.ValidationError(
                {"org": [_("A meeting stays with its organisation.")]}
            )
        return attrs


class MeetingFilter(django_filters.FilterSet):
    year = year_filter("held_on")

    class Meta:
        model = OrgLifeMeeting
        fields = ["org", "kind", "year"]


class MeetingViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Meetings of 三会一课 and 主题党日 with their attendance."""

    queryset = OrgLifeMeeting.objects.all()
    selector = staticmethod(selectors.meeting_api_list)
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    search_fields = ["topic"]
    ordering_fields = ["held_on", "created_at"]

    def _fresh(self, meeting):
        return self.get_queryset().get(pk=meeting.pk)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        meeting = writes.meeting_record(actor=self.request.user, **data)
        serializer.instance = self._fresh(meeting)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("org", None)
        meeting = writes.meeting_update(
            actor=self.request.user, meeting=serializer.instance, **data
        )
        serializer.instance = self._fresh(meeting)


def register(router) -> None:
    router.register("meetings", MeetingViewSet, basename="meeting")
