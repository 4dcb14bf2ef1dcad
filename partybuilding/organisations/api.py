"""REST resources of the organisation tree and the membership register under /api/v1/.

- `party-orgs/`: list, read, found (POST), edit (PUT/PATCH; a new `parent` moves the subtree)
  and `secretary/` {member} to name the secretary. No delete: an organisation is dissolved.
- `party-members/`: list, read, enter (POST), correct (PUT/PATCH; `org` is set by a
  transfer, not an edit) and `transfer/` {direction, date, to_org?, to_org_name?,
  from_org_name?, note?} answering 201 with the transfer.

Scope is the selectors' (`visible_to`): a member or an organisation outside it is a 404, as
missing. Who may write is the writes' gates (403); bad input is a 400 with field errors.
Organisations, communities, grids and buildings named by id must be among the choices the
requesting user has (else 400, "does not exist").
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from grids.models import Building, Grid, Region, Resident
from partybuilding.organisations import selectors, writes
from partybuilding.organisations.models import MemberTransfer, PartyMember, PartyOrg
from partybuilding.organisations.policy import (
    access_party_member_transfer,
    access_party_member_update,
    access_party_org_secretary_set,
    access_party_org_update,
)
from portal.api.fields import ScopedPrimaryKeyRelatedField
from portal.api.viewsets import ScopedViewSetMixin


class ChoiceField(serializers.PrimaryKeyRelatedField):
    """A related object by id among `selector(actor=user)`: anything else does not exist."""

    def __init__(self, *, selector, **kwargs):
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.selector(actor=self.context["request"].user)


def _orgs(**kwargs):
    return ChoiceField(
        selector=selectors.party_org_choices, queryset=PartyOrg.objects.none(), **kwargs
    )


# --- Serializers ------------------------------------------------------------------------------


class PartyOrgSerializer(serializers.ModelSerializer):
    parent = _orgs(required=False, allow_null=True)
    community = ChoiceField(
        selector=selectors.party_community_choices,
        queryset=Region.objects.none(),
        required=False,
        allow_null=True,
    )
    grid = ChoiceField(
        selector=selectors.party_grid_choices,
        queryset=Grid.objects.none(),
        required=False,
        allow_null=True,
    )
    building = ChoiceField(
        selector=selectors.party_building_choices,
        queryset=Building.objects.none(),
        required=False,
        allow_null=True,
    )
    member_count = serializers.IntegerField(read_only=True)
    secretary_name = serializers.CharField(source="secretary.name", read_only=True, default="")

    class Meta:
        model = PartyOrg
        fields = [
            "id", "name", "kind", "parent", "path", "community", "grid", "building", "host_unit",
            "host_unit_uscc", "secretary", "secretary_name", "founded_on", "dissolved_on",
            "member_count",
        ]  # fmt: skip
        read_only_fields = ["id", "path", "secretary", "secretary_name", "member_count"]
        validators = []  # the model's clean() (through the write) says it as field errors


class SecretarySerializer(serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=PartyMember.objects.all(), allow_null=True)

    def validate_member(self, member):
        if member is None:
            return None
        visible = selectors.party_member_list(actor=self.context["request"].user)
        if not visible.filter(pk=member.pk).exists():
            raise serializers.ValidationError(_("Invalid pk - object does not exist."))
        return member


class PartyMemberSerializer(serializers.ModelSerializer):
    org = _orgs()
    employer_org = _orgs(required=False, allow_null=True)
    reported_community = ChoiceField(
        selector=selectors.party_community_choices,
        queryset=Region.objects.none(),
        required=False,
        allow_null=True,
    )
    resident = ScopedPrimaryKeyRelatedField(
        queryset=Resident.objects.all(), required=False, allow_null=True
    )
    org_name = serializers.CharField(source="org.name", read_only=True)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True)
    phone_masked = serializers.CharField(read_only=True)
    has_login = serializers.SerializerMethodField()

    class Meta:
        model = PartyMember
        fields = [
            "id", "name", "org", "org_name", "status", "joined_party_on", "serving", "employer",
            "employer_org", "phone", "phone_masked", "reported_community", "reported_on",
            "transferred_in_on", "transferred_out_on", "resident", "has_login", "note",
        ]  # fmt: skip
        read_only_fields = ["id", "transferred_in_on", "transferred_out_on", "has_login"]

    def get_has_login(self, member) -> bool:
        return member.user_id is not None


class MemberTransferSerializer(serializers.ModelSerializer):
    to_org = _orgs(required=False, allow_null=True)
    from_display = serializers.CharField(read_only=True)
    to_display = serializers.CharField(read_only=True)

    class Meta:
        model = MemberTransfer
        fields = [
            "id", "member", "direction", "date", "from_org", "from_org_name", "to_org",
            "to_org_name", "from_display", "to_display", "note",
        ]  # fmt: skip
        read_only_fields = ["id", "member", "from_org", "from_display", "to_display"]


# --- Filters ----------------------------------------------------------------------------------


def _org_choices(request):
    if request is None:  # schema generation
        return PartyOrg.objects.none()
    return selectors.party_org_choices(actor=request.user)


class PartyMemberApiFilter(django_filters.FilterSet):
    org = django_filters.ModelChoiceFilter(queryset=_org_choices)
    name = django_filters.CharFilter(lookup_expr="contains")

    class Meta:
        model = PartyMember
        fields = ["org", "status", "serving", "reported_community", "name"]


# --- Viewsets ---------------------------------------------------------------------------------


class PartyOrgViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Party organisations in your scope, in tree order; found, edit (move), name the secretary."""

    queryset = PartyOrg.objects.all()
    selector = staticmethod(selectors.party_org_list)
    serializer_class = PartyOrgSerializer
    filterset_fields = ["kind", "parent", "community"]
    extra_action_perms = {"secretary": "change"}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        org = writes.party_org_create(actor=request.user, **serializer.validated_data)
        return self._fresh(org.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        org = self.get_object()
        # The gate before the payload, as the edit page does: a refusal never depends on it.
        access_party_org_update(request.user, org)
        serializer = self.get_serializer(org, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        writes.party_org_update(actor=request.user, org=org, **serializer.validated_data)
        return self._fresh(org.pk)

    def _fresh(self, pk, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(request=SecretarySerializer, responses={200: PartyOrgSerializer})
    @action(detail=True, methods=["post"])
    def secretary(self, request, pk=None):
        """Name the secretary (a current member of the organisation's subtree), or null."""
        org = self.get_object()
        access_party_org_secretary_set(request.user, org)
        payload = SecretarySerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        writes.party_org_secretary_set(
            actor=request.user, org=org, member=payload.validated_data["member"]
        )
        return self._fresh(org.pk)


class PartyMemberViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Party members in your scope; enter, correct, record a transfer."""

    queryset = PartyMember.objects.all()
    selector = staticmethod(selectors.party_member_list)
    serializer_class = PartyMemberSerializer
    filterset_class = PartyMemberApiFilter
    ordering_fields = ["name", "joined_party_on"]
    extra_action_perms = {"transfer": "change"}

    def perform_create(self, serializer):
        serializer.instance = writes.party_member_create(
            actor=self.request.user, **serializer.validated_data
        )

    def update(self, request, *args, **kwargs):
        # The gate before the payload, as the edit page does: a refusal never depends on it.
        access_party_member_update(request.user, self.get_object())
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("org", None)  # a move between organisations is a transfer
        serializer.instance = writes.party_member_update(
            actor=self.request.user, member=serializer.instance, **data
        )

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if self.action in ("update", "partial_update"):
            serializer.fields["org"].required = False
        return serializer

    @extend_schema(request=MemberTransferSerializer, responses={201: MemberTransferSerializer})
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        """Record a transfer in or out; the member's organisation and dates follow."""
        member = self.get_object()
        access_party_member_transfer(request.user, member)
        payload = MemberTransferSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        transfer = writes.party_member_transfer(
            actor=request.user,
            member=member,
            direction=data["direction"],
            date=data["date"],
            to_org=data.get("to_org"),
            to_org_name=data.get("to_org_name", ""),
            from_org_name=data.get("from_org_name", ""),
            note=data.get("note", ""),
        )
        return Response(MemberTransferSerializer(transfer).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("party-orgs", PartyOrgViewSet, basename="partyorg")
    router.register("party-members", PartyMemberViewSet, basename="partymember")
