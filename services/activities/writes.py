"""Themed activities (主题活动): record and update them, name who came, and count the year.

Who may do what (one condition per line in the access_* functions):

- record / update: the role's add / change permission on activities, and for an update the
  activity in `Activity.objects.visible_to(actor, "change")`;
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

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.roles import STREET_ROLES, Role
from services.models import Activity, ActivityAttendance, Partner, ServiceItem

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
    }
)


# --- Who may act -----------------------------------------------------------------------------


def is_partner_staff(actor) -> bool:
    return actor is not None and actor.role == Role.PARTNER_STAFF


def access_add(actor) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied(_("You may not record activities."))
    if not actor.has_perm("services.add_activity"):
        raise PermissionDenied(_("You may not record activities."))


def access_change(actor, activity: Activity) -> None:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("You may not change this activity."))
    if not Activity.objects.visible_to(actor, "change").filter(pk=activity.pk).exists():
        raise PermissionDenied(_("You may not change this activity."))


def may_name_attendees(actor) -> bool:
    """Whether the actor may name registered residents as attendees (not partner staff)."""
    return actor is not None and not is_partner_staff(actor)


# --- Choices in scope ------------------------------------------------------------------------


def activity_communities(actor):
    """Communities in which the actor may record an activity (a lazy queryset)."""
    from grids.models import Region

    communities = Region.objects.filter(level=Region.Level.COMMUNITY)
    if actor is None or not actor.is_authenticated:
        return communities.none()
    if actor.role in STREET_ROLES or is_partner_staff(actor):
        return communities
    return communities.filter(pk__in=Region.objects.scoped_for(actor).values("pk"))


def activity_partners(actor):
    """Partners the actor may name as the team: the street all, partner staff their own."""
    return Partner.objects.visible_to(actor)


def attendee_candidates(*, actor, search: str = "", limit: int = 20):
    """Residents the actor may name as attendees, by name prefix or exact ID number / phone."""
    from grids.models import Resident
    from grids.selectors import resident_search_q

    if not may_name_attendees(actor):
        return Resident.objects.none()
    queryset = Resident.objects.visible_to(actor).select_related("household__grid")
    search = search.strip()
    if search:
        queryset = queryset.filter(resident_search_q(search))
    return queryset.order_by("name", "pk")[:limit]


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
        and not activity_communities(actor).filter(pk=activity.community_id).exists()
    ):
        errors["community"] = [_("Choose a community in your area.")]
    if "partner" in check and "partner" not in errors:
        if is_partner_staff(actor) and activity.partner_id is None:
            errors["partner"] = [_("Record the activities of your own organisation.")]
        elif activity.partner_id is not None and (
            not activity_partners(actor).filter(pk=activity.partner_id).exists()
        ):
            errors["partner"] = [_("Choose a partner you work with.")]
    if errors:
        raise ValidationError(errors)


def _default_partner(actor):
    """Partner staff acting for exactly one organisation record its activities by default."""
    if not is_partner_staff(actor):
        return None
    partners = list(activity_partners(actor)[:2])
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
) -> Activity:
    """Record an activity that took place (or is planned) in a community of the actor's scope.

    `attendees` (residents), when given, is set as by activity_attendees_set; partner staff
    count people in `extra_attendees` instead. The team name defaults to the partner's name.
    """
    access_add(actor)
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
    unknown = set(fields) - EDITABLE
    if unknown:
        raise TypeError(f"not editable on an activity: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        access_change(actor, locked)
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
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        access_change(actor, locked)
        return _attendees_set(actor=actor, activity=locked, residents=residents)


def _attendees_set(*, actor, activity: Activity, residents) -> dict:
    from grids.models import Resident

    wanted = {resident.pk for resident in residents}
    if wanted and not may_name_attendees(actor):
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
    allowed = set(visible.filter(pk__in=wanted).values_list("pk", flat=True)) if wanted else set()
    if wanted - allowed:
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


# --- Reads -----------------------------------------------------------------------------------


def named_count():
    """The number of named attendees of the outer activity (a correlated COUNT): all of them,
    seen by the reader or not — a count names nobody."""
    counted = (
        ActivityAttendance.objects.filter(activity=OuterRef("pk"))
        .order_by()
        .values("activity")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def activity_list(*, actor, action: str = "view"):
    """Activities the actor may see, with what a list row shows and the named-attendee count."""
    return (
        Activity.objects.visible_to(actor, action)
        .select_related("community", "partner")
        .annotate(named_count=named_count())
    )


def activities_in_year(queryset, year: int):
    """Activities starting in the calendar year `year` (local time), as an index-friendly range."""
    start = timezone.make_aware(datetime(year, 1, 1))
    end = timezone.make_aware(datetime(year + 1, 1, 1))
    return queryset.filter(starts_at__gte=start, starts_at__lt=end)


def activity_totals(*, actor, year: int | None = None) -> dict:
    """What the actor's activities add up to (in `year`, or ever): activities, attendees (named
    residents plus others counted), volunteers and volunteer hours; overall, per theme and per
    target group. Two queries, whatever the number of activities."""
    queryset = Activity.objects.visible_to(actor)
    if year is not None:
        queryset = activities_in_year(queryset, year)
    groups = (
        queryset.order_by()
        .values_list("theme", "target_group")
        .annotate(
            count=Count("pk"),
            extra=Sum("extra_attendees"),
            volunteers=Sum("volunteer_count"),
            hours=Sum("volunteer_hours"),
        )
    )
    named = (
        ActivityAttendance.objects.filter(activity__in=queryset.values("pk"))
        .order_by()
        .values_list("activity__theme", "activity__target_group")
        .annotate(count=Count("pk"))
    )
    named_by = {(theme, group): count for theme, group, count in named}

    def empty():
        return {
            "activities": 0,
            "attendees": 0,
            "named_attendees": 0,
            "extra_attendees": 0,
            "volunteers": 0,
            "volunteer_hours": Decimal("0"),
        }

    total = empty()
    by_theme: dict[str, dict] = defaultdict(empty)
    by_group: dict[str, dict] = defaultdict(empty)
    for theme, group, count, extra, volunteers, hours in groups:
        row = {
            "activities": count,
            "named_attendees": named_by.get((theme, group), 0),
            "extra_attendees": extra or 0,
            "volunteers": volunteers or 0,
            "volunteer_hours": hours or Decimal("0"),
        }
        row["attendees"] = row["named_attendees"] + row["extra_attendees"]
        for bucket in (total, by_theme[theme], by_group[group]):
            for key, value in row.items():
                bucket[key] += value
    return {
        "year": year,
        **total,
        "by_theme": [
            {"code": code, "label": str(label), **by_theme[code]}
            for code, label in Activity.Theme.choices
            if code in by_theme
        ],
        "by_target_group": [
            {"code": code, "label": str(label), **by_group[code]}
            for code, label in ServiceItem.Group.choices
            if code in by_group
        ],
    }
