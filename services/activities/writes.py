"""Themed activities (主题活动): record and update them, name who came, and count the year.

Who may do what: each write's gate (services/activities/policy.py) — record: the role's add
permission; update and attendees: the activity in `Activity.objects.visible_to(actor,
"change")`. What the activity may name is checked here, as field errors:

- the community: one in the actor's scope — the street any; community and grid staff the
  communities they work in. Partner staff may choose any community of the street: their teams
  go wherever they are invited, and a community's name is no personal data;
- the team (partner): partner staff record only their own organisation's activities (the
  partner is required and must be theirs); the street may name any partner or none; community
  and grid staff see no partners, so they name the team in `team_name` only;
- attendees: community, grid and street staff name residents they may see. Partner staff
  never see the registry, so they count attendees in `extra_attendees` and cannot name anyone.
  Setting the attendees replaces only those the actor can see: a grid worker editing a
  community-wide activity does not remove the neighbouring grid's residents.

Volunteer hours are never negative (model validator and check constraint).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.policy import allowed
from services.activities.models import Activity, ActivityAttendance, ActivityEnrolment
from services.activities.policy import (
    access_activity_attendees_name,
    access_activity_attendees_set,
    access_activity_enrol,
    access_activity_record,
    access_activity_update,
)
from services.activities.selectors import activity_community_choices
from services.catalogue.models import Partner
from services.catalogue.selectors import partner_list

EDITABLE = frozenset(
    {
        "title",
        "theme",
        "target_group",
        "community",
        "partner",
        "team_name",
        "starts_at",
        "place",
        "volunteer_count",
        "volunteer_hours",
        "extra_attendees",
        "summary",
        "capacity",
    }
)


# --- Checks ----------------------------------------------------------------------------------


def _validate(actor, activity: Activity, *, check: set[str]) -> None:
    """full_clean plus the scope of the community and the team; all field errors at once."""
    errors: dict[str, list] = {}
    try:
        activity.full_clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if (
        "community" in check
        and activity.community_id
        and "community" not in errors
        and not activity_community_choices(actor=actor).filter(pk=activity.community_id).exists()
    ):
        errors["community"] = [_("Choose a community in your area.")]
    if "partner" in check and "partner" not in errors:
        if actor.is_partner_staff and activity.partner_id is None:
            errors["partner"] = [_("Record the activities of your own organisation.")]
        elif activity.partner_id is not None and (
            not partner_list(actor=actor).filter(pk=activity.partner_id).exists()
        ):
            errors["partner"] = [_("Choose a partner you work with.")]
    if errors:
        raise ValidationError(errors)


def _default_partner(actor):
    """Partner staff acting for exactly one organisation record its activities by default."""
    if not actor.is_partner_staff:
        return None
    partners = list(partner_list(actor=actor)[:2])
    return partners[0] if len(partners) == 1 else None


# --- Writes ----------------------------------------------------------------------------------


def activity_record(
    *,
    actor,
    title: str,
    theme: str,
    target_group: str,
    community,
    starts_at,
    team_name: str = "",
    partner: Partner | None = None,
    place: str = "",
    volunteer_count: int = 0,
    volunteer_hours: Decimal = Decimal("0"),
    extra_attendees: int = 0,
    summary: str = "",
    attendees=None,
    capacity: int | None = None,
) -> Activity:
    """Record an activity that took place (or is planned) in a community of the actor's scope.

    `attendees` (residents), when given, is set as by activity_attendees_set; partner staff
    count people in `extra_attendees` instead. The team name defaults to the partner's name.
    """
    access_activity_record(actor)
    if partner is None:
        partner = _default_partner(actor)
    team_name = (team_name or "").strip() or (partner.name if partner else "")
    activity = Activity(
        title=(title or "").strip(),
        theme=theme,
        target_group=target_group,
        community=community,
        partner=partner,
        team_name=team_name,
        starts_at=starts_at,
        place=(place or "").strip(),
        volunteer_count=volunteer_count,
        volunteer_hours=volunteer_hours,
        extra_attendees=extra_attendees,
        summary=summary or "",
        capacity=capacity,
        created_by=actor,
    )
    _validate(actor, activity, check={"community", "partner"})
    with transaction.atomic():
        activity.save()
        audit_record(
            actor=actor,
            action="activity.record",
            obj=activity,
            details={"community": activity.community_id, "partner": activity.partner_id},
        )
        if attendees:
            _attendees_set(actor=actor, activity=activity, residents=attendees)
    return activity


def activity_update(*, actor, activity: Activity, **fields) -> Activity:
    """Change an activity's details; only the fields given, each checked like on recording."""
    access_activity_update(actor, activity)
    unknown = set(fields) - EDITABLE
    if unknown:
        raise TypeError(f"not editable on an activity: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        changed = []
        for name, value in fields.items():
            if name in {"title", "team_name", "place"}:
                value = (value or "").strip()
            if name == "team_name" and not value:
                partner = fields.get("partner", locked.partner)
                value = partner.name if partner else ""
            current = getattr(locked, f"{name}_id" if name in {"community", "partner"} else name)
            new = value.pk if name in {"community", "partner"} and value is not None else value
            if current != new:
                setattr(locked, name, value)
                changed.append(name)
        if not changed:
            return locked
        _validate(actor, locked, check=set(changed))
        locked.save(update_fields=changed)
        audit_record(
            actor=actor, action="activity.update", obj=locked, details={"fields": sorted(changed)}
        )
    return locked


def activity_attendees_set(*, actor, activity: Activity, residents) -> dict:
    """Name the registered residents who came; returns the ids added and removed.

    Replaces the attendees the actor can see; those outside the actor's scope stay.
    """
    access_activity_attendees_set(actor, activity)
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        return _attendees_set(actor=actor, activity=locked, residents=residents)


def _attendees_set(*, actor, activity: Activity, residents) -> dict:
    from grids.models import Resident

    wanted = {resident.pk for resident in residents}
    if wanted and not allowed(access_activity_attendees_name, actor):
        raise ValidationError(
            {
                "attendees": [
                    _(
                        "Partner staff count attendees under “other attendees”; they do not name them."
                    )
                ]
            }
        )
    visible = Resident.objects.visible_to(actor)
    in_scope = set(visible.filter(pk__in=wanted).values_list("pk", flat=True)) if wanted else set()
    if wanted - in_scope:
        raise ValidationError({"attendees": [_("Some of these residents are not in your area.")]})
    current = set(
        ActivityAttendance.objects.filter(
            activity=activity, resident__in=visible.values("pk")
        ).values_list("resident_id", flat=True)
    )
    added = sorted(wanted - current)
    removed = sorted(current - wanted)
    if removed:
        ActivityAttendance.objects.filter(activity=activity, resident_id__in=removed).delete()
    if added:
        ActivityAttendance.objects.bulk_create(
            [ActivityAttendance(activity=activity, resident_id=pk) for pk in added],
            ignore_conflicts=True,  # a concurrent edit added the same person: once is enough
        )
    if added or removed:
        audit_record(
            actor=actor,
            action="activity.attendees_set",
            obj=activity,
            details={"added": added, "removed": removed},
        )
    return {"added": added, "removed": removed}


# --- Enrolment before the event ----------------------------------------------------------------


def activity_enrol(*, actor, activity: Activity, residents) -> list[int]:
    """Enrol registered residents before the activity starts; returns the ids enrolled.

    Local or street staff enrol residents they may see. Refused as field errors on
    `residents`: after the start, a resident outside the actor's scope, or more than the places
    left (`capacity`; counted on the locked activity row, so two enrolments at once cannot both
    take the last place). Someone already enrolled is left as they are."""
    access_activity_enrol(actor, activity)
    from grids.models import Resident

    wanted = {resident.pk for resident in residents}
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        access_activity_enrol(actor, locked)
        if locked.starts_at <= timezone.now():
            raise ValidationError({"residents": [_("Enrolment closes when the activity starts.")]})
        if not wanted:
            raise ValidationError({"residents": [_("Choose the residents to enrol.")]})
        visible = set(
            Resident.objects.visible_to(actor)
            .filter(pk__in=wanted, deceased_date__isnull=True)
            .values_list("pk", flat=True)
        )
        if wanted - visible:
            raise ValidationError(
                {"residents": [_("Some of these residents are not in your area.")]}
            )
        enrolled = set(locked.enrolments.values_list("resident_id", flat=True))
        new = sorted(wanted - enrolled)
        if locked.capacity is not None and len(enrolled) + len(new) > locked.capacity:
            raise ValidationError(
                {
                    "residents": [
                        _("The activity is full: %(left)s of %(places)s places left.")
                        % {
                            "left": max(locked.capacity - len(enrolled), 0),
                            "places": locked.capacity,
                        }
                    ]
                }
            )
        ActivityEnrolment.objects.bulk_create(
            [ActivityEnrolment(activity=locked, resident_id=pk, enrolled_by=actor) for pk in new]
        )
        if new:
            audit_record(
                actor=actor, action="activity.enrol", obj=locked, details={"residents": new}
            )
    return new


def activity_enrolment_withdraw(*, actor, activity: Activity, resident) -> bool:
    """Take a resident's enrolment back before the activity starts (a place frees up)."""
    access_activity_enrol(actor, activity)
    from grids.models import Resident

    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        access_activity_enrol(actor, locked)
        if locked.starts_at <= timezone.now():
            raise ValidationError({"residents": [_("Enrolment closes when the activity starts.")]})
        if not Resident.objects.visible_to(actor).filter(pk=resident.pk).exists():
            raise ValidationError({"residents": [_("This resident is not in your area.")]})
        deleted, _rows = locked.enrolments.filter(resident=resident).delete()
        if deleted:
            audit_record(
                actor=actor,
                action="activity.withdraw",
                obj=locked,
                details={"resident": resident.pk},
            )
    return bool(deleted)
