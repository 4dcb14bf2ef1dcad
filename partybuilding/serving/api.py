"""REST resources of 双报到 under /api/v1/.

- `community-needs/`: list, read, post (POST), and the transitions `claim/`, `start/`,
  `complete/` {delivered} and `cancel/`: each answers 200 with the need; a need no longer in a
  state that allows it answers 409.
- `service-hours/`: list, read, log (POST, multipart when evidence is attached: the member's own
  record and reported community are the write's, never the request's), `approve/` {note?} and
  `reject/` {note}: 200 with the record (points from the street's PointRule), 409 when already
  reviewed.

Scope is the selectors' (`visible_to`; out of scope: 404). Who may act is the writes' gates
(403); bad input is a 400 with field errors.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from grids.models import Region
from partybuilding.organisations.api import ChoiceField
from partybuilding.organisations.selectors import party_community_choices
from partybuilding.serving import selectors, writes
from partybuilding.serving.models import CommunityNeed, PointRule, ServiceHours
from partybuilding.serving.policy import (
    access_community_need_complete,
    access_service_hours_approve,
    access_service_hours_log,
    access_service_hours_reject,
)
from portal.api.viewsets import ScopedViewSetMixin
from portal.uploads import DOCUMENT, form_file_clean, scoped_file_url


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Conflict.")
    default_code = "conflict"


class CommunityNeedSerializer(serializers.ModelSerializer):
    community = ChoiceField(selector=party_community_choices, queryset=Region.objects.none())
    community_name = serializers.CharField(source="community.name", read_only=True)
    claimed_by_name = serializers.CharField(source="claimed_by.name", read_only=True, default="")

    class Meta:
        model = CommunityNeed
        fields = [
            "id", "community", "community_name", "title", "description", "category", "status",
            "claimed_by", "claimed_by_name", "claimed_at", "done_at", "delivered", "created_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "status", "claimed_by", "claimed_by_name", "claimed_at", "done_at",
            "delivered", "created_at",
        ]  # fmt: skip


class CompleteSerializer(serializers.Serializer):
    delivered = serializers.CharField()


class ServiceHoursSerializer(serializers.ModelSerializer):
    rule = ChoiceField(selector=selectors.point_rule_choices, queryset=PointRule.objects.none())
    need = ChoiceField(
        selector=selectors.community_need_list,
        queryset=CommunityNeed.objects.none(),
        required=False,
        allow_null=True,
    )
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = ServiceHours
        fields = [
            "id", "member", "member_name", "community", "need", "served_on", "hours",
            "description", "evidence", "rule", "status", "points", "reviewed_by", "reviewed_at",
            "review_note", "created_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "member", "member_name", "community", "status", "points", "reviewed_by",
            "reviewed_at", "review_note", "created_at",
        ]  # fmt: skip

    def validate_evidence(self, value):
        return form_file_clean(value, kinds=DOCUMENT)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data.get("evidence"):  # the scoped view, never MEDIA_URL
            data["evidence"] = scoped_file_url(
                self.context.get("request"), "partybuilding:hours-evidence", instance.pk
            )
        return data


class ReviewSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class _TransitionsMixin:
    def handle_exception(self, exc):
        if isinstance(exc, writes.ServingConflict):
            exc = Conflict(detail=str(exc))
        return super().handle_exception(exc)

    def _respond(self, obj, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(fresh).data, status=code)


class CommunityNeedViewSet(
    _TransitionsMixin, ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Community needs in your scope (a member: their community's and their own claims)."""

    queryset = CommunityNeed.objects.all()
    selector = staticmethod(selectors.community_need_list)
    serializer_class = CommunityNeedSerializer
    filterset_fields = ["community", "status", "category"]
    # A claim changes the need, but a member's scope on needs is "view": the gates decide.
    extra_action_perms = {"claim": "view", "start": "view", "complete": "view", "cancel": "view"}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        need = writes.community_need_create(actor=request.user, **serializer.validated_data)
        return self._respond(need, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: CommunityNeedSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        need = writes.community_need_claim(actor=request.user, need=self.get_object())
        return self._respond(need)

    @extend_schema(request=None, responses={200: CommunityNeedSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        need = writes.community_need_start(actor=request.user, need=self.get_object())
        return self._respond(need)

    @extend_schema(request=CompleteSerializer, responses={200: CommunityNeedSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        need = self.get_object()
        access_community_need_complete(request.user, need)  # before the payload, as the page
        payload = CompleteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        need = writes.community_need_complete(
            actor=request.user, need=need, delivered=payload.validated_data["delivered"]
        )
        return self._respond(need)

    @extend_schema(request=None, responses={200: CommunityNeedSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        need = writes.community_need_cancel(actor=request.user, need=self.get_object())
        return self._respond(need)


class ServiceHoursViewSet(
    _TransitionsMixin, ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Service hours in your scope; log your own, review the community's."""

    queryset = ServiceHours.objects.all()
    selector = staticmethod(selectors.service_hours_list)
    serializer_class = ServiceHoursSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["member", "community", "status", "need"]
    # Reviewing is decided by the gate (the community's cadre, the member's secretary).
    extra_action_perms = {"approve": "view", "reject": "view"}

    def create(self, request, *args, **kwargs):
        # Asked before the payload, as the log page does: a non-member is a 403, not a 400.
        access_service_hours_log(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = writes.service_hours_log(actor=request.user, **serializer.validated_data)
        return self._respond(record, status.HTTP_201_CREATED)

    @extend_schema(request=ReviewSerializer, responses={200: ServiceHoursSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        record = self.get_object()
        access_service_hours_approve(request.user, record)  # before the payload
        payload = ReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        record = writes.service_hours_approve(
            actor=request.user, hours=record, note=payload.validated_data["note"]
        )
        return self._respond(record)

    @extend_schema(request=ReviewSerializer, responses={200: ServiceHoursSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        record = self.get_object()
        access_service_hours_reject(request.user, record)  # before the payload
        payload = ReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        record = writes.service_hours_reject(
            actor=request.user, hours=record, note=payload.validated_data["note"]
        )
        return self._respond(record)


def register(router) -> None:
    router.register("community-needs", CommunityNeedViewSet, basename="communityneed")
    router.register("service-hours", ServiceHoursViewSet, basename="servicehours")
