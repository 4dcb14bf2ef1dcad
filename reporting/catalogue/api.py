"""The catalogue under /api/v1/ (read-only: the street edits it on its pages, with history).

- `GET data-elements/`: the data elements (code, name, definition, unit, basis, age rule,
  kind, stock or flow, computable);
- `GET duty-items/`: the street's duty list with legal bases (a form cites one by its code).
"""

from rest_framework import serializers

from portal.api.viewsets import ScopedReadOnlyModelViewSet
from reporting.catalogue import selectors
from reporting.catalogue.models import DataElement, DutyItem


class ElementSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="code")

    class Meta:
        model = DataElement
        fields = [
            "id", "name", "definition", "unit", "basis", "age_rule", "kind", "period",
            "computable", "source",
        ]  # fmt: skip


class DutySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="code")

    class Meta:
        model = DutyItem
        fields = ["id", "name", "type", "basis"]


class DataElementViewSet(ScopedReadOnlyModelViewSet):
    queryset = DataElement.objects.all()
    selector = staticmethod(selectors.element_list)
    serializer_class = ElementSerializer
    filterset_fields = ["kind", "period", "computable"]
    search_fields = ["code", "name"]


class DutyItemViewSet(ScopedReadOnlyModelViewSet):
    queryset = DutyItem.objects.all()
    selector = staticmethod(selectors.duty_list)
    serializer_class = DutySerializer
    filterset_fields = ["type"]
    search_fields = ["code", "name"]


def register(router) -> None:
    router.register("data-elements", DataElementViewSet, basename="data-element")
    router.register("duty-items", DutyItemViewSet, basename="duty-item")
