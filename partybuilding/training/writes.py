"""Training (培训): record courses and who attended, set the yearly thresholds, and send each
secretary the year-end list of their members below the threshold.

Who may do what: each write's gate (partybuilding/training/policy.py). What a record counts is
the street's data: the course's hours unless fewer are given (never more — the model refuses),
completed on the course's day unless another is given.

The year-end notice goes once per organisation and year (the notification's dedup key), to the
organisation's secretary when they have a login; running it twice sends nothing new.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from partybuilding.training import selectors
from partybuilding.training.models import TrainingCourse, TrainingRecord, TrainingThreshold
from partybuilding.training.policy import (
    access_training_course_change,
    access_training_course_create,
    access_training_record_change,
    access_training_records_add,
    access_training_report_export,
    access_training_shortfalls_notify,
    access_training_threshold_change,
)
from portal.audit import audit_record
from portal.models import Notification
from portal.notifications import notifications_send_many


def training_course_create(
    *,
    actor,
    title: str,
    topic: str,
    hours: Decimal,
    held_on: datetime.date,
    mode: str = TrainingCourse.Mode.IN_PERSON,
    provider: str = "",
) -> TrainingCourse:
    """Record a course (topic, hours, online or in person, the day it is held)."""
    access_training_course_create(actor)
    course = TrainingCourse(
        title=(title or "").strip(),
        topic=topic,
        hours=hours,
        mode=mode,
        held_on=held_on,
        provider=(provider or "").strip(),
    )
    course.full_clean()
    with transaction.atomic():
        course.save()
        audit_record(
            actor=actor, action="training.course_create", obj=course, details={"hours": str(hours)}
        )
    return course


COURSE_EDITABLE = frozenset({"title", "topic", "hours", "mode", "held_on", "provider"})
RECORD_EDITABLE = frozenset({"hours", "completed_on"})


def _changed(obj, fields: dict, editable: frozenset, what: str) -> list[str]:
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


def training_course_update(*, actor, course: TrainingCourse, **fields) -> TrainingCourse:
    """Correct a course. Its records stay valid: fewer hours than a record counts, or a day
    after a record's completion, are refused (a field error) — correct the records first."""
    access_training_course_change(actor, course)
    with transaction.atomic():
        locked = TrainingCourse.objects.select_for_update().get(pk=course.pk)
        changed = _changed(locked, fields, COURSE_EDITABLE, "a course")
        if not changed:
            return locked
        locked.full_clean()
        errors = {}
        records = TrainingRecord.objects.filter(course=locked)
        if "hours" in changed and records.filter(hours__gt=locked.hours).exists():
            errors["hours"] = [_("Some attendees are recorded with more hours than that.")]
        if "held_on" in changed and records.filter(completed_on__lt=locked.held_on).exists():
            errors["held_on"] = [_("Some attendees completed the course before that day.")]
        if errors:
            raise ValidationError(errors)
        locked.save(update_fields=changed)
        audit_record(
            actor=actor,
            action="training.course_update",
            obj=locked,
            details={"fields": changed, "hours": str(locked.hours)},
        )
    return locked


def training_record_update(*, actor, record: TrainingRecord, **fields) -> TrainingRecord:
    """Correct one attendance record: its hours (at most the course's) or the day completed."""
    access_training_record_change(actor, record)
    with transaction.atomic():
        locked = (
            TrainingRecord.objects.select_for_update().select_related("course").get(pk=record.pk)
        )
        before = {"hours": str(locked.hours), "completed_on": str(locked.completed_on)}
        changed = _changed(locked, fields, RECORD_EDITABLE, "a training record")
        if not changed:
            return locked
        locked.full_clean(exclude=["course", "member"], validate_unique=False)
        locked.save(update_fields=changed)
        audit_record(
            actor=actor,
            action="training.record_update",
            obj=locked,
            details={"fields": changed, "before": before},
        )
    return locked


def training_record_remove(*, actor, record: TrainingRecord) -> None:
    """Take a member ticked by mistake off a course's attendees."""
    access_training_record_change(actor, record)
    with transaction.atomic():
        locked = TrainingRecord.objects.select_for_update().get(pk=record.pk)
        audit_record(
            actor=actor,
            action="training.record_remove",
            obj=locked.course,
            details={"member": locked.member_id, "hours": str(locked.hours)},
        )
        locked.delete()


def training_records_add(
    *,
    actor,
    course: TrainingCourse,
    members,
    hours: Decimal | None = None,
    completed_on: datetime.date | None = None,
) -> list[TrainingRecord]:
    """Record that `members` attended `course` (one form for the whole room). Hours default to
    the course's, the day to the course's; members already recorded are left as they are.
    Every member must be one the actor may record (else a field error, nothing written)."""
    access_training_records_add(actor, course)
    wanted = {member.pk: member for member in members}
    if not wanted:
        raise ValidationError({"members": [_("Choose who attended.")]})
    if actor is not None:
        allowed = set(
            selectors.attendee_choices(actor=actor)
            .filter(pk__in=wanted)
            .values_list("pk", flat=True)
        )
        if set(wanted) - allowed:
            raise ValidationError({"members": [_("Some of these members are not in your area.")]})
    with transaction.atomic():
        already = set(
            TrainingRecord.objects.filter(course=course, member_id__in=wanted).values_list(
                "member_id", flat=True
            )
        )
        records = []
        for pk in sorted(set(wanted) - already):
            record = TrainingRecord(
                course=course,
                member=wanted[pk],
                hours=hours if hours is not None else course.hours,
                completed_on=completed_on or course.held_on,
            )
            record.full_clean(
                exclude=["course", "member"], validate_unique=False
            )  # both checked above
            records.append(record)
        TrainingRecord.objects.bulk_create(records)
        audit_record(
            actor=actor,
            action="training.records_add",
            obj=course,
            details={
                "members": [r.member_id for r in records],
                "skipped": sorted(already),
                "hours": str(hours if hours is not None else course.hours),
            },
        )
    return records


def training_threshold_set(
    *, actor, threshold: TrainingThreshold, yearly_hours: Decimal
) -> TrainingThreshold:
    """Change the yearly hours a position must reach."""
    access_training_threshold_change(actor, threshold)
    with transaction.atomic():
        locked = TrainingThreshold.objects.select_for_update().get(pk=threshold.pk)
        before = locked.yearly_hours
        locked.yearly_hours = yearly_hours
        locked.full_clean()
        locked.save(update_fields=["yearly_hours"])
        audit_record(
            actor=actor,
            action="training.threshold_set",
            obj=locked,
            details={"from": str(before), "to": str(yearly_hours)},
        )
    return locked


def training_shortfalls_export_record(*, actor, year: int, org=None, rows: int = 0) -> None:
    """A list of members leaves the portal: the audit trail records who took it."""
    access_training_report_export(actor)
    audit_record(
        actor=actor,
        action="training.shortfalls_export",
        obj=org,
        details={"year": year, "rows": rows},
    )


def training_shortfalls_notify(*, actor=None, year: int) -> dict:
    """Send each organisation's secretary the list of its members below their yearly hours in
    `year` — once per organisation and year, however often it runs. Organisations without a
    secretary's login are counted, not notified."""
    access_training_shortfalls_notify(actor)
    notifications, no_secretary = [], 0
    for org, rows in selectors.training_shortfalls_by_org(year=year).items():
        secretary = org.secretary.user if org.secretary_id and org.secretary.user_id else None
        if secretary is None or not secretary.is_active:
            no_secretary += 1
            continue
        lines = [
            _("%(name)s: %(hours)s of %(threshold)s hours")
            % {"name": row.member.name, "hours": row.hours, "threshold": row.threshold}
            for row in rows
        ]
        notifications.append(
            Notification(
                recipient=secretary,
                title=_("%(year)s training: %(n)s members of %(org)s below the yearly hours")
                % {"year": year, "n": len(rows), "org": org.name},
                body="\n".join(lines),
                url=f"/party/training/shortfalls/?year={year}&org={org.pk}",
                dedup_key=f"training-shortfall:{org.pk}:{year}",
            )
        )
    with transaction.atomic():
        sent = notifications_send_many(notifications)
        if sent:
            audit_record(
                actor=actor,
                action="training.shortfalls_notify",
                details={"year": year, "notices": sorted(n.dedup_key for n in sent)},
            )
    return {
        "year": year,
        "sent": len(sent),
        "orgs": len(notifications),
        "no_secretary": no_secretary,
    }
