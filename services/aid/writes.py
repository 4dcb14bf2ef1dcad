"""Writes of bundled aid (包裹式专项资助): funders, bundles and their lines, aid cases, disbursements.

Who may write is each function's gate (services/aid/policy.py): the street registers funders
and bundles and records disbursements; the street and community cadres open, close and cancel
aid cases, for households in their scope. Every function is atomic, validates with
`full_clean()` (bad input: ValidationError with field names, a 400 in the API), and writes one
audit event in the same transaction.

Opening a case that funds an item twice (services/aid/selectors.py explains how) is not
refused: the case comes back with `double_funding`, the list of conflicts, and the audit event
records them.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.notifications import notification_send
from services.aid.models import AidBundle, AidBundleLine, AidCase, Disbursement, Funder
from services.aid.policy import (
    access_aid_bundle_create,
    access_aid_bundle_line_add,
    access_aid_case_cancel,
    access_aid_case_close,
    access_aid_case_open,
    access_disbursement_record,
    access_funder_create,
)
from services.aid.selectors import ZERO, double_funding_among
from services.referrals.models import Referral

Status = AidCase.Status


class AidCaseConflict(Exception):
    """The case is no longer open (someone else closed or cancelled it first): a 409."""


def _period_errors(start, end, *, within: AidBundle | None = None) -> dict:
    """The period's own order and, for a case, its place within the bundle's period."""
    errors = {}
    start = start if isinstance(start, date) else None
    end = end if isinstance(end, date) else None
    if start and end and end < start:
        errors["period_end"] = _("The period must end on or after its start.")
    if within is not None and start and start < within.period_start:
        errors["period_start"] = _("The case cannot start before its bundle (%(date)s).") % {
            "date": within.period_start.isoformat()
        }
    if within is not None and end and end > within.period_end:
        errors["period_end"] = _("The case cannot end after its bundle (%(date)s).") % {
            "date": within.period_end.isoformat()
        }
    return errors


def _merge(errors: dict, exc: ValidationError) -> dict:
    """Add a ValidationError's field messages to `errors` (field -> list of messages)."""
    for field, messages in exc.message_dict.items():
        errors.setdefault(field, []).extend(messages)
    return errors


# --- Funders and bundles ------------------------------------------------------------------------


def funder_create(*, actor, name: str, kind: str, partner=None, uscc: str | None = "") -> Funder:
    """Register who pays for aid lines: a department, a foundation, an enterprise — with its
    unified social credit code when it has one (validated, unique)."""
    access_funder_create(actor)
    with transaction.atomic():
        funder = Funder(name=(name or "").strip(), kind=kind, partner=partner, uscc=uscc)
        funder.full_clean()
        funder.save()
        audit_record(actor=actor, action="funder.create", obj=funder)
    return funder


def _line_details(line: AidBundleLine) -> dict:
    return {"item": line.item, "amount": str(line.amount), "funder": line.funder_id}


def aid_bundle_create(
    *,
    actor,
    name: str,
    period_start: date,
    period_end: date,
    lines: list[dict],
    description: str = "",
) -> AidBundle:
    """Put together a bundle of aid lines (item, amount, funder) for a period; at least one line.

    Two lines for one item are allowed (two funders may share a cost) but every case of the
    bundle will be flagged as double funded; `bundle_repeated_items` names them.
    """
    access_aid_bundle_create(actor)
    bundle = AidBundle(
        name=(name or "").strip(),
        description=description or "",
        period_start=period_start,
        period_end=period_end,
        created_by=actor,
    )
    errors: dict = {}
    try:
        bundle.full_clean(exclude=["created_by"], validate_constraints=False)
    except ValidationError as exc:
        _merge(errors, exc)
    for field, message in _period_errors(bundle.period_start, bundle.period_end).items():
        errors.setdefault(field, []).append(message)
    built = []
    if not lines:
        errors.setdefault("lines", []).append(_("A bundle needs at least one line."))
    for number, data in enumerate(lines or [], start=1):
        line = AidBundleLine(
            item=data.get("item"), amount=data.get("amount"), funder=data.get("funder")
        )
        try:
            line.full_clean(exclude=["bundle"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                label = (
                    AidBundleLine._meta.get_field(field).verbose_name if field != "__all__" else ""
                )
                for message in messages:
                    errors.setdefault("lines", []).append(
                        _("Line %(n)s, %(field)s: %(message)s")
                        % {"n": number, "field": label, "message": message}
                    )
        built.append(line)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        bundle.save()
        for line in built:
            line.bundle = bundle
        AidBundleLine.objects.bulk_create(built)
        audit_record(
            actor=actor,
            action="aid_bundle.create",
            obj=bundle,
            details={"lines": [_line_details(line) for line in built]},
        )
    return bundle


def aid_bundle_line_add(
    *, actor, bundle: AidBundle, item: str, amount: Decimal, funder: Funder
) -> AidBundleLine:
    """Add a line to a bundle; every case of the bundle commits it from now on."""
    access_aid_bundle_line_add(actor, bundle)
    with transaction.atomic():
        line = AidBundleLine(bundle=bundle, item=item, amount=amount, funder=funder)
        line.full_clean()
        line.save()
        audit_record(
            actor=actor,
            action="aid_bundle.line_add",
            obj=bundle,
            details={"line": line.pk, **_line_details(line)},
        )
    return line


# --- Cases ------------------------------------------------------------------------------------


def aid_case_open(
    *,
    actor,
    household,
    bundle: AidBundle,
    beneficiary=None,
    period_start: date | None = None,
    period_end: date | None = None,
    note: str = "",
    referral=None,
) -> AidCase:
    """Give a household in the actor's scope a bundle, for a period within the bundle's own
    (by default the bundle's whole period).

    Returns the case with `double_funding`: the conflicts it makes (selectors.DoubleFunding),
    empty if none. They are recorded in the audit event, not refused.
    """
    access_aid_case_open(actor)
    from grids.models import Household, Resident

    errors: dict = {}
    if not Household.objects.visible_to(actor).filter(pk=household.pk).exists():
        errors["household"] = [_("This household is not in your area.")]
    if not AidBundle.objects.visible_to(actor).filter(pk=bundle.pk).exists():
        errors["bundle"] = [_("This bundle does not exist.")]
    if (
        beneficiary is not None
        and not Resident.objects.visible_to(actor).filter(pk=beneficiary.pk).exists()
    ):
        errors["beneficiary"] = [_("This resident is not in your area.")]
    if (
        referral is not None
        and not Referral.objects.visible_to(actor).filter(pk=referral.pk).exists()
    ):
        errors["referral"] = [_("This referral does not exist.")]
    if errors:
        raise ValidationError(errors)
    case = AidCase(
        household=household,
        bundle=bundle,
        beneficiary=beneficiary,
        period_start=period_start or bundle.period_start,
        period_end=period_end or bundle.period_end,
        status=Status.OPEN,
        note=(note or "").strip(),
        referral=referral,
        created_by=actor,
    )
    try:
        case.full_clean(exclude=["created_by"], validate_constraints=False)
    except ValidationError as exc:
        _merge(errors, exc)
    for field, message in _period_errors(case.period_start, case.period_end, within=bundle).items():
        errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case.save()
        conflicts = double_funding_among(AidCase.objects.all(), cases=[case.pk])
        audit_record(
            actor=actor,
            action="aid_case.open",
            obj=case,
            details={
                "bundle": bundle.pk,
                "period": [case.period_start.isoformat(), case.period_end.isoformat()],
                "double_funding": [conflict.as_dict() for conflict in conflicts],
            },
        )
    case.double_funding = conflicts
    return case


def _case_transition(*, actor, case: AidCase, target: str, action: str, note: str, check=None):
    """Move an open case to `target` on its locked row; a case no longer open is a conflict.
    The caller has asked its gate."""
    with transaction.atomic():
        locked = AidCase.objects.select_for_update(of=("self",)).get(pk=case.pk)
        if locked.status != Status.OPEN:
            raise AidCaseConflict(
                _("This case is now “%(status)s”; only an open case can be changed.")
                % {"status": locked.get_status_display()}
            )
        if check is not None:
            check(locked)
        previous = locked.status
        locked.status = target
        if note:
            stamp = timezone.localdate().isoformat()
            locked.note = f"{locked.note}\n{stamp} {note}".strip()
        locked.full_clean(exclude=["created_by"], validate_constraints=False)
        locked.save(update_fields=["status", "note"])
        audit_record(
            actor=actor,
            action=action,
            obj=locked,
            details={"from": previous, "to": target, "note": note},
        )
    case.status, case.note = locked.status, locked.note
    return locked


def aid_case_close(*, actor, case: AidCase, note: str = "") -> AidCase:
    """The aid is over: nothing more is granted on the case, but it keeps its commitment (money
    still owed on it can be paid) and still counts for double funding over its period — it
    funded those days."""
    access_aid_case_close(actor, case)
    return _case_transition(
        actor=actor,
        case=case,
        target=Status.CLOSED,
        action="aid_case.close",
        note=(note or "").strip(),
    )


def aid_case_cancel(*, actor, case: AidCase, reason: str) -> AidCase:
    """The case should never have been: it commits nothing. Once money was paid on a case it
    can only be closed."""
    access_aid_case_cancel(actor, case)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the case is cancelled.")})

    def check(locked):
        if Disbursement.objects.filter(case=locked).exists():
            raise ValidationError(
                {"reason": _("Money was paid on this case: close it instead of cancelling it.")}
            )

    return _case_transition(
        actor=actor,
        case=case,
        target=Status.CANCELLED,
        action="aid_case.cancel",
        note=reason,
        check=check,
    )


# --- Disbursements ------------------------------------------------------------------------------


def disbursement_record(
    *,
    actor,
    case: AidCase,
    line: AidBundleLine,
    amount: Decimal,
    paid_on: date,
    reference: str = "",
) -> Disbursement:
    """Record money a funder paid on one line of a case.

    The line must be one of the case's bundle, and what is paid on a line for a case never
    exceeds the line's amount. The case row is locked, so two payments on one case are counted
    one after the other and the second sees the first.
    """
    access_disbursement_record(actor, case)
    with transaction.atomic():
        locked = AidCase.objects.select_for_update(of=("self",)).get(pk=case.pk)
        disbursement = Disbursement(
            case=locked,
            line=line,
            amount=amount,
            paid_on=paid_on,
            reference=(reference or "").strip(),
            recorded_by=actor,
        )
        errors: dict = {}
        try:
            # clean() dates the payment: not in the future, not before the case opened.
            disbursement.full_clean(exclude=["case", "line", "recorded_by"])
        except ValidationError as exc:
            _merge(errors, exc)
        if locked.status == Status.CANCELLED:
            errors.setdefault("case", []).append(_("This case was cancelled: nothing is paid."))
        if line.bundle_id != locked.bundle_id:
            errors.setdefault("line", []).append(_("This line is not part of the case's bundle."))
        if "amount" not in errors and "line" not in errors:
            paid = (
                Disbursement.objects.filter(case=locked, line=line).aggregate(total=Sum("amount"))[
                    "total"
                ]
                or ZERO
            )
            remaining = line.amount - paid
            if disbursement.amount > remaining:
                errors["amount"] = [
                    _(
                        "Only %(remaining)s yuan remain on this line "
                        "(%(paid)s of %(total)s already paid)."
                    )
                    % {"remaining": remaining, "paid": paid, "total": line.amount}
                ]
        if errors:
            raise ValidationError(errors)
        disbursement.save()
        audit_record(
            actor=actor,
            action="disbursement.record",
            obj=disbursement,
            details={
                "case": locked.pk,
                "line": line.pk,
                "funder": line.funder_id,
                "amount": str(disbursement.amount),
                "paid_on": disbursement.paid_on.isoformat(),
            },
        )
        if locked.created_by_id != actor.pk:
            notification_send(
                recipient=locked.created_by,
                title=_("Aid paid: %(amount)s yuan for household %(household)s")
                % {"amount": disbursement.amount, "household": locked.household},
                obj=locked,
                url=reverse("services:aid-case-detail", args=[locked.pk]),
                dedup_key=f"aid-disbursement:{disbursement.pk}",
            )
    return disbursement
