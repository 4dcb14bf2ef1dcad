"""Writes of the catalogue: data elements, duty items, aliases — each change audited with what
changed (the history the pages show), each opening with its gate (policy.py).

Aliases are learned from the review (a cadre's confirmation or correction, reporting/intake/
writes.py) or edited by hand; one alias per normalised label, so a later decision on the same
wording replaces an earlier one.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.audit import audit_record
from reporting.catalogue.models import DataElement, Department, DutyItem, IndicatorAlias, Relation
from reporting.catalogue.policy import (
    access_alias_change,
    access_department_create,
    access_duty_change,
    access_duty_create,
    access_element_change,
    access_element_create,
)

ELEMENT_FIELDS = (
    "name", "definition", "unit", "basis", "age_rule", "kind", "period", "computable", "source",
)  # fmt: skip
DUTY_FIELDS = ("name", "type", "basis")


def _label_normalise(label: str) -> str:
    """The label as the review reads it (width, spaces, numerals), so that an alias matches the
    same wording however it is typed next time."""
    try:
        from reporting.review.normalise import normalise
    except ImportError:  # the engine is not there yet: a plain fold
        import unicodedata

        return "".join(unicodedata.normalize("NFKC", label or "").split())
    return normalise(label)


def _changes(obj, fields, values: dict) -> dict:
    changes = {}
    for name in fields:
        if name in values and getattr(obj, name) != values[name]:
            changes[name] = [getattr(obj, name), values[name]]
            setattr(obj, name, values[name])
    return changes


def _update_with_history(obj, fields, values: dict, action: str, actor):
    """Lock, change, validate, save; the fields that changed go to the audit trail (history)."""
    with transaction.atomic():
        locked = type(obj).objects.select_for_update().get(pk=obj.pk)
        changes = _changes(locked, fields, values)
        if not changes:
            return locked
        locked.full_clean()
        locked.save(update_fields=list(changes))
        audit_record(actor=actor, action=action, obj=locked, details={"changes": changes})
    return locked


def element_create(*, actor, code: str, **values) -> DataElement:
    """Add a data element (a figure the street now holds)."""
    access_element_create(actor)
    element = DataElement(code=(code or "").strip(), **{k: values[k] for k in values})
    element.full_clean()
    with transaction.atomic():
        element.save()
        audit_record(
            actor=actor,
            action="reporting.element_create",
            obj=element,
            details={"changes": {k: [None, getattr(element, k)] for k in ELEMENT_FIELDS}},
        )
    return element


def element_update(*, actor, element: DataElement, **values) -> DataElement:
    """Change an element's description; what changed goes to the audit trail (its history)."""
    access_element_change(actor, element)
    return _update_with_history(element, ELEMENT_FIELDS, values, "reporting.element_update", actor)


def duty_create(*, actor, code: str, name: str, type: str, basis: str) -> DutyItem:
    """Add a duty item to the street's list."""
    access_duty_create(actor)
    duty = DutyItem(code=(code or "").strip(), name=name.strip(), type=type, basis=basis.strip())
    duty.full_clean()
    with transaction.atomic():
        duty.save()
        audit_record(
            actor=actor,
            action="reporting.duty_create",
            obj=duty,
            details={"changes": {k: [None, getattr(duty, k)] for k in DUTY_FIELDS}},
        )
    return duty


def duty_update(*, actor, duty: DutyItem, **values) -> DutyItem:
    """Change a duty item (say, a duty withdrawn by the city, with its new basis)."""
    access_duty_change(actor, duty)
    return _update_with_history(duty, DUTY_FIELDS, values, "reporting.duty_update", actor)


def department_get_or_create(*, actor, name: str) -> Department:
    """The department of that name, recorded the first time one of its forms arrives."""
    access_department_create(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"department": [_("Name the department that sends the form.")]})
    department = Department.objects.filter(name=name).first()
    if department is not None:
        return department
    department = Department(name=name)
    department.full_clean()
    with transaction.atomic():
        department, created = Department.objects.get_or_create(name=name)
        if created:
            audit_record(actor=actor, action="reporting.department_create", obj=department)
    return department


def alias_learn(
    *, actor, label: str, element: DataElement | None, relation: str, source_field=None
) -> IndicatorAlias:
    """Record that `label` means `element` (same or derivable) or nothing in the catalogue
    (look-alike or new): the next form with that wording benefits. One alias per normalised
    label; a later decision replaces an earlier one (the audit trail keeps both)."""
    access_alias_change(actor)
    if relation in (Relation.SAME, Relation.DERIVABLE) and element is None:
        raise ValidationError({"element": [_("Choose the data element this label means.")]})
    if relation in (Relation.DIFFERENT_BASIS, Relation.NEW):
        element = None
    normalised = _label_normalise(label)[:200]
    with transaction.atomic():
        alias = (
            IndicatorAlias.objects.select_for_update().filter(normalised_label=normalised).first()
        )
        before = None
        if alias is None:
            alias = IndicatorAlias(normalised_label=normalised)
        else:
            before = [alias.element.code if alias.element_id else None, alias.relation]
        alias.label = label[:200]
        alias.element = element
        alias.relation = relation
        alias.confirmed_by = actor if actor is not None and actor.is_authenticated else None
        alias.source_field = source_field
        alias.full_clean(validate_unique=False)
        alias.save()
        audit_record(
            actor=actor,
            action="reporting.alias_learn",
            obj=alias,
            details={
                "label": label,
                "changes": {
                    "mapping": [before, [element.code if element else None, relation]],
                },
            },
        )
    return alias


def alias_delete(*, actor, alias: IndicatorAlias) -> None:
    """Forget an alias (the next form is read without it)."""
    access_alias_change(actor, alias)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="reporting.alias_delete",
            obj=alias,
            details={
                "label": alias.label,
                "element": alias.element.code if alias.element else None,
            },
        )
        alias.delete()
