"""Writes of the catalogue room: partner organisations, their staff, the service catalogue.

Each function opens with its gate (services/catalogue/policy.py), validates with `full_clean()`
and writes one audit event in its transaction.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from portal.audit import audit_record
from portal.grants import jurisdiction_grant, jurisdiction_revoke
from services.catalogue.eligibility import rule_validate
from services.catalogue.models import Partner, ServiceItem
from services.catalogue.policy import (
    access_partner_create,
    access_partner_staff_bind,
    access_partner_staff_unbind,
    access_partner_update,
    access_service_item_create,
    access_service_item_update,
)


def partner_create(*, actor, **fields) -> Partner:
    """Register a partner organisation after validating its unified social credit code."""
    access_partner_create(actor)
    with transaction.atomic():
        partner = Partner(**fields)
        partner.full_clean()
        partner.save()
        audit_record(actor=actor, action="partner.create", obj=partner)
    return partner


def partner_staff_bind(*, actor, person, partner: Partner) -> None:
    """Bind a partner_staff account to its one organisation (binding again changes nothing)."""
    access_partner_staff_bind(actor, partner)
    jurisdiction_grant(actor=actor, user=person, perm="services.act_for_partner", obj=partner)


PARTNER_EDITABLE = ("name", "uscc", "kind", "agreement_start", "agreement_end", "dpa_signed")


def partner_update(*, actor, partner: Partner, **fields) -> Partner:
    """Change a partner's registration; the unified social credit code is validated again."""
    access_partner_update(actor, partner)
    unknown = set(fields) - set(PARTNER_EDITABLE)
    if unknown:
        raise TypeError(f"not editable on a partner: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.full_clean()
        before = Partner.objects.values(*fields).get(pk=partner.pk) if fields else {}
        changed = {
            name: [str(before[name]), str(getattr(locked, name))]
            for name in fields
            if before[name] != getattr(locked, name)
        }
        if changed:
            locked.save(update_fields=list(changed))
            audit_record(actor=actor, action="partner.update", obj=locked, details=changed)
    return locked


def partner_staff_unbind(*, actor, person, partner: Partner) -> bool:
    """Take an account off its organisation: it no longer sees the partner's referrals.
    Returns whether it was bound."""
    access_partner_staff_unbind(actor, partner)
    return jurisdiction_revoke(
        actor=actor, user=person, perm="services.act_for_partner", obj=partner
    )


def _service_item_check(item: ServiceItem) -> None:
    """full_clean plus the eligibility rule, all field errors at once (the model cannot check
    the rule against the tag catalogue itself)."""
    errors: dict[str, list] = {}
    try:
        item.full_clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if "eligibility_rule" not in errors:
        try:
            rule_validate(item.eligibility_rule)
        except ValidationError as exc:
            errors.setdefault("eligibility_rule", []).extend(exc.error_list)
    if errors:
        raise ValidationError(errors)


def service_item_create(*, actor, partners=(), **fields) -> ServiceItem:
    """Add a service to the catalogue, with the partners that provide it.

    The eligibility rule must parse and name existing tag codes (services/catalogue/eligibility.py).
    """
    access_service_item_create(actor)
    with transaction.atomic():
        item = ServiceItem(**fields)
        item.eligibility_rule = (item.eligibility_rule or "").strip()
        _service_item_check(item)
        item.save()
        item.partners.set(partners)
        audit_record(
            actor=actor,
            action="service_item.create",
            obj=item,
            details={"partners": sorted(p.pk for p in item.partners.all())},
        )
    return item


def service_item_update(
    *, actor, service_item: ServiceItem, partners=None, **fields
) -> ServiceItem:
    """Change a catalogue entry; `partners`, when given, replaces the providers."""
    access_service_item_update(actor, service_item)
    allowed = {
        f.name for f in ServiceItem._meta.concrete_fields if f.editable and not f.primary_key
    }
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"not editable on a service item: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        item = ServiceItem.objects.select_for_update().get(pk=service_item.pk)
        changed = {}
        for name, value in fields.items():
            if name == "eligibility_rule":
                value = (value or "").strip()
            if getattr(item, name) != value:
                changed[name] = [str(getattr(item, name)), str(value)]
                setattr(item, name, value)
        _service_item_check(item)
        if changed:
            item.save(update_fields=list(changed))
        if partners is not None:
            before = sorted(item.partners.values_list("pk", flat=True))
            item.partners.set(partners)
            after = sorted(item.partners.values_list("pk", flat=True))
            if before != after:
                changed["partners"] = [before, after]
        if changed:
            audit_record(actor=actor, action="service_item.update", obj=item, details=changed)
    # The caller's instance reflects what was saved.
    for name in fields:
        setattr(service_item, name, getattr(item, name))
    return item
