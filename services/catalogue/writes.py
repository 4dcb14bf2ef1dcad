"""Writes of the catalogue room: partner organisations, their staff, the service catalogue.

Each function opens with its gate (services/catalogue/policy.py), validates with `full_clean()`
and writes one audit event in its transaction.
"""

from datetime import date

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.audit import audit_record
from portal.grants import jurisdiction_grant, jurisdiction_revoke
from portal.models import Notification, User
from portal.notifications import notifications_send_many
from portal.schedules import scheduled_once
from services.catalogue.eligibility import rule_validate
from services.catalogue.models import Partner, ServiceItem
from services.catalogue.policy import (
    access_partner_agreement_reminders_send,
    access_partner_agreements_daily,
    access_partner_create,
    access_partner_staff_bind,
    access_partner_staff_unbind,
    access_partner_update,
    access_service_item_create,
    access_service_item_update,
)
from services.catalogue.selectors import partner_staff_ids, partners_agreement_ending

AGREEMENTS_DAILY_TASK = "services.partner_agreements_daily"


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


# --- Agreements ending ------------------------------------------------------------------------


def partner_agreement_reminders_send(*, actor=None, today: date) -> dict:
    """Tell the street staff and the partner's own staff that its agreement ends soon.

    Partners whose agreement ends within PARTNER_AGREEMENT_REMINDER_DAYS of `today` (today
    included): after that day the partner is given no new referrals or contracts
    (`Partner.agreement_problem`). One notification per recipient, partner and end date
    (`partner-agreement:<partner>:<end date>`), however often this runs; an agreement extended
    to a new end date is reminded again before that one.

    Queries: the partners, the street staff, the partners' staff, then two for the keys
    already sent and the insert — constant in the number of partners and people.
    """
    access_partner_agreement_reminders_send(actor)
    ending = partners_agreement_ending(
        today=today, within_days=settings.PARTNER_AGREEMENT_REMINDER_DAYS
    )
    if not ending:
        return {"ending": 0, "sent": 0}
    street = list(User.objects.street_staff().order_by("pk").values_list("pk", flat=True))
    staff = partner_staff_ids({pk for pk, _name, _end in ending})
    partner_type = ContentType.objects.get_for_model(Partner)
    pending: list[Notification] = []
    with translation.override(settings.LANGUAGE_CODE):
        for pk, name, end in ending:
            days = (end - today).days
            values = {
                "name": name,
                "date": end.isoformat(),
                "when": _("today")
                if days == 0
                else ngettext("in %(days)s day", "in %(days)s days", days) % {"days": days},
            }
            title = _("The agreement with %(name)s ends on %(date)s") % values
            bodies = {
                "street": _(
                    "The agreement with %(name)s ends on %(date)s (%(when)s). After that day it "
                    "is given no new referrals or family-doctor contracts: the street "
                    "administrator records the renewed agreement period on its page in time."
                )
                % values,
                "partner": _(
                    "Your organisation's agreement with the street office ends on %(date)s "
                    "(%(when)s). After that day no new referrals or contracts are given to it: "
                    "talk with the street office about renewing it."
                )
                % values,
            }
            url = reverse("services:partner-detail", args=[pk])
            key = f"partner-agreement:{pk}:{end.isoformat()}"
            recipients = [(user, "street") for user in street]
            recipients += [(user, "partner") for user in staff.get(pk, ())]
            for recipient_id, who in recipients:
                pending.append(
                    Notification(
                        recipient_id=recipient_id,
                        title=title[:200],
                        body=bodies[who],
                        url=url,
                        object_type=partner_type,
                        object_id=pk,
                        dedup_key=key,
                    )
                )
        sent = len(notifications_send_many(pending))
    return {"ending": len(ending), "sent": sent}


def partner_agreements_daily(*, actor=None, today: date) -> dict:
    """The daily run of the agreement reminders; once per day however often beat delivers it
    (`scheduled_once`, slot = the date)."""
    access_partner_agreements_daily(actor)
    return scheduled_once(
        task=AGREEMENTS_DAILY_TASK,
        slot=today.isoformat(),
        work=lambda: partner_agreement_reminders_send(today=today),
    )
