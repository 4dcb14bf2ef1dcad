"""Filing a visit, with the needs it raised. Gated, atomic, validated, audited."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Household, Resident, Visit, VisitNeed
from grids.policy import access_visit_need_set_status, access_visit_record
from portal.audit import audit_record


def visit_record(
    *,
    actor,
    resident: Resident | None = None,
    household: Household | None = None,
    mode: str = Visit.Mode.HOME,
    visited_at=None,
    outcome: str = Visit.Outcome.MET,
    findings: str = "",
    risk_flags: list[str] | tuple[str, ...] = (),
    major_event: str = "",
    photo=None,
    needs: list[dict] | tuple[dict, ...] = (),
) -> Visit:
    """File a visit to a resident (or to a whole household) and the needs it raised.

    The gate wants the subject's household within the actor's scope, so no caller can file a
    visit for another grid's resident. Each need
    (`{"category": ..., "description": ..., "resident": optional}`) is assigned to the actor,
    who follows it up until it is referred or resolved. The next due date follows from the
    visit (grids/cadence.py); nothing else needs updating.
    """
    access_visit_record(actor, household or getattr(resident, "household", None))
    if resident is None and household is None:
        raise ValidationError({"resident": _("Choose the resident or the household you visited.")})
    household = household or resident.household
    if household is None:
        raise ValidationError({"resident": _("This resident belongs to no household yet.")})
    with transaction.atomic():
        visit = Visit(
            household=household,
            resident=resident,
            visitor=actor,
            mode=mode,
            visited_at=visited_at or timezone.now(),
            outcome=outcome or Visit.Outcome.MET,
            findings=findings,
            risk_flags=list(risk_flags),
            major_event=major_event or "",
        )
        if photo:
            visit.photo = photo
        visit.full_clean()
        visit.save()
        created_needs = []
        for index, need in enumerate(needs):
            need_resident = need.get("resident") or resident
            if need_resident is not None and need_resident.household_id != household.pk:
                raise ValidationError(
                    {
                        "needs": _("Need %(n)d is for someone outside this household.")
                        % {"n": index + 1}
                    }
                )
            item = VisitNeed(
                visit=visit,
                resident=need_resident,
                category=need["category"],
                description=need.get("description", ""),
                assignee=actor,
            )
            item.full_clean()
            created_needs.append(item)
        VisitNeed.objects.bulk_create(created_needs)
        audit_record(
            actor=actor,
            action="visit.create",
            obj=visit,
            details={
                "needs": len(created_needs),
                "outcome": visit.outcome,
                "risk_flags": visit.risk_flags,
                "major_event": visit.major_event,
            },
        )
    return visit


def visit_need_set_status(*, actor, need: VisitNeed, status: str) -> VisitNeed:
    """Mark a need referred, resolved or closed (raising a referral from it sets 'referred')."""
    access_visit_need_set_status(actor, need)
    if status not in VisitNeed.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    with transaction.atomic():
        need = VisitNeed.objects.select_for_update().get(pk=need.pk)
        previous = need.status
        need.status = status
        need.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="visit_need.status",
            obj=need,
            details={"from": previous, "to": status},
        )
    return need
