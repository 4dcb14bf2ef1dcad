"""Family-doctor contracts under /api/v1/family-doctor-contracts/: list, read, sign, and the
actions `renew/`, `switch/` and `lapse/` (services/contracts/writes.py and its gates decide).

- Scope: `FamilyDoctorContract.objects.visible_to` — the street all, a clinic's staff their
  clinic's contracts, community and grid staff the contracts of their residents. Anything else
  is a 404, like a missing contract.
- Sign (POST on the list): the street names the `resident` (or a family-doctor `referral`);
  partner staff, who never see the registry, name the `referral` assigned to their clinic
  and the resident comes from it. 201 with the contract.
- `renew/` {end_date, doctor_name?} and `switch/` {partner, doctor_name, start_date, end_date}
  answer 201 with the *new* contract; `lapse/` answers 200 with the lapsed one. A contract no
  longer in a state that allows the change answers 409; bad input 400 with field errors.
- Filters: `resident`, `partner` (in scope, else 400), `status`, `expiring_within_days=N`
  (active contracts ending between today and today + N days).
- Partner staff get the resident's name only, never the registry id, ID number or phone.
"""

from datetime import timedelta

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from grids.models import Resident
from portal.api.fields import ScopedPrimaryKeyRelatedField
from portal.api.viewsets import ScopedViewSetMixin
from services.catalogue.models import Partner
from services.catalogue.selectors import partner_list
from services.contracts import selectors, writes
from services.contracts.models import BASIC_PACKAGE, FamilyDoctorContract, package_choices
from services.referrals.models import Referral


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Conflict.")
    default_code = "conflict"


# --- Serializers ---------------------------------------------------------------------------

READ_ONLY = [
    "id", "resident_name", "partner_name", "status", "previous", "next", "ended_on",
    "created_by", "created_at",
]  # fmt: skip


class ContractSerializer(serializers.ModelSerializer):
    """A contract as the street and community / grid staff see it."""

    resident = ScopedPrimaryKeyRelatedField(queryset=Resident.objects.all(), required=False)
    resident_name = serializers.CharField(source="resident.name", read_only=True)
    partner = ScopedPrimaryKeyRelatedField(queryset=Partner.objects.all())
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    referral = ScopedPrimaryKeyRelatedField(
        queryset=Referral.objects.all(), required=False, allow_null=True
    )
    next = serializers.SerializerMethodField()
    package = serializers.ChoiceField(choices=(), required=False, default=BASIC_PACKAGE)
    package_label = serializers.CharField(read_only=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["package"].choices = package_choices()

    class Meta:
        model = FamilyDoctorContract
        fields = [
            "id", "resident", "resident_name", "partner", "partner_name", "doctor_name",
            "package", "package_label", "start_date", "end_date", "status", "previous", "next",
            "referral", "ended_on", "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = READ_ONLY
        # No generated validator for the "one active per resident" index: the service says it
        # as a field error (and the generated one would make `resident` required).
        validators = []

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_next(self, contract):
        """The contract that followed (renewal or switch), if any."""
        following = getattr(contract, "next", None)
        return following.pk if following else None

    def validate(self, attrs):
        referral = attrs.get("referral")
        if attrs.get("resident") is None:
            if referral is None:
                raise serializers.ValidationError(
                    {"resident": [_("Choose the resident, or the referral that brought them.")]}
                )
            attrs["resident"] = referral.resident
        return attrs


class ContractPartnerSerializer(ContractSerializer):
    """What a clinic's staff see: the resident's name, not their registry record."""

    class Meta(ContractSerializer.Meta):
        fields = [
            "id", "resident_name", "partner", "partner_name", "doctor_name", "package",
            "package_label", "start_date", "end_date", "status", "previous", "next", "referral",
            "ended_on", "created_at",
        ]  # fmt: skip


class _PackageMixin(serializers.Serializer):
    """`package`: one of the configured packages; absent keeps the contract's own."""

    package = serializers.ChoiceField(choices=(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["package"].choices = package_choices()


class RenewSerializer(_PackageMixin):
    end_date = serializers.DateField()
    doctor_name = serializers.CharField(required=False, allow_blank=True, max_length=64)


class SwitchSerializer(_PackageMixin):
    partner = ScopedPrimaryKeyRelatedField(queryset=Partner.objects.all())
    doctor_name = serializers.CharField(max_length=64)
    start_date = serializers.DateField()
    end_date = serializers.DateField()


# --- Filters -------------------------------------------------------------------------------


def _residents(request):
    if request is None:  # schema generation
        return Resident.objects.none()
    return Resident.objects.visible_to(request.user)


def _partners(request):
    if request is None:
        return Partner.objects.none()
    return partner_list(actor=request.user)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.ModelChoiceFilter):
    """An object chosen by id (an integer in the API schema)."""


class ContractFilter(django_filters.FilterSet):
    resident = IdFilter(label=_("resident"), queryset=_residents)
    partner = IdFilter(label=_("clinic"), queryset=_partners)
    expiring_within_days = django_filters.NumberFilter(
        label=_("expiring within (days)"),
        method="filter_expiring",
        min_value=0,
        max_value=3660,
        help_text=_("Active contracts ending between today and today plus this many days."),
    )

    class Meta:
        model = FamilyDoctorContract
        fields = ["resident", "partner", "status", "expiring_within_days"]

    def filter_expiring(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.filter(
            status=FamilyDoctorContract.Status.ACTIVE,
            end_date__gte=today,
            end_date__lte=today + timedelta(days=int(value)),
        )


# --- Viewset -------------------------------------------------------------------------------


class FamilyDoctorContractViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Family-doctor contracts in your scope; sign, renew, switch, lapse."""

    queryset = FamilyDoctorContract.objects.all()
    selector = staticmethod(selectors.family_doctor_contract_list)
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    ordering_fields = ["start_date", "end_date", "created_at"]
    extra_action_perms = {"renew": "change", "switch": "change", "lapse": "change"}

    def get_serializer_class(self):
        # Schema generation asks without a signed-in user.
        if getattr(self.request.user, "is_partner_staff", False):
            return ContractPartnerSerializer
        return ContractSerializer

    def handle_exception(self, exc):
        if isinstance(exc, writes.ContractConflict):
            exc = Conflict(detail=str(exc))
        return super().handle_exception(exc)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = writes.family_doctor_contract_sign(
            actor=self.request.user,
            resident=data["resident"],
            partner=data["partner"],
            doctor_name=data.get("doctor_name", ""),
            start_date=data["start_date"],
            end_date=data["end_date"],
            referral=data.get("referral"),
            package=data.get("package", BASIC_PACKAGE),
        )

    def _respond(self, contract, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=contract.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(request=RenewSerializer, responses={201: ContractSerializer})
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        """Renew at the same clinic; answers the new contract."""
        contract = self.get_object()
        payload = RenewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        new = writes.family_doctor_contract_renew(
            actor=request.user, contract=contract, **payload.validated_data
        )
        return self._respond(new, status.HTTP_201_CREATED)

    @extend_schema(request=SwitchSerializer, responses={201: ContractSerializer})
    @action(detail=True, methods=["post"])
    def switch(self, request, pk=None):
        """Switch to another clinic (the street only); answers the new contract."""
        contract = self.get_object()
        payload = SwitchSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        new = writes.family_doctor_contract_switch(
            actor=request.user, contract=contract, **payload.validated_data
        )
        return self._respond(new, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ContractSerializer})
    @action(detail=True, methods=["post"])
    def lapse(self, request, pk=None):
        """End the contract without a successor."""
        contract = self.get_object()
        writes.family_doctor_contract_lapse(actor=request.user, contract=contract)
        return self._respond(contract)


def register(router) -> None:
    router.register(
        "family-doctor-contracts", FamilyDoctorContractViewSet, basename="familydoctorcontract"
    )
