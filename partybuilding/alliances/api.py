"""Alliances under /api/v1/: `alliances` (with their member units and agreements, read
nested), `alliance-members`, `alliance-agreements` (multipart for the scanned copy) and
`alliance-items` (needs, resources, projects: `?kind=need|resource|project`) with the
transitions `claim` ({"claimed_by": member id}), `start`, `complete` ({"delivered": "..."}) and
`withdraw`.

`PATCH alliance-members/{id}/` corrects a member unit (or records the day it left) and
`PATCH alliance-agreements/{id}/` a filed agreement (the street). `exchange-circles` lists the
党建交流圈 you are in (all for the street), with their organisations; the street creates and
edits them (`orgs`: at least two); `GET`/`POST exchange-circles/{id}/posts/` reads and shares
events and practices (for an organisation of the circle you act for).

- Scope: each model's `visible_to` (selectors): out of scope is a 404, as missing.
- Who may write: the gates of partybuilding/alliances/policy.py (403 otherwise); bad input is
  400 with field errors; a transition on an item that moved meanwhile is 409.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from partybuilding.alliances import selectors, writes
from partybuilding.alliances.models import (
    Alliance,
    AllianceAgreement,
    AllianceItem,
    AllianceMember,
    ExchangeCircle,
    ExchangeCirclePost,
)
from partybuilding.alliances.policy import (
    access_alliance_agreement_update,
    access_alliance_member_update,
    access_circle_post_create,
    access_circle_update,
)
from partybuilding.organisations.models import PartyOrg
from portal.api.fields import ScopedPrimaryKeyRelatedField
from portal.api.viewsets import ScopedViewSetMixin
from portal.uploads import DOCUMENT, form_file_clean, scoped_file_url


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."


class MemberSerializer(serializers.ModelSerializer):
    alliance = ScopedPrimaryKeyRelatedField(queryset=Alliance.objects.all())
    party_org = ScopedPrimaryKeyRelatedField(
        queryset=PartyOrg.objects.all(), required=False, allow_null=True
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)

    class Meta:
        model = AllianceMember
        fields = [
            "id",
            "alliance",
            "name",
            "kind",
            "party_org",
            "unit_uscc",
            "joined_on",
            "left_on",
        ]
        read_only_fields = ["id", "left_on"]
        validators = []  # the write validates the member (unique name, USCC) as a whole


class MemberUpdateSerializer(MemberSerializer):
    """A member unit stays in its alliance; the day it left is recorded here."""

    class Meta(MemberSerializer.Meta):
        read_only_fields = ["id", "alliance"]


class AgreementSerializer(serializers.ModelSerializer):
    alliance = ScopedPrimaryKeyRelatedField(queryset=Alliance.objects.all())
    lead = ScopedPrimaryKeyRelatedField(queryset=AllianceMember.objects.all())
    parties = ScopedPrimaryKeyRelatedField(queryset=AllianceMember.objects.all(), many=True)

    class Meta:
        model = AllianceAgreement
        fields = [
            "id", "alliance", "title", "signed_on", "term_start", "term_end", "lead", "parties",
            "scanned_copy", "note",
        ]  # fmt: skip
        read_only_fields = ["id"]

    def validate_scanned_copy(self, value):
        return form_file_clean(value, kinds=DOCUMENT)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data.get("scanned_copy"):  # the scoped view, never MEDIA_URL
            data["scanned_copy"] = scoped_file_url(
                self.context.get("request"), "partybuilding:alliance-agreement-scan", instance.pk
            )
        return data


class AllianceSerializer(serializers.ModelSerializer):
    lead_org = ScopedPrimaryKeyRelatedField(queryset=PartyOrg.objects.all())
    members = serializers.SerializerMethodField()
    agreements = serializers.SerializerMethodField()

    class Meta:
        model = Alliance
        fields = [
            "id", "name", "kind", "community", "lead_org", "description", "active", "members",
            "agreements", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at"]

    def get_members(self, alliance) -> list[dict]:
        return [
            {"id": m.pk, "name": m.name, "kind": m.kind, "party_org": m.party_org_id}
            for m in alliance.members.all()
        ]

    def get_agreements(self, alliance) -> list[dict]:
        return [
            {
                "id": a.pk,
                "title": a.title,
                "term_start": a.term_start,
                "term_end": a.term_end,
                "lead": a.lead_id,
                "parties": [p.pk for p in a.parties.all()],
            }
            for a in alliance.agreements.all()
        ]


class AgreementUpdateSerializer(AgreementSerializer):
    class Meta(AgreementSerializer.Meta):
        read_only_fields = ["id", "alliance"]


class CircleSerializer(serializers.ModelSerializer):
    orgs = ScopedPrimaryKeyRelatedField(queryset=PartyOrg.objects.all(), many=True)
    org_names = serializers.SerializerMethodField()
    post_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = ExchangeCircle
        fields = ["id", "name", "description", "orgs", "org_names", "post_count", "created_at"]
        read_only_fields = ["id", "created_at"]

    def get_org_names(self, circle) -> list[str]:
        return [org.name for org in circle.orgs.all()]


class CirclePostSerializer(serializers.ModelSerializer):
    org = ScopedPrimaryKeyRelatedField(queryset=PartyOrg.objects.all())
    org_name = serializers.CharField(source="org.name", read_only=True)

    class Meta:
        model = ExchangeCirclePost
        fields = ["id", "circle", "org", "org_name", "kind", "title", "body", "happened_on",
                  "created_at"]  # fmt: skip
        read_only_fields = ["id", "circle", "created_at"]


class ItemSerializer(serializers.ModelSerializer):
    alliance = ScopedPrimaryKeyRelatedField(queryset=Alliance.objects.all())
    posted_by = ScopedPrimaryKeyRelatedField(queryset=AllianceMember.objects.all())
    linked_url = serializers.SerializerMethodField()

    class Meta:
        model = AllianceItem
        fields = [
            "id", "alliance", "kind", "title", "description", "posted_by", "status",
            "claimed_by", "claimed_at", "started_at", "done_at", "delivered", "linked_kind",
            "linked_id", "linked_url", "created_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "status", "claimed_by", "claimed_at", "started_at", "done_at", "delivered",
            "created_at",
        ]  # fmt: skip

    def get_linked_url(self, item) -> str:
        return selectors.item_linked_url(item)


class ClaimSerializer(serializers.Serializer):
    claimed_by = ScopedPrimaryKeyRelatedField(queryset=AllianceMember.objects.all())


class CompleteSerializer(serializers.Serializer):
    delivered = serializers.CharField()


class ItemFilter(filters.FilterSet):
    class Meta:
        model = AllianceItem
        fields = ["alliance", "kind", "status"]


# --- Viewsets ----------------------------------------------------------------------------------


class AllianceViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Alliances in your scope, with their member units and agreements."""

    queryset = Alliance.objects.all()
    selector = staticmethod(selectors.alliance_api_list)
    serializer_class = AllianceSerializer
    filterset_fields = ["kind", "active", "community"]
    search_fields = ["name"]

    def _fresh(self, alliance):
        return self.get_queryset().get(pk=alliance.pk)

    def perform_create(self, serializer):
        alliance = writes.alliance_create(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self._fresh(alliance)

    def perform_update(self, serializer):
        alliance = writes.alliance_update(
            actor=self.request.user, alliance=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self._fresh(alliance)


class _GatedUpdateMixin(mixins.UpdateModelMixin):
    """PATCH only; the write's gate is asked before the input is read (403, not a 400)."""

    update_gate = None
    http_method_names = ["get", "post", "patch", "head", "options"]

    def update(self, request, *args, **kwargs):
        self.update_gate(request.user, self.get_object())
        return super().update(request, *args, **kwargs)


class AllianceMemberViewSet(
    ScopedViewSetMixin, _GatedUpdateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Member units of the alliances in your scope; the street adds and corrects them."""

    queryset = AllianceMember.objects.all()
    selector = staticmethod(selectors.alliance_member_list)
    serializer_class = MemberSerializer
    filterset_fields = ["alliance", "kind"]
    update_gate = staticmethod(access_alliance_member_update)

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return MemberUpdateSerializer
        return MemberSerializer

    def perform_create(self, serializer):
        serializer.instance = writes.alliance_member_add(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        member = writes.alliance_member_update(
            actor=self.request.user, member=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=member.pk)


class AllianceAgreementViewSet(
    ScopedViewSetMixin, _GatedUpdateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """The signed 1+N agreements (multipart to upload the scanned copy)."""

    queryset = AllianceAgreement.objects.all()
    selector = staticmethod(selectors.agreement_list)
    serializer_class = AgreementSerializer
    filterset_fields = ["alliance"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    update_gate = staticmethod(access_alliance_agreement_update)

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return AgreementUpdateSerializer
        return AgreementSerializer

    def perform_create(self, serializer):
        agreement = writes.alliance_agreement_create(
            actor=self.request.user, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=agreement.pk)

    def perform_update(self, serializer):
        agreement = writes.alliance_agreement_update(
            actor=self.request.user, agreement=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=agreement.pk)


class ExchangeCircleViewSet(
    ScopedViewSetMixin, _GatedUpdateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """党建交流圈: the circles you are in, their organisations and what they share."""

    queryset = ExchangeCircle.objects.all()
    selector = staticmethod(selectors.circle_api_list)
    serializer_class = CircleSerializer
    search_fields = ["name"]
    update_gate = staticmethod(access_circle_update)
    extra_action_perms = {"posts": "view"}  # the write's gate decides who may share

    def perform_create(self, serializer):
        circle = writes.circle_create(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=circle.pk)

    def perform_update(self, serializer):
        circle = writes.circle_update(
            actor=self.request.user, circle=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=circle.pk)

    @extend_schema(methods=["GET"], responses=CirclePostSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=CirclePostSerializer, responses={201: CirclePostSerializer}
    )
    @action(detail=True, methods=["get", "post"], serializer_class=CirclePostSerializer)
    def posts(self, request, pk=None):
        """The circle's posts (GET), or share an event or a practice (POST)."""
        circle = self.get_object()
        if request.method == "POST":
            # Refuse a reader before reading their input (403, not a 400 on the fields).
            access_circle_post_create(request.user, circle)
            data = CirclePostSerializer(data=request.data, context=self.get_serializer_context())
            data.is_valid(raise_exception=True)
            post = writes.circle_post_create(
                actor=request.user, circle=circle, **data.validated_data
            )
            fresh = selectors.circle_posts(actor=request.user, circle=circle).get(pk=post.pk)
            return Response(CirclePostSerializer(fresh).data, status=status.HTTP_201_CREATED)
        rows = selectors.circle_posts(actor=request.user, circle=circle)
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(CirclePostSerializer(page, many=True).data)
        return Response(CirclePostSerializer(rows, many=True).data)


class AllianceItemViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Needs, resources and projects (`?kind=`): members post and claim them."""

    queryset = AllianceItem.objects.all()
    selector = staticmethod(selectors.item_list)
    serializer_class = ItemSerializer
    filterset_class = ItemFilter
    search_fields = ["title"]
    ordering_fields = ["created_at"]
    extra_action_perms = dict.fromkeys(["claim", "start", "complete", "withdraw"], "change")

    def handle_exception(self, exc):
        if isinstance(exc, writes.AllianceItemConflict):
            exc = Conflict(detail=str(exc))
        return super().handle_exception(exc)

    def _respond(self, item) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=item.pk)).data)

    def perform_create(self, serializer):
        item = writes.alliance_item_post(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=item.pk)

    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """Claim the item for a member you act for (not the one that posted it)."""
        item = self.get_object()
        payload = ClaimSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        return self._respond(
            writes.alliance_item_claim(actor=request.user, item=item, **payload.validated_data)
        )

    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """The claiming member starts the work."""
        return self._respond(writes.alliance_item_start(actor=request.user, item=self.get_object()))

    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Record what was delivered; the item is done."""
        item = self.get_object()
        payload = CompleteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._respond(
            writes.alliance_item_complete(actor=request.user, item=item, **payload.validated_data)
        )

    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The posting member takes the item back."""
        return self._respond(
            writes.alliance_item_withdraw(actor=request.user, item=self.get_object())
        )


def register(router) -> None:
    router.register("alliances", AllianceViewSet, basename="alliance")
    router.register("alliance-members", AllianceMemberViewSet, basename="alliance-member")
    router.register("alliance-agreements", AllianceAgreementViewSet, basename="alliance-agreement")
    router.register("alliance-items", AllianceItemViewSet, basename="alliance-item")
    router.register("exchange-circles", ExchangeCircleViewSet, basename="exchange-circle")
