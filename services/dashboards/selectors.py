"""Reads behind the services dashboard: every number starts from `visible_to`, so a community
cadre's dashboard counts their community, a partner's their own referrals, the street all.

Each figure is one grouped query whatever the number of referrals; the partner response times
fetch one row per response (assigned → accepted or declined) and reduce them in Python, which
keeps the arithmetic the same on PostgreSQL and on the SQLite of `make run`.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Resident
from services.catalogue.models import Partner, ServiceItem
from services.deliveries.models import Delivery
from services.referrals.models import Referral, ReferralEvent
from services.referrals.selectors import overdue_q

Status = Referral.Status


@dataclass(frozen=True)
class AgeBand:
    label: str
    youngest: int  # years, inclusive


AGE_BANDS = (
    AgeBand(_("Under 14"), 0),
    AgeBand(_("14–17"), 14),
    AgeBand(_("18–59"), 18),
    AgeBand(_("60–79"), 60),
    AgeBand(_("80 and over"), 80),
)


def _years_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _age_band_case(today: date, birth_date: str = "resident__birth_date") -> Case:
    """The index in AGE_BANDS of the resident's age today, computed by the database."""
    whens = [
        When(**{f"{birth_date}__lte": _years_before(today, band.youngest)}, then=Value(index))
        for index, band in reversed(list(enumerate(AGE_BANDS)))
    ]
    return Case(*whens, default=Value(0), output_field=IntegerField())


def _age_band(actor, today: date):
    """The age band of each referral's resident.

    The street counts every referral: joined to the residents, PostgreSQL reads them all once
    and hashes them, the cheapest way to reach most of them. A part of the district — a
    community, a grid, a partner — holds a few thousand referrals: their residents are looked up
    one by one (a subquery on the primary key) instead of reading the whole district's residents
    for them (bench, a community's 1,851 referrals of 50,000 residents: 27 → 6 ms)."""
    if actor.is_street_staff:
        return _age_band_case(today)
    band = Resident.objects.filter(pk=OuterRef("resident_id")).annotate(
        band=_age_band_case(today, birth_date="birth_date")
    )
    return Subquery(band.values("band")[:1], output_field=IntegerField())


def referrals_by_stage_and_age(*, actor, today: date | None = None) -> dict:
    """Counts of visible referrals per status and per age band of the resident (one query)."""
    today = today or timezone.localdate()
    rows = (
        Referral.objects.visible_to(actor)
        .annotate(band=_age_band(actor, today))
        .values("status", "band")
        .annotate(n=Count("pk"))
        .order_by()
    )
    matrix = {status: [0] * len(AGE_BANDS) for status in Status.values}
    for row in rows:
        matrix[row["status"]][row["band"]] += row["n"]
    statuses = [status for status in Status.values if any(matrix[status])]
    return {
        "statuses": [str(Status(status).label) for status in statuses],
        "status_totals": [sum(matrix[status]) for status in statuses],
        "bands": [str(band.label) for band in AGE_BANDS],
        "by_band": [[matrix[status][i] for status in statuses] for i in range(len(AGE_BANDS))],
        "total": sum(sum(counts) for counts in matrix.values()),
    }


def referral_alerts(*, actor, now=None) -> dict[str, int]:
    """The referral alarm figures, wherever they show (home cards, the dashboard), in one query:
    `overdue`, open referrals past their stage deadline (`overdue_q`), and `escalated`, those
    sent back to the street (by the hourly task or by hand) and not yet re-assigned."""
    now = now or timezone.now()
    return Referral.objects.visible_to(actor).aggregate(
        overdue=Count("pk", filter=overdue_q(now)),
        escalated=Count("pk", filter=Q(status=Referral.Status.ESCALATED)),
    )


def referrals_overdue(*, actor, now=None) -> dict:
    """Open referrals past their stage deadline, per stage, and the oldest ones (two queries)."""
    now = now or timezone.now()
    overdue = Referral.objects.visible_to(actor).filter(overdue_q(now))
    per_stage = dict(overdue.values_list("status").annotate(n=Count("pk")).order_by())
    oldest = list(
        overdue.select_related("resident", "service_item", "partner").order_by("stage_deadline")[
            :10
        ]
    )
    return {
        "labels": [str(Status(status).label) for status in per_stage],
        "counts": list(per_stage.values()),
        "total": sum(per_stage.values()),
        "oldest": oldest,
    }


def partner_response_times(*, actor, since=None) -> list[dict]:
    """Hours from assignment to the partner's answer (accept or decline), per partner.

    Each answer is an event leaving `assigned`; its assignment is the latest `assigned` event of
    the same referral before it (a declined referral may be assigned again, to someone else).
    The answers are the events the actor may see (`ReferralEvent.objects.visible_to`): a
    partner's staff see their own organisation's answers only, never another partner's decline
    of a referral now with them.
    """
    since = since or timezone.now() - timedelta(days=365)
    assigned_at = (
        ReferralEvent.objects.filter(
            referral=OuterRef("referral"), to_status=Status.ASSIGNED, at__lte=OuterRef("at")
        )
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    answers = (
        ReferralEvent.objects.visible_to(actor)
        .filter(
            from_status=Status.ASSIGNED,
            to_status__in=(Status.ACCEPTED, Status.APPROVED),
            partner__isnull=False,
            at__gte=since,
        )
        .annotate(assigned_at=Subquery(assigned_at))
        .order_by()  # the model's ordering would join the referrals just to sort
        .values_list("partner_id", "to_status", "assigned_at", "at")
    )
    hours: dict[int, list[float]] = defaultdict(list)
    declined: dict[int, int] = defaultdict(int)
    for partner_id, to_status, assigned, answered in answers:
        if assigned is None:
            continue
        hours[partner_id].append((answered - assigned).total_seconds() / 3600)
        declined[partner_id] += to_status == Status.APPROVED
    names = dict(Partner.objects.filter(pk__in=hours).values_list("pk", "name"))
    return sorted(
        (
            {
                "partner": names.get(partner_id, ""),
                "answers": len(values),
                "declined": declined[partner_id],
                "mean_hours": round(sum(values) / len(values), 1),
                "median_hours": round(median(values), 1),
            }
            for partner_id, values in hours.items()
        ),
        key=lambda row: row["partner"],
    )


def deliveries_per_group_per_month(*, actor, months: int = 12, today=None) -> dict:
    """Deliveries (count and subsidy) per service group per month, the last `months` months."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    for _step in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    rows = (
        Delivery.objects.visible_to(actor)
        # An aware instant, not `delivered_at__date`: the index can serve it and the planner
        # estimates it (bench: 102 → 61 ms at 100,000 deliveries).
        .filter(delivered_at__gte=timezone.make_aware(datetime.combine(first, time.min)))
        .annotate(month=TruncMonth("delivered_at"))
        # Grouped by the item's id, its group looked up here: joining the service items to
        # every delivery of the year was a quarter of the street's time (bench, 100,000
        # deliveries: 66 → 48 ms, one small query more).
        .values("month", "service_item_id")
        .annotate(n=Count("pk"), subsidy=Sum("subsidy"))
        .order_by()
    )
    group_of = dict(ServiceItem.objects.values_list("pk", "group"))
    month_keys = []
    cursor = first
    while cursor <= today:
        month_keys.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    counts = {group: [0] * len(month_keys) for group in ServiceItem.Group.values}
    subsidy = [0.0] * len(month_keys)
    for row in rows:
        key = row["month"].strftime("%Y-%m")
        if key in month_keys:
            index = month_keys.index(key)
            counts[group_of[row["service_item_id"]]][index] += row["n"]
            subsidy[index] += float(row["subsidy"] or 0)
    return {
        "months": month_keys,
        "groups": [
            {"label": str(ServiceItem.Group(group).label), "counts": counts[group]}
            for group in ServiceItem.Group.values
        ],
        "subsidy": [round(value, 2) for value in subsidy],
    }
