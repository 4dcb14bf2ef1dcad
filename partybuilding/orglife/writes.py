"""Organisational life (三会一课, 主题党日): record a meeting with its attendance, correct it,
and remind secretaries of required meetings that did not take place.

Attendance is one row per member of the organisation (and its subtree): present, excused or
absent. Recording replaces the sheet as a whole, in the same transaction as the meeting, so a
meeting is never saved with half a sheet.

The gap reminder (`orglife_gaps_remind`, beat daily) tells the organisation's secretary —
their login; without one, every Party-work officer — once per organisation, kind and period
(notification `dedup_key` "orglife-gap:<org>:<kind>:<period>"), however often it runs.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partybuilding.organisations.models import PartyMember
from partybuilding.orglife.models import (
    MeetingAttendance,
    MeetingKind,
    MeetingRequirement,
    OrgLifeMeeting,
)
from partybuilding.orglife.policy import (
    access_meeting_record,
    access_meeting_requirement_change,
    access_meeting_requirement_create,
    access_meeting_update,
    access_orglife_gaps_remind,
)
from partybuilding.orglife.selectors import attendance_members, gaps_just_ended
from portal.audit import audit_record
from portal.models import Notification, User
from portal.notifications import notifications_send_many
from portal.roles import Role

MEETING_EDITABLE = frozenset({"kind", "held_on", "topic", "place", "minutes"})


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _sheet_rows(meeting: OrgLifeMeeting, attendance) -> list[MeetingAttendance]:
    """Validate the sheet: each entry a current member of the organisation's subtree, once,
    with a known status."""
    allowed = {m.pk: m for m in attendance_members(org=meeting.org)}
    rows, seen, errors = [], set(), []
    for entry in attendance:
        member = entry["member"]
        pk = member.pk if isinstance(member, PartyMember) else int(member)
        status = entry.get("status") or MeetingAttendance.Status.PRESENT
        if pk not in allowed:
            errors.append(_("%(name)s is not a member of this organisation.") % {"name": member})
            continue
        if pk in seen:
            errors.append(_("%(name)s is listed twice.") % {"name": allowed[pk]})
            continue
        if status not in MeetingAttendance.Status.values:
            errors.append(_("Unknown attendance “%(status)s”.") % {"status": status})
            continue
        seen.add(pk)
        rows.append(MeetingAttendance(meeting=meeting, member=allowed[pk], status=status))
    if errors:
        raise ValidationError({"attendance": errors})
    return rows


def _sheet_save(meeting: OrgLifeMeeting, rows: list[MeetingAttendance]) -> dict:
    MeetingAttendance.objects.filter(meeting=meeting).delete()
    MeetingAttendance.objects.bulk_create(rows)
    counts = dict.fromkeys(MeetingAttendance.Status.values, 0)
    for row in rows:
        counts[row.status] += 1
    return counts


def meeting_record(
    *,
    actor,
    org,
    kind: str,
    held_on,
    topic: str,
    place: str = "",
    minutes: str = "",
    attendance=(),
) -> OrgLifeMeeting:
    """Record a meeting that was held, with its attendance sheet (a list of
    {"member": PartyMember, "status": "present" | "excused" | "absent"})."""
    access_meeting_record(actor, org)
    meeting = OrgLifeMeeting(
        org=org,
        kind=kind,
        held_on=held_on,
        topic=(topic or "").strip(),
        place=(place or "").strip(),
        minutes=minutes or "",
        recorded_by=_user(actor),
    )
    meeting.full_clean()
    with transaction.atomic():
        meeting.save()
        counts = _sheet_save(meeting, _sheet_rows(meeting, attendance))
        audit_record(
            actor=_user(actor),
            action="meeting.record",
            obj=meeting,
            details={"org": org.pk, "kind": kind, "attendance": counts},
        )
    return meeting


def meeting_update(*, actor, meeting: OrgLifeMeeting, attendance=None, **fields) -> OrgLifeMeeting:
    """Correct a meeting's details and, when given, replace its attendance sheet."""
    access_meeting_update(actor, meeting)
    unknown = set(fields) - MEETING_EDITABLE
    if unknown:
        raise TypeError(f"not editable on a meeting: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = OrgLifeMeeting.objects.select_for_update().select_related("org").get(pk=meeting.pk)
        changed = []
        for name, value in fields.items():
            if isinstance(value, str) and name != "minutes":
                value = value.strip()
            if getattr(locked, name) != value:
                setattr(locked, name, value)
                changed.append(name)
        if changed:
            locked.full_clean()
            locked.save(update_fields=changed)
        details = {"fields": changed}
        if attendance is not None:
            details["attendance"] = _sheet_save(locked, _sheet_rows(locked, attendance))
        if changed or attendance is not None:
            audit_record(actor=_user(actor), action="meeting.update", obj=locked, details=details)
    return locked


def orglife_gaps_remind(*, actor=None, today=None) -> dict:
    """Tell each organisation's secretary (else the Party-work officers) that a required
    meeting did not take place in the period that just ended; once per org, kind and period."""
    access_orglife_gaps_remind(actor)
    today = today or timezone.localdate()
    gaps = gaps_just_ended(today=today)
    if not gaps:
        return {"gaps": 0, "sent": 0}
    officers = None
    labels = dict(MeetingKind.choices)
    notifications = []
    with translation.override(settings.LANGUAGE_CODE):
        for org, kind, span in gaps:
            secretary = org.secretary.user if org.secretary_id else None
            if secretary is not None and secretary.is_active:
                recipients = [secretary.pk]
            else:
                if officers is None:
                    officers = list(
                        User.objects.filter(role=Role.PARTY_OFFICER, is_active=True).values_list(
                            "pk", flat=True
                        )
                    )
                recipients = officers
            title = _("%(org)s: no %(kind)s in %(period)s") % {
                "org": org.name,
                "kind": labels[kind],
                "period": span.key,
            }
            body = _("A %(kind)s is due every period; none was recorded for %(period)s.") % {
                "kind": labels[kind],
                "period": span.key,
            }
            url = (
                reverse("partybuilding:orglife-compliance")
                + f"?org={org.pk}&year={span.start.year}"
            )
            for user_id in recipients:
                notifications.append(
                    Notification(
                        recipient_id=user_id,
                        title=str(title)[:200],
                        body=str(body),
                        url=url,
                        dedup_key=f"orglife-gap:{org.pk}:{kind}:{span.key}",
                    )
                )
    return {"gaps": len(gaps), "sent": len(notifications_send_many(notifications))}


# --- Required frequencies (组织生活频次要求) ------------------------------------------------------

REQUIREMENT_EDITABLE = frozenset({"kind", "org_kind", "period"})


def meeting_requirement_create(
    *, actor, kind: str, period: str, org_kind: str = ""
) -> MeetingRequirement:
    """Require a kind of meeting once per month or quarter, of one kind of organisation (an
    override of the street-wide default) or of every kind ("")."""
    access_meeting_requirement_create(actor)
    requirement = MeetingRequirement(kind=kind, org_kind=org_kind or "", period=period)
    requirement.full_clean()
    with transaction.atomic():
        requirement.save()
        audit_record(
            actor=_user(actor),
            action="orglife.requirement_create",
            obj=requirement,
            details={"kind": kind, "org_kind": org_kind or "", "period": period},
        )
    return requirement


def meeting_requirement_update(
    *, actor, requirement: MeetingRequirement, **fields
) -> MeetingRequirement:
    """Change a requirement (usually its period). The gap reminder and the compliance page read
    the table afresh: the change applies from the next period they look at."""
    access_meeting_requirement_change(actor, requirement)
    unknown = set(fields) - REQUIREMENT_EDITABLE
    if unknown:
        raise TypeError(f"not editable on a requirement: {', '.join(sorted(unknown))}")
    if "org_kind" in fields:
        fields["org_kind"] = fields["org_kind"] or ""
    with transaction.atomic():
        locked = MeetingRequirement.objects.select_for_update().get(pk=requirement.pk)
        before = {name: getattr(locked, name) for name in REQUIREMENT_EDITABLE}
        changed = [name for name, value in fields.items() if getattr(locked, name) != value]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, fields[name])
        locked.full_clean()
        locked.save(update_fields=changed)
        audit_record(
            actor=_user(actor),
            action="orglife.requirement_update",
            obj=locked,
            details={"fields": changed, "before": {name: before[name] for name in changed}},
        )
    return locked


def meeting_requirement_delete(*, actor, requirement: MeetingRequirement) -> None:
    """Drop a requirement: an organisation kind's override (the street-wide default applies
    again) or a street-wide default (the kind is no longer required)."""
    access_meeting_requirement_change(actor, requirement)
    with transaction.atomic():
        locked = MeetingRequirement.objects.select_for_update().get(pk=requirement.pk)
        audit_record(
            actor=_user(actor),
            action="orglife.requirement_delete",
            obj=locked,
            details={"kind": locked.kind, "org_kind": locked.org_kind, "period": locked.period},
        )
        locked.delete()
