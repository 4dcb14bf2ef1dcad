"""Alliances (党建联盟): the writes — alliances, member units, the signed 1+N agreement, the
three lists' items and their state machine, exchange circles and their posts.

    open → claimed → in_progress → done        (withdrawn: from open or claimed)

Each transition is one function for one row of `ITEM_TRANSITIONS` (alliances/models.py): its
gate first (policy.py), then in one transaction the row locked (`select_for_update`), the
*current* status checked (a stale click gets `AllianceItemConflict`, a 409 in the API), the
gate asked again on the locked row, the fields set, `full_clean()`, one audit row, and the
person who posted the item told (portal.notifications, in the same transaction).

Which member an item is posted or claimed for must be one the actor acts for (a field error);
a member never claims its own item (the model's rule).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partybuilding.alliances.models import (
    ITEM_TRANSITIONS,
    Alliance,
    AllianceAgreement,
    AllianceItem,
    AllianceMember,
    ExchangeCircle,
    ExchangeCirclePost,
)
from partybuilding.alliances.policy import (
    ITEM_GATES,
    access_alliance_agreement_create,
    access_alliance_agreement_update,
    access_alliance_create,
    access_alliance_item_claim,
    access_alliance_item_complete,
    access_alliance_item_post,
    access_alliance_item_start,
    access_alliance_item_withdraw,
    access_alliance_member_add,
    access_alliance_member_update,
    access_alliance_update,
    access_circle_create,
    access_circle_post_create,
    access_circle_update,
    circle_orgs_acted_for,
    members_acted_for,
)
from portal.audit import audit_record
from portal.notifications import notification_send

ALLIANCE_EDITABLE = frozenset({"name", "kind", "community", "lead_org", "description", "active"})
MEMBER_EDITABLE = frozenset({"name", "kind", "party_org", "unit_uscc", "joined_on", "left_on"})
AGREEMENT_EDITABLE = frozenset(
    {"title", "signed_on", "term_start", "term_end", "lead", "scanned_copy", "note"}
)
CIRCLE_EDITABLE = frozenset({"name", "description"})


class AllianceItemConflict(Exception):
    """The item is no longer in a state that allows this transition (someone moved it)."""


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _apply(obj, fields: dict, editable: frozenset, what: str) -> list[str]:
    unknown = set(fields) - editable
    if unknown:
        raise TypeError(f"not editable on {what}: {', '.join(sorted(unknown))}")
    changed = []
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


# --- Alliances and their members ---------------------------------------------------------------


def alliance_create(
    *, actor, name: str, kind: str, lead_org, community=None, description: str = ""
) -> Alliance:
    """Found an alliance; its lead organisation becomes its first member unit (so that the lead
    can post and sign the agreement as a member)."""
    access_alliance_create(actor)
    alliance = Alliance(
        name=(name or "").strip(),
        kind=kind,
        lead_org=lead_org,
        community=community,
        description=description or "",
    )
    alliance.full_clean()
    with transaction.atomic():
        alliance.save()
        lead = AllianceMember(
            alliance=alliance,
            name=lead_org.name,
            kind=AllianceMember.Kind.PARTY_ORG,
            party_org=lead_org,
            joined_on=timezone.localdate(),
        )
        lead.full_clean()
        lead.save()
        audit_record(
            actor=_user(actor),
            action="alliance.create",
            obj=alliance,
            details={"kind": kind, "lead_org": lead_org.pk},
        )
    return alliance


def alliance_update(*, actor, alliance: Alliance, **fields) -> Alliance:
    """Change an alliance's details (only the fields given)."""
    access_alliance_update(actor, alliance)
    with transaction.atomic():
        locked = Alliance.objects.select_for_update().get(pk=alliance.pk)
        changed = _apply(locked, fields, ALLIANCE_EDITABLE, "an alliance")
        if not changed:
            return locked
        locked.full_clean()
        locked.save(update_fields=changed)
        audit_record(
            actor=_user(actor), action="alliance.update", obj=locked, details={"fields": changed}
        )
    return locked


def alliance_member_add(
    *,
    actor,
    alliance: Alliance,
    name: str = "",
    kind: str,
    party_org=None,
    unit_uscc: str = "",
    joined_on=None,
) -> AllianceMember:
    """A unit joins the alliance: a Party organisation of the street (named after it by
    default) or an outside unit by name and USCC (checked by portal.validators)."""
    access_alliance_member_add(actor, alliance)
    member = AllianceMember(
        alliance=alliance,
        name=(name or "").strip() or (party_org.name if party_org is not None else ""),
        kind=kind,
        party_org=party_org,
        unit_uscc=(unit_uscc or "").strip(),
        joined_on=joined_on or timezone.localdate(),
    )
    member.full_clean()
    with transaction.atomic():
        member.save()
        audit_record(
            actor=_user(actor),
            action="alliance.member_add",
            obj=member,
            details={"alliance": alliance.pk, "kind": kind},
        )
    return member


def alliance_member_update(*, actor, member: AllianceMember, **fields) -> AllianceMember:
    """Change a member unit (its USCC, or the day it left the alliance)."""
    access_alliance_member_update(actor, member)
    with transaction.atomic():
        locked = AllianceMember.objects.select_for_update().get(pk=member.pk)
        changed = _apply(locked, fields, MEMBER_EDITABLE, "an alliance member")
        if not changed:
            return locked
        locked.full_clean()
        locked.save(update_fields=changed)
        audit_record(
            actor=_user(actor),
            action="alliance.member_update",
            obj=locked,
            details={"fields": changed},
        )
    return locked


def alliance_agreement_create(
    *,
    actor,
    alliance: Alliance,
    title: str,
    signed_on,
    term_start,
    term_end,
    lead: AllianceMember,
    parties=(),
    scanned_copy=None,
    note: str = "",
) -> AllianceAgreement:
    """File the signed 1+N agreement: a lead member and N parties, for a term, with its scan.
    Every party must be a member of the alliance; the lead is not one of the N."""
    access_alliance_agreement_create(actor, alliance)
    parties = list(parties)
    agreement = AllianceAgreement(
        alliance=alliance,
        title=(title or "").strip(),
        signed_on=signed_on,
        term_start=term_start,
        term_end=term_end,
        lead=lead,
        note=note or "",
    )
    if scanned_copy:
        agreement.scanned_copy = scanned_copy
    errors = {}
    try:
        agreement.full_clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    for field, messages in _parties_errors(alliance.pk, lead, parties).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        agreement.save()
        agreement.parties.set(parties)
        audit_record(
            actor=_user(actor),
            action="alliance.agreement_create",
            obj=agreement,
            details={"alliance": alliance.pk, "parties": sorted(p.pk for p in parties)},
        )
    return agreement


def _parties_errors(alliance_id, lead, parties) -> dict:
    errors: dict[str, list] = {}
    if any(party.alliance_id != alliance_id for party in parties):
        errors.setdefault("parties", []).append(_("Every party must be a member of the alliance."))
    if lead is not None and any(party.pk == lead.pk for party in parties):
        errors.setdefault("parties", []).append(_("The lead signs as the 1, not among the N."))
    if not parties:
        errors.setdefault("parties", []).append(_("Name the parties that signed."))
    return errors


def alliance_agreement_update(
    *, actor, agreement: AllianceAgreement, parties=None, **fields
) -> AllianceAgreement:
    """Correct a filed agreement (title, dates, lead, note, a new scan) and, given `parties`,
    its N parties — still members of the alliance, the lead not among them."""
    access_alliance_agreement_update(actor, agreement)
    if fields.get("scanned_copy") is None:
        fields.pop("scanned_copy", None)  # no new scan: keep the one filed
    elif fields["scanned_copy"] is False:
        fields["scanned_copy"] = ""  # the form's "clear" box
    with transaction.atomic():
        locked = AllianceAgreement.objects.select_for_update().get(pk=agreement.pk)
        before_parties = sorted(locked.parties.values_list("pk", flat=True))
        changed = _apply(locked, fields, AGREEMENT_EDITABLE, "an agreement")
        errors = {}
        try:
            locked.full_clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        new_parties = list(parties) if parties is not None else None
        check = new_parties if new_parties is not None else list(locked.parties.all())
        for field, messages in _parties_errors(locked.alliance_id, locked.lead, check).items():
            errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        parties_changed = (
            new_parties is not None and sorted(p.pk for p in new_parties) != before_parties
        )
        if not changed and not parties_changed:
            return locked
        if changed:
            locked.save(update_fields=changed)
        if parties_changed:
            locked.parties.set(new_parties)
            changed.append("parties")
        audit_record(
            actor=_user(actor),
            action="alliance.agreement_update",
            obj=locked,
            details={"fields": changed, "parties": sorted(p.pk for p in check)},
        )
    return locked


# --- List items --------------------------------------------------------------------------------


def alliance_item_post(
    *,
    actor,
    alliance: Alliance,
    kind: str,
    title: str,
    posted_by: AllianceMember,
    description: str = "",
    linked_kind: str = "",
    linked_id: int | None = None,
) -> AllianceItem:
    """A member posts a need, a resource or a project to one of the alliance's lists. A project
    may link to a services referral or activity by kind and number (shown as a link)."""
    access_alliance_item_post(actor, alliance)
    item = AllianceItem(
        alliance=alliance,
        kind=kind,
        title=(title or "").strip(),
        description=description or "",
        posted_by=posted_by,
        linked_kind=linked_kind or "",
        linked_id=linked_id if linked_kind else None,
        created_by=_user(actor),
    )
    item.full_clean()
    if not members_acted_for(actor, alliance).filter(pk=posted_by.pk).exists():
        raise ValidationError({"posted_by": _("Post for a member you act for.")})
    with transaction.atomic():
        item.save()
        audit_record(
            actor=_user(actor),
            action="alliance.item_post",
            obj=item,
            details={"alliance": alliance.pk, "kind": kind, "posted_by": posted_by.pk},
        )
    return item


def _transition(*, name: str, actor, item: AllianceItem, apply) -> AllianceItem:
    sources, target = ITEM_TRANSITIONS[name]
    with transaction.atomic():
        locked = (
            AllianceItem.objects.select_for_update(of=("self",))
            .select_related("alliance", "posted_by", "claimed_by")
            .get(pk=item.pk)
        )
        if locked.status not in sources:
            raise AllianceItemConflict(
                _("This item is now “%(status)s”; it can no longer be changed this way.")
                % {"status": locked.get_status_display()}
            )
        ITEM_GATES[name](actor, locked)
        previous = locked.status
        changed = apply(locked)
        locked.status = target
        locked.full_clean()
        locked.save(update_fields=["status", *changed])
        audit_record(
            actor=_user(actor),
            action=f"alliance.item_{name}",
            obj=locked,
            details={"from": previous, "to": target},
        )
        _notify(name=name, item=locked, actor=actor)
    return locked


def _notify(*, name: str, item: AllianceItem, actor) -> None:
    """Whoever posted the item hears that it was claimed or done."""
    recipient = item.created_by
    if name not in ("claim", "complete") or recipient is None or recipient == _user(actor):
        return
    title = _("%(item)s: %(status)s") % {"item": item.title, "status": item.get_status_display()}
    url = reverse("partybuilding:alliance-item-detail", args=[item.pk])
    notification_send(
        recipient=recipient,
        title=str(title)[:200],
        url=url,
        dedup_key=f"alliance-item:{item.pk}:{name}",
    )


def alliance_item_claim(*, actor, item: AllianceItem, claimed_by: AllianceMember) -> AllianceItem:
    """Another member takes the item on."""
    access_alliance_item_claim(actor, item)
    if not _acts_for(actor, claimed_by, item.alliance_id):
        raise ValidationError({"claimed_by": _("Claim for a member you act for.")})

    def apply(locked):
        locked.claimed_by = claimed_by
        locked.claimed_at = timezone.now()
        return ["claimed_by", "claimed_at"]

    return _transition(name="claim", actor=actor, item=item, apply=apply)


def _acts_for(actor, member, alliance_id) -> bool:
    return (
        member is not None
        and member.alliance_id == alliance_id
        and members_acted_for(actor, alliance_id).filter(pk=member.pk).exists()
    )


def alliance_item_start(*, actor, item: AllianceItem) -> AllianceItem:
    """The claiming member starts the work."""
    access_alliance_item_start(actor, item)

    def apply(locked):
        locked.started_at = timezone.now()
        return ["started_at"]

    return _transition(name="start", actor=actor, item=item, apply=apply)


def alliance_item_complete(*, actor, item: AllianceItem, delivered: str) -> AllianceItem:
    """The claiming member records what was delivered; the item is done."""
    access_alliance_item_complete(actor, item)
    delivered = (delivered or "").strip()
    if not delivered:
        raise ValidationError({"delivered": _("Record what was delivered.")})

    def apply(locked):
        locked.done_at = timezone.now()
        locked.delivered = delivered
        return ["done_at", "delivered"]

    return _transition(name="complete", actor=actor, item=item, apply=apply)


def alliance_item_withdraw(*, actor, item: AllianceItem) -> AllianceItem:
    """The posting member takes an item back before work starts."""
    access_alliance_item_withdraw(actor, item)
    return _transition(name="withdraw", actor=actor, item=item, apply=lambda locked: [])


# --- Exchange circles --------------------------------------------------------------------------


def circle_create(*, actor, name: str, orgs, description: str = "") -> ExchangeCircle:
    """Group neighbouring Party organisations into an exchange circle (党建交流圈)."""
    access_circle_create(actor)
    circle = ExchangeCircle(name=(name or "").strip(), description=description or "")
    circle.full_clean()
    orgs = list(orgs)
    if len(orgs) < 2:
        raise ValidationError({"orgs": _("A circle groups at least two organisations.")})
    with transaction.atomic():
        circle.save()
        circle.orgs.set(orgs)
        audit_record(
            actor=_user(actor),
            action="circle.create",
            obj=circle,
            details={"orgs": sorted(o.pk for o in orgs)},
        )
    return circle


def circle_update(*, actor, circle: ExchangeCircle, orgs=None, **fields) -> ExchangeCircle:
    """Rename or describe a circle and, given `orgs`, change who is in it (at least two). Posts
    of an organisation that leaves stay in the circle's history."""
    access_circle_update(actor, circle)
    with transaction.atomic():
        locked = ExchangeCircle.objects.select_for_update().get(pk=circle.pk)
        changed = _apply(locked, fields, CIRCLE_EDITABLE, "an exchange circle")
        new_orgs = list(orgs) if orgs is not None else None
        if new_orgs is not None and len(new_orgs) < 2:
            raise ValidationError({"orgs": _("A circle groups at least two organisations.")})
        before = sorted(locked.orgs.values_list("pk", flat=True))
        orgs_changed = new_orgs is not None and sorted(o.pk for o in new_orgs) != before
        if not changed and not orgs_changed:
            return locked
        if changed:
            locked.full_clean()
            locked.save(update_fields=changed)
        if orgs_changed:
            locked.orgs.set(new_orgs)
            changed.append("orgs")
        audit_record(
            actor=_user(actor),
            action="circle.update",
            obj=locked,
            details={
                "fields": changed,
                "orgs": sorted(o.pk for o in new_orgs) if new_orgs is not None else before,
            },
        )
    return locked


def circle_post_create(
    *, actor, circle: ExchangeCircle, org, kind: str, title: str, happened_on, body: str = ""
) -> ExchangeCirclePost:
    """An organisation of the circle shares an event or a practice."""
    access_circle_post_create(actor, circle)
    if org is None or not circle_orgs_acted_for(actor, circle).filter(pk=org.pk).exists():
        raise ValidationError({"org": _("Post for an organisation of the circle you act for.")})
    post = ExchangeCirclePost(
        circle=circle,
        org=org,
        kind=kind,
        title=(title or "").strip(),
        body=body or "",
        happened_on=happened_on,
        posted_by=_user(actor),
    )
    post.full_clean()
    with transaction.atomic():
        post.save()
        audit_record(
            actor=_user(actor),
            action="circle.post_create",
            obj=post,
            details={"circle": circle.pk, "org": org.pk},
        )
    return post
