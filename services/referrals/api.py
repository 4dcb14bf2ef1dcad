"""Referrals under /api/v1/referrals/: list, read, create (or from a visit need), one action per transition.

Partner staff get ReferralPartnerSerializer: only what the service needs — the resident's name,
age, sex, address and phone (in the clear: they must call), the need, the service, status and
deadline; never the ID number, tags, other referrals or other residents. Because the phone is
shown in the clear, every list or read by partner staff writes one audit event
(`referral.partner_view`) naming the referrals shown.

A transition that the referral's current state no longer allows (someone else was quicker)
answers 409 with {"detail": ...}; bad input answers 400 with field errors.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from grids.models import Resident, VisitNeed
from portal.api.fields import ScopedPrimaryKeyRelatedField
from portal.api.viewsets import ScopedViewSetMixin
from services.catalogue.models import Partner, ServiceItem
from services.referrals import selectors, writes
from services.referrals.models import CancelReason, DeclineReason, Referral, resident_age
from services.referrals.plans import plan_progress


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."
    default_code = "conflict"


class ReferralSerializer(serializers.ModelSerializer):
    """The full referral, for street, community and grid staff."""

    resident = ScopedPrimaryKeyRelatedField(queryset=Resident.objects.all(), required=False)
    resident_name = serializers.CharField(source="resident.name", read_only=True)
    service_item = serializers.PrimaryKeyRelatedField(
        queryset=ServiceItem.objects.filter(active=True)
    )
    need = ScopedPrimaryKeyRelatedField(
        queryset=VisitNeed.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Referral
        fields = [
            "id", "resident", "resident_name", "service_item", "need", "partner", "status",
            "description", "consent_by", "consent_guardian_name", "consent_at",
            "stage_deadline", "outcome", "satisfaction", "created_by", "created_at", "updated_at",
            "plan_quantity", "plan_period", "plan_start", "plan_end", "plan_shortfall",
        ]  # fmt: skip
        read_only_fields = [
            "id", "partner", "status", "consent_by", "consent_guardian_name", "consent_at",
            "stage_deadline", "outcome", "satisfaction", "created_by", "created_at", "updated_at",
            "plan_quantity", "plan_period", "plan_start", "plan_end",
        ]  # fmt: skip

    plan_shortfall = serializers.SerializerMethodField()
    # Declared: a read-only model field loses allow_blank, and "" (no plan) must stay in the schema.
    plan_period = serializers.ChoiceField(
        choices=Referral.PlanPeriod.choices, allow_blank=True, read_only=True
    )

    def get_plan_shortfall(self, referral) -> str | None:
        """Planned − delivered over the plan periods ended by today, as a decimal string like
        `plan_quantity` (None without a plan)."""
        progress = plan_progress(referral)
        return f"{progress.shortfall:.2f}" if progress is not None else None

    def validate(self, attrs):
        if not attrs.get("need") and not attrs.get("resident"):
            raise serializers.ValidationError(
                {"resident": ["Choose the resident, or the need raised in a visit."]}
            )
        return attrs


class ReferralPartnerSerializer(serializers.ModelSerializer):
    """What a partner sees of a referral addressed to it — exactly these fields, nothing more."""

    resident_name = serializers.CharField(source="resident.name", read_only=True)
    resident_age = serializers.SerializerMethodField()
    resident_sex = serializers.CharField(source="resident.sex", read_only=True)
    address = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    guardian_name = serializers.SerializerMethodField()
    need_category = serializers.CharField(source="need.category", read_only=True, default="")
    service_item_name = serializers.CharField(source="service_item.name", read_only=True)
    # Declared: a read-only model field loses allow_blank, and "" (no plan) must stay in the schema.
    plan_period = serializers.ChoiceField(
        choices=Referral.PlanPeriod.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Referral
        fields = [
            "id", "resident_name", "resident_age", "resident_sex", "address", "contact_phone",
            "guardian_name", "description", "need_category", "service_item", "service_item_name",
            "status", "stage_deadline", "created_at", "updated_at",
            "plan_quantity", "plan_period", "plan_start", "plan_end",
        ]  # fmt: skip
        read_only_fields = fields

    def get_contact_phone(self, referral) -> str:
        """The resident's phone; for a minor the guardian's (selectors.referral_contact)."""
        return self._contact(referral).phone

    def get_guardian_name(self, referral) -> str:
        """For a minor, the guardian's name; empty for an adult."""
        return self._contact(referral).guardian_name

    def _contact(self, referral):
        cache = self.context.setdefault("contacts", {})
        if referral.pk not in cache:
            cache[referral.pk] = selectors.referral_contact(referral)
        return cache[referral.pk]

    def get_resident_age(self, referral) -> int:
        return resident_age(referral.resident)

    def get_address(self, referral) -> str:
        return selectors.referral_address(referral)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=DeclineReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=CancelReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class FollowUpSerializer(serializers.Serializer):
    note = serializers.CharField()


class AssignSerializer(serializers.Serializer):
    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.all())


class CloseSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    satisfaction = serializers.IntegerField(min_value=1, max_value=5)


class PlanSerializer(serializers.Serializer):
    """A service plan: `quantity` per `period` from `start` to `end`; no quantity removes it."""

    quantity = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True, default=None
    )
    period = serializers.ChoiceField(
        choices=Referral.PlanPeriod.choices, required=False, allow_blank=True, default=""
    )
    start = serializers.DateField(required=False, allow_null=True, default=None)
    end = serializers.DateField(required=False, allow_null=True, default=None)


class ConsentSerializer(serializers.Serializer):
    consent_by = serializers.ChoiceField(choices=Referral.ConsentBy.choices)
    guardian_name = serializers.CharField(required=False, allow_blank=True, default="")


TRANSITION_INPUT = {
    "submit": None,
    "approve": NoteSerializer,
    "reject": ReasonSerializer,
    "assign": AssignSerializer,
    "accept": None,
    "decline": DeclineSerializer,
    "start": None,
    "complete": NoteSerializer,
    "follow_up": FollowUpSerializer,
    "close": CloseSerializer,
    "cancel": CancelSerializer,
    "escalate": NoteSerializer,
}


class ReferralFilter(filters.FilterSet):
    # Ids as plain numbers: an id outside the scope lists nothing, exactly like a missing one
    # (a model choice filter would answer 400 for one and 200 for the other — an oracle on
    # which residents and partners exist).
    partner = filters.NumberFilter()
    service_item = filters.NumberFilter()
    resident = filters.NumberFilter()

    class Meta:
        model = Referral
        fields = ["status"]


# Partner staff read a different shape (ReferralPartnerSerializer): the schema says either.
REFERRAL_AS_READ = PolymorphicProxySerializer(
    component_name="ReferralAsRead",
    serializers=[ReferralSerializer, ReferralPartnerSerializer],
    resource_type_field_name=None,
)


@extend_schema_view(
    list=extend_schema(responses=REFERRAL_AS_READ),
    retrieve=extend_schema(responses=REFERRAL_AS_READ),
)
class ReferralViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Referrals in your scope; partner staff see only those addressed to their organisation."""

    queryset = Referral.objects.all()
    selector = staticmethod(selectors.referral_detail_queryset)
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilter
    ordering_fields = ["created_at", "stage_deadline"]
    extra_action_perms = dict.fromkeys([*TRANSITION_INPUT, "consent", "plan"], "change")

    def get_serializer_class(self):
        # Schema generation asks without a signed-in user.
        if getattr(self.request.user, "is_partner_staff", False):
            return ReferralPartnerSerializer
        return ReferralSerializer

    def handle_exception(self, exc):
        if isinstance(exc, writes.ReferralConflict):
            exc = Conflict(detail=str(exc))
        return super().handle_exception(exc)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        writes.referral_partner_view_audit(actor=self.request.user, referrals=rows)
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        referral = self.get_object()
        writes.referral_partner_view_audit(actor=self.request.user, referrals=[referral])
        return Response(self.get_serializer(referral).data)

    def perform_create(self, serializer):
        data = serializer.validated_data
        if data.get("need"):
            serializer.instance = writes.referral_create_from_need(
                actor=self.request.user, need=data["need"], service_item=data["service_item"]
            )
        else:
            serializer.instance = writes.referral_create(
                actor=self.request.user,
                resident=data["resident"],
                service_item=data["service_item"],
                description=data.get("description", ""),
            )

    def _run(self, name: str, request) -> Response:
        referral = self.get_object()
        kwargs = {}
        input_class = TRANSITION_INPUT[name]
        if input_class is not None:
            payload = input_class(data=request.data)
            payload.is_valid(raise_exception=True)
            kwargs = dict(payload.validated_data)
        writes.TRANSITION_FUNCTIONS[name](actor=request.user, referral=referral, **kwargs)
        return self._respond(referral)

    def _respond(self, referral) -> Response:
        """The referral as it is now, read through the scope: a partner who just declined no
        longer sees it, and gets only its id and new status (no name, phone or address)."""
        fresh = self.get_queryset().filter(pk=referral.pk).first()
        if fresh is None:
            status_now = selectors.referral_status_now(pk=referral.pk)
            return Response({"id": referral.pk, "status": status_now})
        writes.referral_partner_view_audit(actor=self.request.user, referrals=[fresh])
        return Response(self.get_serializer(fresh).data)

    @action(detail=True, methods=["post"])
    def consent(self, request, pk=None):
        """Record who consented to sharing the resident with a partner."""
        referral = self.get_object()
        payload = ConsentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        writes.referral_record_consent(
            actor=request.user, referral=referral, **payload.validated_data
        )
        return self._respond(referral)

    @extend_schema(request=PlanSerializer)
    @action(detail=True, methods=["post"])
    def plan(self, request, pk=None):
        """Set, change or (without a quantity) remove the service plan — the street only."""
        referral = self.get_object()
        payload = PlanSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        writes.referral_plan_set(actor=request.user, referral=referral, **payload.validated_data)
        return self._respond(referral)

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._run("submit", request)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._run("approve", request)

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._run("reject", request)

    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._run("assign", request)

    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._run("accept", request)

    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._run("decline", request)

    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._run("start", request)

    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._run("complete", request)

    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request, pk=None):
        return self._run("follow_up", request)

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._run("close", request)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._run("cancel", request)

    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        return self._run("escalate", request)


def register(router) -> None:
    router.register("referrals", ReferralViewSet, basename="referral")
