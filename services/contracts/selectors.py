"""Reads of family-doctor contracts: each starts from `visible_to(actor)` and owns its joins;
the daily run's reads (for the system, no actor) are at the end."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.hooks import FileSection
from services.catalogue.models import Partner, ServiceItem
from services.catalogue.selectors import partner_list
from services.contracts.models import SIGNING_REFERRAL_STATES, FamilyDoctorContract
from services.referrals.models import Referral


def family_doctor_contract_list(*, actor, action: str = "view"):
    """Contracts the actor may see, with what every list row shows (no query per row)."""
    return FamilyDoctorContract.objects.visible_to(actor, action).select_related(
        "resident__household__grid", "partner", "next"
    )


def family_doctor_contracts_ending_first(*, actor):
    """The contracts page's order: the soonest to end first (those to renew), read from the
    index `contract_ending_first`."""
    return family_doctor_contract_list(actor=actor).order_by("end_date", "pk")


def family_doctor_contract_history(*, actor, contract: FamilyDoctorContract):
    """The resident's contracts the actor may see, oldest first (one query)."""
    return (
        FamilyDoctorContract.objects.visible_to(actor)
        .filter(resident_id=contract.resident_id)
        .select_related("partner")
        .order_by("start_date", "pk")
    )


def family_doctor_clinics():
    """Clinics that provide an active family-doctor item of the catalogue (a lazy queryset)."""
    items = ServiceItem.objects.filter(
        category=ServiceItem.Category.FAMILY_DOCTOR, active=True
    ).values("partners")
    return Partner.objects.filter(kind=Partner.Kind.CLINIC, pk__in=items)


def family_doctor_clinic_choices(*, actor, today=None):
    """Family-doctor clinics the actor may sign for: the street all, partner staff their own;
    not those whose agreement has ended (no new contracts: `Partner.agreement_problem`; one
    that starts later stays, for a contract that starts then)."""
    today = today or timezone.localdate()
    return (
        family_doctor_clinics()
        .filter(pk__in=partner_list(actor=actor).values("pk"))
        .exclude(agreement_end__lt=today)
    )


def clinic_choices(*, actor):
    """Clinics a contract list may be filtered by: those in the actor's scope."""
    return partner_list(actor=actor).filter(kind=Partner.Kind.CLINIC)


def signing_referrals(*, resident, partner: Partner):
    """Referrals that let `partner` sign `resident`: family doctor, assigned to it, in service."""
    return Referral.objects.filter(
        resident=resident,
        partner=partner,
        service_item__category=ServiceItem.Category.FAMILY_DOCTOR,
        status__in=SIGNING_REFERRAL_STATES,
    ).order_by("-created_at", "-pk")


def signing_referral_list(*, actor, limit: int = 50):
    """The family-doctor referrals in the actor's scope that let their clinic sign (a clinic's
    staff pick from these), newest first."""
    return (
        Referral.objects.visible_to(actor)
        .filter(
            service_item__category=ServiceItem.Category.FAMILY_DOCTOR,
            status__in=SIGNING_REFERRAL_STATES,
        )
        .select_related("resident", "service_item")
        .order_by("-created_at", "-pk")[:limit]
    )


# --- For the daily run (the system: no actor, no scope) ----------------------------------------


def family_doctor_contracts_expiring(*, today) -> list[tuple]:
    """(pk, end date, doctor, clinic id, clinic, resident, grid id) of the active contracts
    ending within FAMILY_DOCTOR_EXPIRY_REMINDER_DAYS of `today` (today included)."""
    horizon = today + timedelta(days=settings.FAMILY_DOCTOR_EXPIRY_REMINDER_DAYS)
    return list(
        FamilyDoctorContract.objects.active()
        .filter(end_date__gte=today, end_date__lte=horizon)
        .order_by("end_date", "pk")
        .values_list(
            "pk",
            "end_date",
            "doctor_name",
            "partner_id",
            "partner__name",
            "resident__name",
            "resident__household__grid_id",
        )
    )


# --- The resident's file (portal.hooks.file_sections_register) -------------------------------


def contract_file_section(*, actor, obj, limit: int):
    """The resident's family-doctor contracts the actor sees, newest first. One query."""
    if not actor.has_perm("services.view_familydoctorcontract"):
        return None
    rows = list(
        family_doctor_contract_list(actor=actor)
        .filter(resident=obj)
        .order_by("-start_date", "-id")[: limit + 1]
    )
    return FileSection(
        key="contracts",
        title=_("Family-doctor contracts"),
        template="grids/_file_contracts.html",
        rows=rows[:limit],
        more=len(rows) > limit,
        order=50,
    )
