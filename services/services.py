"""Writes of services/."""

from django.db import transaction

from portal.audit import audit_record
from portal.services import jurisdiction_grant
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
    jurisdiction_grant(actor=actor, user=person, perm="services.act_for_partner", obj=partner)
