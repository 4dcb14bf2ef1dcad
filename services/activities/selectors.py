"""Reads of themed activities: each starts from `visible_to(actor)` and owns its joins."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.hooks import FileSection
from portal.policy import allowed
from services.activities.models import Activity, ActivityAttendance, ActivityEnrolment
from services.activities.policy import access_activity_attendees_name
from services.catalogue.models import ServiceItem


def activity_community_choices(*, actor):
    """Communities in which the actor may record an activity (a lazy queryset): the street and
    partner staff any community of the street (a partner's team goes wherever it is invited,
    and a community's name is no personal data); community and grid staff their own."""
    from grids.models import Region

    communities = Region.objects.filter(level=Region.Level.COMMUNITY)
    if actor is None or not actor.is_authenticated:
        return communities.none()
    if actor.is_street_staff or actor.is_partner_staff:
        return communities
    return communities.filter(pk__in=Region.objects.scoped_for(actor).values("pk"))


def attendee_candidates(*, actor, search: str = "", limit: int = 20):
    """Residents the actor may name as attendees, by name prefix or exact ID number / phone."""
    from grids.models import Resident
    from grids.selectors import resident_list

    if not allowed(access_activity_attendees_name, actor):
        return Resident.objects.none()
    queryset = resident_list(actor=actor, search=search).select_related("household__grid")
    return queryset.order_by("name", "pk")[:limit]


def activity_attendees(*, actor, activity):
    """The activity's registered attendees the actor may see, by name."""
    from grids.models import Resident

    return (
        Resident.objects.visible_to(actor)
        .filter(pk__in=activity.attendance.values("resident"))
        .select_related("household__grid")
        .order_by("name", "pk")
    )


def activity_enrolled(*, actor, activity):
    """The residents enrolled beforehand whom the actor may see, by name."""
    from grids.models import Resident

    return (
        Resident.objects.visible_to(actor)
        .filter(pk__in=activity.enrolments.values("resident"))
        .select_related("household__grid")
        .order_by("name", "pk")
    )


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


def enrolled_count():
    """The number of residents enrolled in the outer activity (places taken; a count names
    nobody)."""
    counted = (
        ActivityEnrolment.objects.filter(activity=OuterRef("pk"))
        .order_by()
        .values("activity")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def activity_list(*, actor, action: str = "view"):
    """Activities the actor may see, with what a list row shows, the named-attendee count and
    the places taken by enrolment."""
    return (
        Activity.objects.visible_to(actor, action)
        .select_related("community", "partner")
        .annotate(named_count=named_count(), enrolled_count=enrolled_count())
    )


def activity_api_list(*, actor):
    """Activities as the API shows them: the named-attendee count, and the attendees the actor
    may see prefetched (ids only)."""
    from django.db.models import Prefetch

    from grids.models import Resident

    visible_residents = Resident.objects.visible_to(actor).only("pk")
    return activity_list(actor=actor).prefetch_related(
        Prefetch("attendees", queryset=visible_residents)
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


# --- The resident's file (portal.hooks.file_sections_register) -------------------------------


def activity_file_section(*, actor, obj, limit: int):
    """Activities the resident attended that the actor sees, newest first; absent for a
    reader who may not name attendees (partner staff count people). One query."""
    if not actor.has_perm("services.view_activity") or not allowed(
        access_activity_attendees_name, actor
    ):
        return None
    rows = list(
        Activity.objects.visible_to(actor)
        .filter(attendees=obj)
        .select_related("community")
        .order_by("-starts_at", "-id")[: limit + 1]
    )
    return FileSection(
        key="activities",
        title=_("Activities attended"),
        template="grids/_file_activities.html",
        rows=rows[:limit],
        more=len(rows) > limit,
        order=70,
    )
