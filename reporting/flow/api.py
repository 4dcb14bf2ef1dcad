"""Tasks under /api/v1/report-tasks/ (reporting/flow/writes.py and its gates decide).

- `POST report-tasks/` {"form": "X101" (the form's id) | "template": pk, "period_start":
  "2026-01-01", "period_end": "2026-03-31"} → 201 with the department's answer, decided at once
  where the rules decide;
- `GET report-tasks/`, `GET report-tasks/{pk}/`: the tasks you see (a district integration:
  the ones it sent) with `answer`:
  - {"decision": "rejected", "duty_item": "D26", "basis": "...", "reason": "..."}
  - {"decision": "filing_needed", "filed": false}
  - {"decision": "under_review"}
  - {"decision": "answered_from_data", "values": {"X101-01": 12, ...}}
  - {"decision": "issued", "progress": {"communities": 5, "submitted": 2, "accepted": 1,
    "returned": 0}, "values": {...} once every community's answer is accepted}
"""

from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from portal.api.viewsets import ScopedViewSetMixin
from reporting.flow import selectors, writes
from reporting.flow.models import ReportTask
from reporting.intake.models import ReportTemplate


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."
    default_code = "conflict"


class TaskInputSerializer(serializers.Serializer):
    form = serializers.CharField(max_length=64, required=False)
    template = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    period_start = serializers.DateField()
    period_end = serializers.DateField()

    def validate(self, attrs):
        request = self.context["request"]
        forms = ReportTemplate.objects.visible_to(request.user)
        if attrs.get("form"):
            template = forms.filter(external_id=attrs["form"]).first()
        elif attrs.get("template"):
            template = forms.filter(pk=attrs["template"]).first()
        else:
            raise serializers.ValidationError({"form": ["Name the form (its id)."]})
        if template is None:
            raise serializers.ValidationError({"form": ["No such form."]})
        attrs["template"] = template
        return attrs


class TaskSerializer(serializers.ModelSerializer):
    form = serializers.CharField(source="template.external_id", read_only=True)
    title = serializers.CharField(source="template.title", read_only=True)
    department = serializers.CharField(source="template.department.name", read_only=True)
    answer = serializers.SerializerMethodField()

    class Meta:
        model = ReportTask
        fields = [
            "pk", "form", "title", "department", "period_start", "period_end", "deadline",
            "state", "answer", "created_at", "updated_at",
        ]  # fmt: skip

    def get_answer(self, obj) -> dict:
        return selectors.task_answer(obj)


class ReportTaskViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Periods of forms sent to the street, and the street's answer to each."""

    queryset = ReportTask.objects.all()
    selector = staticmethod(selectors.task_list)
    serializer_class = TaskSerializer
    filterset_fields = ["state"]
    ordering_fields = ["created_at", "deadline"]

    def handle_exception(self, exc):
        if isinstance(exc, writes.TaskConflict):
            exc = Conflict(detail=str(exc))
        return super().handle_exception(exc)

    def create(self, request, *args, **kwargs):
        data = TaskInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        task = writes.task_create(
            actor=request.user,
            template=data.validated_data["template"],
            period_start=data.validated_data["period_start"],
            period_end=data.validated_data["period_end"],
        )
        instance = self.get_queryset().get(pk=task.pk)
        return Response(TaskSerializer(instance).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("report-tasks", ReportTaskViewSet, basename="report-task")
