"""When is each resident next due for a visit? The one place that decides it.

Every page, API resource, dashboard count and reminder asks `residents_with_due()`; nothing
else computes a due date. The rule (探访关爱, 2022), with intervals from settings:

- a resident's interval is the shortest among the visit tiers of their current tags
  (high: weekly, key: monthly, general: quarterly by default); residents without a current
  tag, and the deceased, are not on a visiting cadence;
- the last visit is the latest visit to the resident, or to their whole household;
- if that visit recorded a major event (hospital stay, bereavement...), the next visit is due
  VISIT_MAJOR_EVENT_HOURS (24 h) after it; otherwise last visit + interval;
- never visited: due since the resident was registered in the portal.

Everything is computed in the database as annotations, set-wise: one query for a page of
residents or for the whole street.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from grids.models import Resident, ResidentTag, Visit


def tier_interval(tier: str) -> timedelta:
    return timedelta(days=settings.VISIT_INTERVAL_DAYS[tier])


def visit_interval_expression():
    """The interval of a ResidentTag row's tier, as a duration the database can add."""
    return Case(
        *[
            When(tag__visit_tier=tier, then=Value(timedelta(days=days)))
            for tier, days in settings.VISIT_INTERVAL_DAYS.items()
        ],
        output_field=DurationField(),
    )


def current_tags(*, on) -> QuerySet:
    """Tags in force on the date `on`."""
    return ResidentTag.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=on),
        Q(valid_to__isnull=True) | Q(valid_to__gte=on),
    )


def residents_with_due(queryset: QuerySet | None = None, *, now=None) -> QuerySet:
    """Annotate residents with their visiting cadence; keep only those on a cadence.

    Adds: `visit_interval` (duration), `last_visit_at`, `last_major_event` ('' if none),
    `due_at` and `is_overdue` (bool).
    Order by `due_at` for "most urgent first".
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    queryset = Resident.objects.all() if queryset is None else queryset

    shortest = (
        current_tags(on=today)
        .filter(resident=OuterRef("pk"))
        .values("resident")
        .annotate(interval=Min(visit_interval_expression()))
        .values("interval")
    )
    latest_visit = Visit.objects.filter(
        Q(resident=OuterRef("pk")) | Q(resident__isnull=True, household=OuterRef("household"))
    ).order_by("-visited_at", "-id")
    major_hours = timedelta(hours=settings.VISIT_MAJOR_EVENT_HOURS)

    return (
        queryset.filter(deceased_date__isnull=True)
        .annotate(visit_interval=Subquery(shortest, output_field=DurationField()))
        .filter(visit_interval__isnull=False)
        .annotate(
            last_visit_at=Subquery(
                latest_visit.values("visited_at")[:1], output_field=DateTimeField()
            ),
            last_major_event=Coalesce(Subquery(latest_visit.values("major_event")[:1]), Value("")),
        )
        .annotate(
            due_at=Case(
                When(last_visit_at__isnull=True, then=F("created_at")),
                When(
                    ~Q(last_major_event=""),
                    then=ExpressionWrapper(
                        F("last_visit_at") + Value(major_hours), output_field=DateTimeField()
                    ),
                ),
                default=ExpressionWrapper(
                    F("last_visit_at") + F("visit_interval"), output_field=DateTimeField()
                ),
                output_field=DateTimeField(),
            )
        )
        .annotate(
            is_overdue=Case(When(due_at__lt=Value(now), then=Value(True)), default=Value(False)),
        )
    )


def residents_due(
    queryset: QuerySet | None = None, *, now=None, within_days: int | None = None
) -> QuerySet:
    """Residents due within `within_days` (VISIT_DUE_SOON_DAYS) or overdue, most urgent first."""
    now = now or timezone.now()
    days = settings.VISIT_DUE_SOON_DAYS if within_days is None else within_days
    return (
        residents_with_due(queryset, now=now)
        .filter(due_at__lte=now + timedelta(days=days))
        .order_by("due_at", "pk")
    )


def residents_overdue(queryset: QuerySet | None = None, *, now=None) -> QuerySet:
    now = now or timezone.now()
    return residents_with_due(queryset, now=now).filter(due_at__lt=now).order_by("due_at", "pk")


__all__ = [
    "current_tags",
    "residents_due",
    "residents_overdue",
    "residents_with_due",
    "tier_interval",
]
