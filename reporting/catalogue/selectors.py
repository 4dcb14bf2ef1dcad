"""Reads of the catalogue: the lists the pages and the API show, an entry's history (its
audit events), and the catalogue as the review engine reads it (`review_catalogue()`).

The history is the audit trail itself: every write of reporting/catalogue/writes.py records
what changed (`details.changes`: field → [before, after]), so the page shows who changed what
and when without a second copy of the rows.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from portal.models import AuditEvent
from reporting.catalogue.models import DataElement, Department, DutyItem, IndicatorAlias


def element_list(*, actor):
    """The data elements, with the number of aliases that point at each."""
    aliases = (
        IndicatorAlias.objects.filter(element=OuterRef("pk"))
        .order_by()
        .values("element")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return DataElement.objects.visible_to(actor).annotate(
        alias_count=Coalesce(Subquery(aliases, output_field=IntegerField()), Value(0))
    )


def element_aliases(*, actor, element):
    return (
        IndicatorAlias.objects.visible_to(actor)
        .filter(element=element)
        .select_related("confirmed_by")
        .order_by("normalised_label")
    )


def duty_list(*, actor):
    return DutyItem.objects.visible_to(actor)


def department_list(*, actor):
    return Department.objects.visible_to(actor)


def alias_list(*, actor):
    return IndicatorAlias.objects.visible_to(actor).select_related(
        "element", "confirmed_by", "source_field__template"
    )


def history(*, obj) -> list[AuditEvent]:
    """The audit events of one catalogue entry, newest first (the caller has read `obj`
    through its selector, so the reader may see it)."""
    content_type = ContentType.objects.get_for_model(obj)
    return list(
        AuditEvent.objects.filter(content_type=content_type, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("-occurred_at", "-pk")[:100]
    )


def review_catalogue():
    """The catalogue as reporting.review reads it: every element and duty item, and every
    alias (each one a cadre's decision, or the street's by hand). The system's read: the
    review runs for whoever sent the form."""
    from reporting.review import AliasSpec, Catalogue, DutySpec, ElementSpec

    elements = [
        ElementSpec(
            id=e.code,
            name=e.name,
            definition=e.definition,
            unit=e.unit,
            basis=e.basis or None,
            age_rule=e.age_rule or None,
            kind=e.kind,
            period=e.period,
            computable=e.computable,
            source=e.source,
        )
        for e in DataElement.objects.order_by("code")
    ]
    duties = [
        DutySpec(id=d.code, name=d.name, type=d.type, basis=d.basis)
        for d in DutyItem.objects.order_by("code")
    ]
    aliases = [
        AliasSpec(label=label, element_id=code, relation=relation)
        for label, code, relation in IndicatorAlias.objects.order_by("pk").values_list(
            "label", "element__code", "relation"
        )
    ]
    return Catalogue(elements=elements, duties=duties, aliases=aliases)
