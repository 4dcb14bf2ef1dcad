"""Writes of services/."""

from django.db import transaction
from guardian.shortcuts import assign_perm

from portal.audit import audit_record
from services.models import Partner


def partner_create(*, actor, **fields) -> Partner:
    """Register a partner organisation after validating its unified social credit code."""
    with transaction.atomic():
        partner = Partner(**fields)
        partner.full_clean()
        partner.save()
        audit_record(actor=actor, action="partner.create", obj=partner)
    return partner


def partner_staff_bind(*, actor, person, partner: Partner) -> None:
    """Bind a partner_staff account to its one organisation (binding again changes nothing)."""
    with transaction.atomic():
        if person.has_perm("services.act_for_partner", partner):
            return
        assign_perm("services.act_for_partner", person, partner)
        audit_record(
            actor=actor, action="partner.bind_staff", obj=partner, details={"user": person.username}
        )
