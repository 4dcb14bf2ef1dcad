"""Family-doctor contracts (家庭医生签约): sign, renew, switch, lapse, and the expiry reminders.

    sign ──▶ active ──▶ renewed   (a new contract follows at the same clinic, from end + 1 day)
                    ├─▶ switched  (a new contract at another clinic; the old one ends the day
                    │              before the new one starts)
                    └─▶ lapsed    (the term ran out and nobody renewed; the daily task does it)
    a lapsed contract may still be renewed or switched (the history keeps the link).

Who may do what is each write's gate (services/contracts/policy.py): sign for the street and
a clinic's staff, renew and lapse for whoever may change the contract, switch for the street
only. What a clinic's staff may sign is checked here, as field errors: only for their own clinic
and only a resident referred to it for a family doctor (a referral for a `family_doctor` item
assigned to their organisation, accepted or in service). Every new contract (signed, renewed,
switched) needs the clinic's partner agreement in force on the day it starts
(`Partner.agreement_problem`): a field error on `partner` otherwise.

One active contract per resident: a clear field error here, and the partial unique index
`family_doctor_one_active_per_resident` as the backstop when two signings race (its
IntegrityError becomes the same field error). Every write is atomic and audited; renew,
switch and lapse lock the contract (`select_for_update`) and answer a contract that is no
longer in a state that allows the change with ContractConflict (409 in the API).

The daily task (services/contracts/tasks.py, actor None) lapses the expired contracts in one
UPDATE and sends the expiry reminders set-wise: a constant number of queries however many
contracts end soon, one notification per recipient, contract and end date (the dedup key).
"""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.selectors import grid_current_workers
from portal.audit import audit_record
from portal.models import Notification
from portal.notifications import notifications_send_many
from portal.schedules import scheduled_once
from services.catalogue.models import Partner, ServiceItem
from services.catalogue.selectors import partner_staff_ids
from services.contracts.models import BASIC_PACKAGE, RENEWABLE, FamilyDoctorContract
from services.contracts.policy import (
    access_family_doctor_contract_lapse,
    access_family_doctor_contract_reminders_send,
    access_family_doctor_contract_renew,
    access_family_doctor_contract_sign,
    access_family_doctor_contract_switch,
    access_family_doctor_contracts_daily,
    access_family_doctor_contracts_lapse_expired,
)
from services.contracts.selectors import (
    family_doctor_clinics,
    family_doctor_contracts_expiring,
    signing_referrals,
)
from services.referrals.models import Referral

Status = FamilyDoctorContract.Status

ONE_ACTIVE_CONSTRAINT = "family_doctor_one_active_per_resident"
DAILY_TASK = "services.family_doctor_contracts_daily"

ACTIVE_EXISTS = gettext_lazy(
    "This resident already has an active family-doctor contract. Renew it, or ask the street "
    "office to switch it to another clinic."
)


class ContractConflict(Exception):
    """The contract is no longer in a state that allows this change (someone else moved it)."""


# --- Checks ----------------------------------------------------------------------------------


def _partner_errors(actor, partner: Partner, *, start_date: date | None, today: date) -> list:
    if not family_doctor_clinics().filter(pk=partner.pk).exists():
        return [_("Choose a clinic that provides family doctors in the service catalogue.")]
    if actor.is_partner_staff and not actor.acts_for(partner):
        return [_("You may sign contracts only for your own clinic.")]
    return _agreement_errors(partner, start_date=start_date, today=today)


def _agreement_errors(partner: Partner, *, start_date: date | None, today: date) -> list:
    """A new contract needs the clinic's agreement in force on the day it starts (today, for
    one that starts in the past: a lapsed contract renewed late)."""
    day = max(start_date, today) if start_date else today
    problem = partner.agreement_problem(day)
    return [problem] if problem else []


def _signing_referral(*, actor, resident, partner, referral, errors: dict):
    """The referral to link to the contract; records what is wrong in `errors`."""
    if actor.is_partner_staff:
        candidates = signing_referrals(resident=resident, partner=partner)
        if referral is not None:
            if not candidates.filter(pk=referral.pk).exists():
                errors["referral"] = [
                    _(
                        "This referral does not let your clinic sign this resident: it must be "
                        "a family-doctor referral assigned to your clinic, accepted or in service."
                    )
                ]
            return referral
        found = candidates.first()
        if found is None:
            errors["resident"] = [
                _(
                    "Your clinic may sign only a resident referred to it for a family doctor "
                    "(accepted or in service)."
                )
            ]
        return found
    if referral is not None and (
        referral.resident_id != resident.pk
        or referral.service_item.category != ServiceItem.Category.FAMILY_DOCTOR
    ):
        errors["referral"] = [_("Link a family-doctor referral of this resident.")]
    return referral


def _active_contract_exists(resident_id: int, *, exclude_pk: int | None = None) -> bool:
    queryset = FamilyDoctorContract.objects.active().filter(resident_id=resident_id)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


def _validate(contract: FamilyDoctorContract, errors: dict, *, today: date) -> None:
    """The model's rules (term of a year or more, lengths) plus: not already over."""
    try:
        # The one-active rule is checked by the caller with a clearer message; the database
        # enforces it anyway. clean() states the term rule better than the check constraint.
        contract.full_clean(validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if contract.end_date and contract.end_date < today and "end_date" not in errors:
        errors.setdefault("end_date", []).append(_("The term must not be over already."))
    if errors:
        raise ValidationError(errors)


def _insert(contract: FamilyDoctorContract) -> None:
    """Save a new active contract; a concurrent signing that won turns into the field error."""
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError as exc:
        if ONE_ACTIVE_CONSTRAINT in str(exc):
            raise ValidationError({"resident": [ACTIVE_EXISTS]}) from exc
        raise


def _lock(contract: FamilyDoctorContract) -> FamilyDoctorContract:
    return (
        FamilyDoctorContract.objects.select_for_update(of=("self",))
        .select_related("resident", "partner")
        .get(pk=contract.pk)
    )


# --- Writes ----------------------------------------------------------------------------------


def family_doctor_contract_sign(
    *,
    actor,
    resident,
    partner: Partner,
    doctor_name: str,
    start_date: date,
    end_date: date,
    referral: Referral | None = None,
    package: str = BASIC_PACKAGE,
) -> FamilyDoctorContract:
    """Sign a resident with a clinic's family doctor for a year or more.

    All field errors come at once (resident, partner, referral, dates, doctor). A partner's
    staff who name no referral get the resident's newest qualifying one linked.
    """
    access_family_doctor_contract_sign(actor)
    from grids.models import Resident

    today = timezone.localdate()
    errors: dict[str, list] = {}
    living = Resident.objects.filter(pk=resident.pk, deceased_date__isnull=True)
    if not living.exists():
        errors["resident"] = [_("Choose a living resident of the registry.")]
    partner_errors = _partner_errors(actor, partner, start_date=start_date, today=today)
    if partner_errors:
        errors["partner"] = partner_errors
    referral = _signing_referral(
        actor=actor, resident=resident, partner=partner, referral=referral, errors=errors
    )
    if "resident" not in errors and _active_contract_exists(resident.pk):
        errors["resident"] = [ACTIVE_EXISTS]
    contract = FamilyDoctorContract(
        resident=resident,
        partner=partner,
        doctor_name=(doctor_name or "").strip(),
        package=package or BASIC_PACKAGE,
        start_date=start_date,
        end_date=end_date,
        status=Status.ACTIVE,
        referral=referral,
        created_by=actor,
    )
    _validate(contract, errors, today=today)
    with transaction.atomic():
        _insert(contract)
        audit_record(
            actor=actor,
            action="family_doctor_contract.sign",
            obj=contract,
            details={
                "resident": resident.pk,
                "partner": partner.pk,
                "referral": referral.pk if referral else None,
                "package": contract.package,
                "start": start_date.isoformat(),
                "end": end_date.isoformat(),
            },
        )
    return contract


def family_doctor_contract_renew(
    *,
    actor,
    contract: FamilyDoctorContract,
    end_date: date,
    doctor_name: str | None = None,
    package: str | None = None,
) -> FamilyDoctorContract:
    """Renew at the same clinic: a new contract from the old end date + 1; the old one renewed.
    The package stays the same unless another is chosen.

    Allowed while the contract is active, or after it lapsed (nobody renewed in time). Returns
    the new contract.
    """
    access_family_doctor_contract_renew(actor, contract)
    today = timezone.localdate()
    with transaction.atomic():
        old = _lock(contract)
        if old.status not in RENEWABLE:
            raise ContractConflict(
                _("This contract is now “%(status)s”: it can no longer be renewed.")
                % {"status": old.get_status_display()}
            )
        errors: dict[str, list] = {}
        if not family_doctor_clinics().filter(pk=old.partner_id).exists():
            errors["partner"] = [_("This clinic no longer provides family doctors.")]
        else:
            agreement_errors = _agreement_errors(
                old.partner, start_date=old.end_date + timedelta(days=1), today=today
            )
            if agreement_errors:
                errors["partner"] = agreement_errors
        if old.status == Status.LAPSED and _active_contract_exists(old.resident_id):
            errors["resident"] = [ACTIVE_EXISTS]
        new = FamilyDoctorContract(
            resident=old.resident,
            partner=old.partner,
            doctor_name=(doctor_name or "").strip() or old.doctor_name,
            package=package or old.package,
            start_date=old.end_date + timedelta(days=1),
            end_date=end_date,
            status=Status.ACTIVE,
            previous=old,
            referral=old.referral,
            created_by=actor,
        )
        _validate(new, errors, today=today)
        previous_status = old.status
        old.status = Status.RENEWED
        old.ended_on = old.ended_on or old.end_date
        old.save(update_fields=["status", "ended_on"])  # first: the new one is the active one
        _insert(new)
        audit_record(
            actor=actor,
            action="family_doctor_contract.renew",
            obj=old,
            details={
                "from": previous_status,
                "new": new.pk,
                "end": end_date.isoformat(),
                "package": new.package,
            },
        )
    return new


def family_doctor_contract_switch(
    *,
    actor,
    contract: FamilyDoctorContract,
    partner: Partner,
    doctor_name: str,
    start_date: date,
    end_date: date,
    package: str | None = None,
) -> FamilyDoctorContract:
    """Move the resident to another clinic: a new contract there (the same package unless
    another is chosen); the old one ends the day before (or stays ended on the day it
    lapsed). Returns the new contract."""
    access_family_doctor_contract_switch(actor, contract)
    today = timezone.localdate()
    with transaction.atomic():
        old = _lock(contract)
        if old.status not in RENEWABLE:
            raise ContractConflict(
                _("This contract is now “%(status)s”: it can no longer be switched.")
                % {"status": old.get_status_display()}
            )
        errors: dict[str, list] = {}
        if partner.pk == old.partner_id:
            errors["partner"] = [_("Choose another clinic; at the same clinic, renew instead.")]
        else:
            partner_errors = _partner_errors(actor, partner, start_date=start_date, today=today)
            if partner_errors:
                errors["partner"] = partner_errors
        if start_date is not None and start_date <= old.start_date:
            errors["start_date"] = [
                _("The new contract must start after the old one started (%(date)s).")
                % {"date": old.start_date.isoformat()}
            ]
        if old.status == Status.LAPSED and _active_contract_exists(old.resident_id):
            errors["resident"] = [ACTIVE_EXISTS]
        new = FamilyDoctorContract(
            resident=old.resident,
            partner=partner,
            doctor_name=(doctor_name or "").strip(),
            package=package or old.package,
            start_date=start_date,
            end_date=end_date,
            status=Status.ACTIVE,
            previous=old,
            created_by=actor,
        )
        _validate(new, errors, today=today)
        previous_status = old.status
        if old.status == Status.ACTIVE:
            old.ended_on = min(start_date - timedelta(days=1), old.end_date)
        old.status = Status.SWITCHED
        old.save(update_fields=["status", "ended_on"])
        _insert(new)
        audit_record(
            actor=actor,
            action="family_doctor_contract.switch",
            obj=old,
            details={"from": previous_status, "new": new.pk, "partner": partner.pk},
        )
    return new


def family_doctor_contract_lapse(
    *, actor=None, contract: FamilyDoctorContract, today: date | None = None
) -> FamilyDoctorContract:
    """End an active contract without a successor (actor None: the daily task).

    After its term it ends on its end date; by hand before the end (the resident died or moved
    away) it ends today.
    """
    access_family_doctor_contract_lapse(actor, contract)
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock(contract)
        if locked.status != Status.ACTIVE:
            raise ContractConflict(
                _("This contract is now “%(status)s”: it can no longer lapse.")
                % {"status": locked.get_status_display()}
            )
        locked.status = Status.LAPSED
        locked.ended_on = locked.end_date if locked.end_date < today else today
        locked.save(update_fields=["status", "ended_on"])
        audit_record(
            actor=actor,
            action="family_doctor_contract.lapse",
            obj=locked,
            details={"ended_on": locked.ended_on.isoformat()},
        )
    return locked


def family_doctor_contracts_lapse_expired(*, actor=None, today: date) -> int:
    """Every active contract whose term ended before `today` lapses, in one UPDATE (the daily
    task's work: actor None).

    Rows are locked in primary-key order first, so a renewal racing this either finishes
    before (and the contract is no longer active) or waits. Returns how many lapsed.
    """
    access_family_doctor_contracts_lapse_expired(actor)
    with transaction.atomic():
        expired = list(
            FamilyDoctorContract.objects.select_for_update()
            .filter(status=Status.ACTIVE, end_date__lt=today)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not expired:
            return 0
        FamilyDoctorContract.objects.filter(pk__in=expired).update(
            status=Status.LAPSED, ended_on=F("end_date"), updated_at=timezone.now()
        )
        audit_record(
            actor=None,
            action="family_doctor_contract.lapse_expired",
            details={"date": today.isoformat(), "contracts": expired},
        )
    return len(expired)


# --- Expiry reminders ------------------------------------------------------------------------

REMINDER_BATCH_SIZE = 1000


def family_doctor_contract_reminders_send(
    *, actor=None, today: date, batch_size: int = REMINDER_BATCH_SIZE
) -> dict:
    """Tell the clinic's staff and the resident's grid worker that a term ends soon.

    Active contracts ending within FAMILY_DOCTOR_EXPIRY_REMINDER_DAYS of `today` (today
    included). One notification per recipient, contract and end date
    (`fdc-expiry:<contract>:<end date>`), however often this runs; a renewal has a new contract
    and end date, so it is reminded again a year later.

    Queries: the contracts, the clinics' staff, the grids' current workers, then per batch of
    `batch_size` notifications one for the keys already sent and one insert — constant for
    any number of contracts up to a batch.
    """
    access_family_doctor_contract_reminders_send(actor)
    contracts = family_doctor_contracts_expiring(today=today)
    if not contracts:
        return {"expiring": 0, "sent": 0}
    staff = partner_staff_ids({row[3] for row in contracts})
    workers = grid_current_workers(
        grid_ids={row[6] for row in contracts if row[6] is not None}, on=today
    )
    sent = 0
    pending: list[Notification] = []
    contract_type = ContentType.objects.get_for_model(FamilyDoctorContract)
    with translation.override(settings.LANGUAGE_CODE):
        for pk, end_date, doctor, partner_id, clinic, name, grid_id in contracts:
            values = {
                "name": name,
                "clinic": clinic,
                "doctor": doctor,
                "date": end_date.isoformat(),
                "days": (end_date - today).days,
            }
            title = _("Family-doctor contract of %(name)s ends on %(date)s") % values
            body = (
                _(
                    "The contract of %(name)s with %(clinic)s (doctor %(doctor)s) ends on "
                    "%(date)s, in %(days)s days. Talk with the resident about renewing it or "
                    "switching to another clinic."
                )
                % values
            )
            url = reverse("services:contract-detail", args=[pk])
            key = f"fdc-expiry:{pk}:{end_date.isoformat()}"
            recipients = set(staff.get(partner_id, ()))
            worker = workers.get(grid_id)
            if worker is not None:
                recipients.add(worker)
            for recipient_id in sorted(recipients):
                pending.append(
                    Notification(
                        recipient_id=recipient_id,
                        title=title[:200],
                        body=body,
                        url=url,
                        object_type=contract_type,
                        object_id=pk,
                        dedup_key=key,
                    )
                )
                if len(pending) >= batch_size:
                    sent += len(notifications_send_many(pending))
                    pending.clear()
        sent += len(notifications_send_many(pending))
    return {"expiring": len(contracts), "sent": sent}


def family_doctor_contracts_daily(*, actor=None, today: date) -> dict:
    """The daily run: lapse the expired contracts, then send the expiry reminders; once per day
    however often beat delivers it (`scheduled_once`, slot = the date)."""
    access_family_doctor_contracts_daily(actor)

    def work():
        lapsed = family_doctor_contracts_lapse_expired(today=today)
        return {"lapsed": lapsed, **family_doctor_contract_reminders_send(today=today)}

    return scheduled_once(task=DAILY_TASK, slot=today.isoformat(), work=work)
