"""When is each resident next due for a visit? The one place that decides it.

Every page, API resource, dashboard count and reminder asks `residents_with_due()`; nothing
else computes a due date. The rule (探访关爱, 2022), with intervals from settings:

- a resident's interval is the shortest among the visit tiers of their current tags
  (high: weekly, key: monthly, general: quarterly by default); a tag's tier is configured on
  its TagDef, and a tag of tier `none` (the broad age bands 60+ and minor, by default) sets no
  cadence; residents without a current tag carrying a tier, and the deceased, are not on a
  visiting cadence;
- the last visit is the latest visit that met the person (outcome `met`), to the resident or
  to their whole household; a visit recorded as "not met" is kept but clears nothing;
- if that visit recorded a major event (hospital stay, bereavement...), the next visit is due
  VISIT_MAJOR_EVENT_HOURS (24 h) after it; otherwise last visit + interval;
- never visited: due since the resident was registered in the portal.

Everything is computed in the database as annotations, set-wise: one query for a page of
residents or for the whole street.

The due list is ordered by risk (`RISK_ORDER`): a major event recorded at the last visit
first, then the tier (high, key, general), then how long the visit is overdue.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from grids.models import Resident, ResidentTag, TagDef, Visit

# Tiers from the most to the least frequent visits; `none` is not on a cadence.
TIERS = [TagDef.Tier.HIGH, TagDef.Tier.KEY, TagDef.Tier.GENERAL]

# Most urgent first: a major event at the last visit, then the tier, then the longest overdue.
RISK_ORDER = ["-has_major_event", "tier_rank", "due_at", "pk"]


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


def tier_rank_expression(prefix: str = "tag__"):
    """1 for high, 2 for key, 3 for general; NULL for a tag of tier `none`."""
    return Case(
        *[When(**{f"{prefix}visit_tier": tier}, then=Value(rank)) for rank, tier in _ranks()],
        output_field=IntegerField(),
    )


def _ranks() -> list[tuple[int, str]]:
    return list(enumerate(TIERS, start=1))


def tier_of_rank(rank: int | None) -> str:
    """The tier named by a `tier_rank` ('' for none)."""
    return dict(_ranks()).get(rank, "")


def current_tags(*, on) -> QuerySet:
    """Tags in force on the date `on`."""
    return ResidentTag.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=on),
        Q(valid_to__isnull=True) | Q(valid_to__gte=on),
    )


def residents_with_due(queryset: QuerySet | None = None, *, now=None) -> QuerySet:
    """Annotate residents with their visiting cadence; keep only those on a cadence.

    Adds: `visit_interval` (duration), `tier_rank` (1 high, 2 key, 3 general: the highest tier
    among the current tags; `tier_of_rank` names it), `last_visit_at` (the last visit
    that met the person), `last_major_event` ('' if none), `has_major_event`, `due_at` and
    `is_overdue` (bool). Order by `RISK_ORDER` for "most urgent first".
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    queryset = Resident.objects.all() if queryset is None else queryset
    latest_visit = _latest_met_visit(OuterRef("pk"), OuterRef("household"))
    # The due date in one expression, whose inner query finds the last visit once and adds to
    # it: PostgreSQL evaluates an expression each time the SQL names it (the filter on due_at,
    # the sort, the select list), and due_at built from the separate annotations below named
    # the last-visit lookup three times over. Bench, the street's due list at 50,000 residents
    # (10,002 on a cadence): its page query 528 → 290 ms under EXPLAIN ANALYZE, loaded machine.
    visit_due = latest_visit.annotate(
        due=Case(
            When(
                ~Q(major_event=""),
                then=ExpressionWrapper(
                    F("visited_at") + Value(timedelta(hours=settings.VISIT_MAJOR_EVENT_HOURS)),
                    output_field=DateTimeField(),
                ),
            ),
            default=ExpressionWrapper(
                F("visited_at")
                + Subquery(
                    _shortest_interval(OuterRef(OuterRef("pk")), on=today),
                    output_field=DurationField(),
                ),
                output_field=DateTimeField(),
            ),
            output_field=DateTimeField(),
        )
    )

    return (
        queryset.filter(deceased_date__isnull=True)
        .annotate(
            visit_interval=Subquery(
                _shortest_interval(OuterRef("pk"), on=today), output_field=DurationField()
            )
        )
        .filter(visit_interval__isnull=False)
        .annotate(
            tier_rank=Subquery(
                _highest_rank(OuterRef("pk"), on=today), output_field=IntegerField()
            ),
            last_visit_at=Subquery(
                latest_visit.values("visited_at")[:1], output_field=DateTimeField()
            ),
            last_major_event=Coalesce(Subquery(latest_visit.values("major_event")[:1]), Value("")),
        )
        .annotate(
            has_major_event=Case(
                When(~Q(last_major_event=""), then=Value(True)), default=Value(False)
            ),
            # Never visited: due since the resident was registered.
            due_at=Coalesce(
                Subquery(visit_due.values("due")[:1], output_field=DateTimeField()),
                F("created_at"),
                output_field=DateTimeField(),
            ),
        )
        .annotate(
            is_overdue=Case(When(due_at__lt=Value(now), then=Value(True)), default=Value(False)),
        )
    )


def _shortest_interval(resident, *, on):
    """The shortest interval among `resident`'s current tags (NULL: on no cadence)."""
    return (
        current_tags(on=on)
        .filter(resident=resident)
        .values("resident")
        .annotate(interval=Min(_by_tier(settings.VISIT_INTERVAL_DAYS.items(), DurationField())))
        .values("interval")
    )


def _highest_rank(resident, *, on):
    return (
        current_tags(on=on)
        .filter(resident=resident)
        .values("resident")
        .annotate(rank=Min(_by_tier(((tier, rank) for rank, tier in _ranks()), IntegerField())))
        .values("rank")
    )


def _by_tier(values, output_field):
    """A tag row's value by its TagDef's tier, e.g. its interval — read from the tags of each
    tier listed once per statement (an uncorrelated subquery PostgreSQL runs once and hashes),
    not joined to TagDef for each resident's rows (bench: that page query 290 → 210 ms; the
    page 641 → 374 ms with the change above, idle machine)."""
    return Case(
        *[
            When(
                tag_id__in=TagDef.objects.filter(visit_tier=tier).values("pk"),
                then=Value(
                    timedelta(days=value) if isinstance(output_field, DurationField) else value
                ),
            )
            for tier, value in values
        ],
        output_field=output_field,
    )


def _latest_met_visit(resident, household):
    """The visits that met the resident, to them or to their whole household, latest first."""
    return Visit.objects.filter(
        Q(resident=resident) | Q(resident__isnull=True, household=household),
        outcome=Visit.Outcome.MET,
    ).order_by("-visited_at", "-id")


def residents_due(
    queryset: QuerySet | None = None, *, now=None, within_days: int | None = None
) -> QuerySet:
    """Residents due within `within_days` (VISIT_DUE_SOON_DAYS) or overdue, most urgent first
    (`RISK_ORDER`: major event, tier, overdue days)."""
    now = now or timezone.now()
    days = settings.VISIT_DUE_SOON_DAYS if within_days is None else within_days
    return (
        residents_with_due(queryset, now=now)
        .filter(due_at__lte=now + timedelta(days=days))
        .order_by(*RISK_ORDER)
    )


def due_filter(queryset: QuerySet, *, tier: str = "", tag: str = "", now=None) -> QuerySet:
    """Narrow residents annotated by `residents_with_due` to a tier (their cadence's tier) and
    to the holders of a tag in force today (by code). Unknown values narrow to nothing."""
    if tier:
        rank = {name: rank for rank, name in _ranks()}.get(tier)
        queryset = queryset.filter(tier_rank=rank) if rank else queryset.none()
    if tag:
        today = timezone.localtime(now or timezone.now()).date()
        queryset = queryset.filter(
            Exists(current_tags(on=today).filter(resident=OuterRef("pk"), tag__code=tag))
        )
    return queryset


def cadence_tags(residents, *, now=None) -> dict[int, list[TagDef]]:
    """For residents annotated with `tier_rank`, the current tags that set their cadence (the
    tags of their highest tier), by resident id: one query for a page."""
    today = timezone.localtime(now or timezone.now()).date()
    rank_of = {resident.pk: resident.tier_rank for resident in residents}
    rows = (
        current_tags(on=today)
        .filter(resident_id__in=list(rank_of))
        .exclude(tag__visit_tier=TagDef.Tier.NONE)
        .select_related("tag")
        .order_by("tag__name", "tag__code")
    )
    found: dict[int, list[TagDef]] = {pk: [] for pk in rank_of}
    for row in rows:
        if row.tag.visit_tier == tier_of_rank(rank_of[row.resident_id]):
            found[row.resident_id].append(row.tag)
    return found


def residents_overdue(queryset: QuerySet | None = None, *, now=None) -> QuerySet:
    now = now or timezone.now()
    return residents_with_due(queryset, now=now).filter(due_at__lt=now).order_by("due_at", "pk")


def due_rows(residents, *, now) -> list[dict]:
    """What a row of the due list says about each resident: age, the tags setting the cadence,
    why they are due (tier and last visit, or the major event), the address (one query)."""
    today = timezone.localtime(now).date()
    tags = cadence_tags(residents, now=now)
    events = dict(Visit.MajorEvent.choices)
    rows = []
    for resident in residents:
        tier = tier_of_rank(resident.tier_rank)
        rows.append(
            {
                "resident": resident,
                "age": age_on(resident.birth_date, today),
                "tags": tags.get(resident.pk, []),
                "tier": tier,
                "tier_label": TagDef.Tier(tier).label if tier else "",
                "reason": _reason(resident, tier, events),
                "address": _address(resident.household),
                "overdue_days": (now - resident.due_at).days if resident.is_overdue else 0,
            }
        )
    return rows


def age_on(birth_date, today) -> int:
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def _reason(resident, tier, events) -> str:
    if resident.has_major_event:
        return _(
            "Major event at the last visit (%(event)s): visit again within %(hours)d hours"
        ) % {
            "event": events.get(resident.last_major_event, resident.last_major_event),
            "hours": settings.VISIT_MAJOR_EVENT_HOURS,
        }
    cadence = _("%(tier)s: a visit every %(days)d days") % {
        "tier": TagDef.Tier(tier).label if tier else "",
        "days": resident.visit_interval.days,
    }
    if resident.last_visit_at is None:
        return _("%(cadence)s; never visited") % {"cadence": cadence}
    return _("%(cadence)s; last visit %(date)s") % {
        "cadence": cadence,
        "date": formats.date_format(timezone.localtime(resident.last_visit_at), "Y-m-d"),
    }


def _address(household) -> str:
    dwelling = getattr(household, "dwelling", None)
    return str(dwelling) if dwelling is not None else ""


__all__ = [
    "RISK_ORDER",
    "TIERS",
    "cadence_tags",
    "current_tags",
    "due_filter",
    "due_rows",
    "residents_due",
    "residents_overdue",
    "residents_with_due",
    "tier_interval",
    "tier_of_rank",
]
