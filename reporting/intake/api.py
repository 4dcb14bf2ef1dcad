"""Forms under /api/v1/report-templates/ (reporting/intake/writes.py and its gates decide).

- `POST report-templates/` a department's form in the shared README's shape:
  {"id": "X101", "department": "瑞安市某局", "title": "...", "period": "quarterly",
   "due_days": 5, "duty_item": "D15" | null, "fields": [{"id": "X101-01", "label": "...",
   "parent": null | "X101-00"}]} → 201 with the review: per field the proposal (element,
  relation, look-alike, derivation, agreeing and differing dimensions, reason, confidence, the
  cadre's decision), the form's rejection (with the duty's basis), filing, duplicates.
- `GET report-templates/`, `GET report-templates/{pk}/`: the forms you see (a district
  integration: the ones it sent; street staff: all).
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from portal.api.viewsets import ScopedViewSetMixin
from reporting.intake import selectors, writes
from reporting.intake.models import ReportTemplate


class FieldInputSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64)
    label = serializers.CharField(max_length=300)
    parent = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)


class TemplateInputSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    department = serializers.CharField(max_length=100)
    title = serializers.CharField(max_length=200)
    period = serializers.ChoiceField(choices=ReportTemplate.Period.choices)
    due_days = serializers.IntegerField(min_value=0, max_value=365, default=5)
    duty_item = serializers.CharField(
        max_length=16, required=False, allow_null=True, allow_blank=True
    )
    fields = FieldInputSerializer(many=True, allow_empty=False, max_length=500)


def field_review_data(field) -> dict:
    review = getattr(field, "review", None)
    data = {"id": field.external_id, "label": field.label, "position": field.position}
    if field.parent_id:
        data["parent"] = field.parent.external_id
    if review is None:
        return data
    data.update(
        {
            "element": review.element.code if review.element_id else None,
            "relation": review.relation,
            "proposed_element": review.proposed_element.code
            if review.proposed_element_id
            else None,
            "proposed_relation": review.proposed_relation,
            "looks_like": review.looks_like.code if review.looks_like_id else None,
            "derivation": review.derivation,
            "agrees": review.agrees,
            "differs": review.differs,
            "reason": review.reason,
            "confidence": review.confidence,
            "answerable": review.answerable,
            "decision": review.decision,
        }
    )
    return data


class DuplicateSerializer(serializers.Serializer):
    """The shape of one duplicate in a form's detail (documentation of get_duplicates)."""

    form = serializers.CharField()
    title = serializers.CharField()
    department = serializers.CharField()
    kind = serializers.CharField()
    shared = serializers.ListField(child=serializers.CharField())


class TemplateSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="external_id")
    department = serializers.CharField(source="department.name")
    duty_item = serializers.SerializerMethodField()
    field_count = serializers.IntegerField(read_only=True, default=0)
    pending_count = serializers.IntegerField(read_only=True, default=0)
    duplicate_count = serializers.IntegerField(read_only=True, default=0)
    rejection_basis = serializers.SerializerMethodField()

    class Meta:
        model = ReportTemplate
        fields = [
            "pk", "id", "department", "title", "period", "due_days", "duty_item", "source",
            "rejected", "rejection_basis", "filing_needed", "filed_at", "field_count",
            "pending_count", "duplicate_count", "created_at",
        ]  # fmt: skip

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_duty_item(self, obj):
        return obj.duty_item.code if obj.duty_item_id else None

    def get_rejection_basis(self, obj) -> str:
        return obj.duty_item.basis if obj.rejected and obj.duty_item_id else ""


class TemplateDetailSerializer(TemplateSerializer):
    fields_ = serializers.SerializerMethodField()
    duplicates = serializers.SerializerMethodField()

    class Meta(TemplateSerializer.Meta):
        fields = [*TemplateSerializer.Meta.fields, "fields_", "duplicates"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["fields"] = data.pop("fields_")
        return data

    @extend_schema_field({"type": "array", "items": {"type": "object"}})
    def get_fields_(self, obj):
        return [field_review_data(f) for f in obj.fields.all()]

    @extend_schema_field(DuplicateSerializer(many=True))
    def get_duplicates(self, obj):
        return [
            {
                "form": d.repeats.external_id,
                "title": d.repeats.title,
                "department": d.repeats.department.name,
                "kind": d.kind,
                "shared": d.shared,
            }
            for d in obj.duplicates.all()
        ]


class ReportTemplateViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Forms sent to the street, and their review."""

    queryset = ReportTemplate.objects.all()
    selector = staticmethod(selectors.template_list)
    filterset_fields = ["period", "source", "rejected", "filing_needed"]
    search_fields = ["title", "external_id", "department__name"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.template_detail_list(actor=self.request.user)
        return super().get_queryset()

    def get_serializer_class(self):
        if self.action == "create":
            return TemplateInputSerializer
        if self.action == "retrieve":
            return TemplateDetailSerializer
        return TemplateSerializer

    def create(self, request, *args, **kwargs):
        data = TemplateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        template = writes.template_create(
            actor=request.user,
            external_id=values.pop("id", ""),
            source=ReportTemplate.Source.API,
            **values,
        )
        instance = selectors.template_detail_list(actor=request.user).get(pk=template.pk)
        return Response(TemplateDetailSerializer(instance).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("report-templates", ReportTemplateViewSet, basename="report-template")
