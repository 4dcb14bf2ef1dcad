"""Intake and review: a department's form arrives (API, spreadsheet, page), is reviewed by the
engine (reporting/review/) against the catalogue read from the database, and its proposals are
kept per field (FieldReview); a cadre confirms, corrects or holds each one, and a confirmed or
corrected mapping becomes an alias the next form benefits from.

The review of a form as a whole: a withdrawn duty item → rejected (the basis is the duty's);
no duty item → a case-by-case filing (备案) is needed before the street approves a task of it;
duplicates of the forms received before (not rejected) are recorded with the shared elements,
by the README's rule (full: the same elements, at least two; partial: at least two shared and
at least half of the smaller form's).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from reporting.catalogue import selectors as catalogue_selectors
from reporting.catalogue.models import DataElement, DutyItem, Relation
from reporting.catalogue.writes import alias_learn, department_get_or_create
from reporting.intake.models import FieldReview, ReportTemplate, TemplateDuplicate, TemplateField
from reporting.intake.policy import (
    access_field_review_confirm,
    access_template_create,
    access_template_file,
)

MAPPED = (Relation.SAME, Relation.DERIVABLE)


class ReviewConflict(Exception):
    """The review changed under the cadre's click (another cadre decided first)."""


def _clean_fields(fields) -> list[dict]:
    rows, seen = [], set()
    for position, field in enumerate(fields or [], start=1):
        label = str(field.get("label") or "").strip()
        field_id = str(field.get("id") or "").strip()
        if not label:
            raise ValidationError({"fields": [_("Field %(n)s has no label.") % {"n": position}]})
        if not field_id:
            raise ValidationError({"fields": [_("Field %(n)s has no id.") % {"n": position}]})
        if field_id in seen:
            raise ValidationError(
                {"fields": [_("The field id %(id)s appears twice.") % {"id": field_id}]}
            )
        seen.add(field_id)
        parent = str(field.get("parent") or "").strip()
        if parent and parent not in seen:
            raise ValidationError(
                {
                    "fields": [
                        _("Field %(id)s names a parent that is not above it.") % {"id": field_id}
                    ]
                }
            )
        rows.append({"id": field_id[:64], "label": label[:300], "parent": parent})
    if not rows:
        raise ValidationError({"fields": [_("A form needs at least one field.")]})
    return rows


def template_create(
    *,
    actor,
    external_id: str,
    department: str,
    title: str,
    period: str,
    due_days: int = 5,
    duty_item: str | None = None,
    fields: list[dict],
    source: str = ReportTemplate.Source.API,
    layout: str = ReportTemplate.Layout.ROWS,
) -> ReportTemplate:
    """Receive a department's form (the shared README's shape) and review it at once."""
    access_template_create(actor)
    rows = _clean_fields(fields)
    duty = None
    if duty_item:
        duty = DutyItem.objects.filter(code=str(duty_item).strip()).first()
        if duty is None:
            raise ValidationError(
                {
                    "duty_item": [
                        _("No duty item %(code)s in the street's list.") % {"code": duty_item}
                    ]
                }
            )
    external_id = (external_id or "").strip() or f"F{timezone.now():%Y%m%d%H%M%S%f}"
    if ReportTemplate.objects.filter(external_id=external_id).exists():
        raise ValidationError(
            {"id": [_("A form with the id %(id)s was received already.") % {"id": external_id}]}
        )
    with transaction.atomic():
        owner = department_get_or_create(actor=actor, name=department)
        template = ReportTemplate(
            external_id=external_id[:64],
            department=owner,
            title=(title or "").strip()[:200],
            period=period,
            due_days=due_days,
            duty_item=duty,
            source=source,
            layout=layout,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        template.full_clean()
        template.save()
        by_id: dict[str, TemplateField] = {}
        for position, row in enumerate(rows, start=1):
            field = TemplateField.objects.create(
                template=template,
                external_id=row["id"],
                label=row["label"],
                position=position,
                parent=by_id.get(row["parent"]),
            )
            by_id[row["id"]] = field
        verdict = _review(template, list(by_id.values()))
        audit_record(
            actor=actor,
            action="reporting.template_create",
            obj=template,
            details={
                "source": source,
                "fields": len(rows),
                "rejected": template.rejected,
                "filing_needed": template.filing_needed,
                "answered_from_data": bool(getattr(verdict, "answered_from_data", False)),
            },
        )
    return template


def _review(template: ReportTemplate, fields: list[TemplateField]):
    """Run the engine on the form, keep each field's proposal, and find its duplicates."""
    from reporting.review import review_form

    catalogue = catalogue_selectors.review_catalogue()
    verdict = review_form(template.as_form(fields), catalogue)
    elements = {e.code: e for e in DataElement.objects.all()}
    by_id = {f.external_id: f for f in fields}
    reviews = []
    for fv in verdict.fields:
        field = by_id.get(fv.field_id)
        if field is None:
            continue
        mapped = fv.relation in MAPPED and fv.element in elements
        derivation = None
        if fv.derivation is not None:
            derivation = {
                "kind": fv.derivation.kind,
                "elements": list(fv.derivation.elements),
                "window": fv.derivation.window,
            }
        reviews.append(
            FieldReview(
                field=field,
                proposed_element=elements.get(fv.element) if mapped else None,
                proposed_relation=fv.relation,
                looks_like=elements.get(fv.looks_like) if fv.looks_like else None,
                derivation=derivation,
                agrees=list(fv.agrees or []),
                differs=list(fv.differs or []),
                reason=fv.reason or "",
                confidence=float(fv.confidence or 0),
                answerable=bool(fv.answerable) and mapped,
                element=elements.get(fv.element) if mapped else None,
                relation=fv.relation if mapped or fv.relation not in MAPPED else Relation.NEW,
            )
        )
    FieldReview.objects.bulk_create(reviews)
    template.rejected = bool(verdict.rejected)
    template.filing_needed = bool(verdict.filing_needed) and not verdict.rejected
    template.save(update_fields=["rejected", "filing_needed"])
    if not template.rejected:
        mine = {r.element.code for r in reviews if r.element_id and r.relation in MAPPED}
        _duplicates_record(template, mine)
    return verdict


def _duplicates_record(template: ReportTemplate, mine: set[str]) -> None:
    """Run the engine's duplicate finder over this form and the forms received before (not
    rejected), each read as the elements of its mappings in force."""
    from reporting.review import FieldVerdict, FormVerdict, find_duplicates

    if len(mine) < 2:
        return
    earlier: dict[int, set[str]] = {}
    rows = (
        FieldReview.objects.filter(
            field__template__rejected=False,
            relation__in=MAPPED,
            element__isnull=False,
        )
        .exclude(field__template=template)
        .values_list("field__template_id", "element__code")
    )
    for template_id, code in rows:
        earlier.setdefault(template_id, set()).add(code)

    def verdict(form_id, codes):
        return FormVerdict(
            form_id=str(form_id),
            fields=[
                FieldVerdict(field_id=code, label=code, element=code, relation=Relation.SAME)
                for code in sorted(codes)
            ],
        )

    forms = [verdict(pk, codes) for pk, codes in sorted(earlier.items()) if len(codes) >= 2]
    forms.append(verdict(template.pk, mine))
    me = str(template.pk)
    TemplateDuplicate.objects.bulk_create(
        TemplateDuplicate(
            template=template,
            repeats_id=int(pair.b if pair.a == me else pair.a),
            kind=pair.kind,
            shared=list(pair.shared),
        )
        for pair in find_duplicates(forms)
        if me in (pair.a, pair.b)
    )


def _decide(*, actor, review: FieldReview, decision: str, element, relation: str) -> FieldReview:
    with transaction.atomic():
        locked = (
            FieldReview.objects.select_for_update(of=("self",))
            .select_related("field__template", "element")
            .get(pk=review.pk)
        )
        before = [
            locked.decision,
            locked.element.code if locked.element_id else None,
            locked.relation,
        ]
        locked.decision = decision
        locked.element = element if relation in MAPPED else None
        locked.relation = relation
        locked.decided_by = actor if actor is not None and actor.is_authenticated else None
        locked.decided_at = timezone.now()
        locked.save(update_fields=["decision", "element", "relation", "decided_by", "decided_at"])
        if decision in (FieldReview.Decision.CONFIRMED, FieldReview.Decision.CORRECTED):
            alias_learn(
                actor=actor,
                label=locked.field.label,
                element=locked.element,
                relation=relation,
                source_field=locked.field,
            )
        audit_record(
            actor=actor,
            action=f"reporting.field_review_{decision}",
            obj=locked.field.template,
            details={
                "field": locked.field.external_id,
                "from": before,
                "to": [
                    decision,
                    element.code if element and relation in MAPPED else None,
                    relation,
                ],
            },
        )
    return locked


def field_review_confirm(*, actor, review: FieldReview) -> FieldReview:
    """The proposal is right: keep it, and learn the label as an alias. A look-alike is
    confirmed as unmapped (the label then stays unmapped on the next form too)."""
    access_field_review_confirm(actor, review)
    element = review.proposed_element if review.proposed_relation in MAPPED else None
    return _decide(
        actor=actor,
        review=review,
        decision=FieldReview.Decision.CONFIRMED,
        element=element,
        relation=review.proposed_relation,
    )


def field_review_correct(
    *, actor, review: FieldReview, element: DataElement | None, relation: str
) -> FieldReview:
    """The cadre's mapping instead of the proposal: an element with same or derivable, or
    nothing (new, or a look-alike); learned as an alias."""
    access_field_review_confirm(actor, review)
    if relation not in Relation.values:
        raise ValidationError({"relation": [_("Choose how the field relates to the catalogue.")]})
    if relation in MAPPED and element is None:
        raise ValidationError({"element": [_("Choose the data element this field asks for.")]})
    return _decide(
        actor=actor,
        review=review,
        decision=FieldReview.Decision.CORRECTED,
        element=element if relation in MAPPED else None,
        relation=relation,
    )


def field_review_hold(*, actor, review: FieldReview) -> FieldReview:
    """Not sure: the field stays unmapped (asked of the communities), and nothing is learned."""
    access_field_review_confirm(actor, review)
    return _decide(
        actor=actor,
        review=review,
        decision=FieldReview.Decision.HELD,
        element=None,
        relation=review.proposed_relation
        if review.proposed_relation not in MAPPED
        else Relation.NEW,
    )


def template_file(*, actor, template: ReportTemplate, note: str) -> ReportTemplate:
    """Record the case-by-case filing (备案) of a form that cites no duty item."""
    access_template_file(actor, template)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say what was filed, with whom and why.")]})
    with transaction.atomic():
        locked = ReportTemplate.objects.select_for_update().get(pk=template.pk)
        if not locked.filing_needed:
            raise ValidationError(_("This form cites a duty item: no filing is needed."))
        if locked.filed:
            raise ReviewConflict(_("The filing of this form was recorded already."))
        locked.filing_note = note
        locked.filed_by = actor if actor is not None and actor.is_authenticated else None
        locked.filed_at = timezone.now()
        locked.save(update_fields=["filing_note", "filed_by", "filed_at"])
        audit_record(
            actor=actor, action="reporting.template_file", obj=locked, details={"note": note}
        )
    return locked
