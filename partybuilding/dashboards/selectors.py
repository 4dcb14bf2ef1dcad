"""Reads of the Party-building dashboard: every figure counted in SQL inside the reader's scope.

Each figure starts from a room's `visible_to(actor)` (or a room's selector built on it), so a
community cadre granted Party work counts their subtree, a secretary their branch, a member
their own records — and nothing else leaks. The page costs a fixed number of queries whatever
the size of the street (see `party_dashboard`).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear, TruncMonth

from partybuilding.alliances.models import AllianceItem
from partybuilding.organisations.models import PartyMember, PartyOrg
from partybuilding.orglife.models import MeetingKind, OrgLifeMeeting
from partybuilding.orglife.selectors import (
    compliance_orgs,
    org_was_due,
    period_containing,
    required_kinds,
    requirement_rows,
)
from partybuilding.serving.models import ServiceHours
from partybuilding.training.models import TrainingRecord, TrainingThreshold
from partybuilding.training.selectors import secretaries_on, thresholds

ZERO = Decimal("0")
NO_COMMUNITY = "—"


def orgs_and_members_per_community(*, actor) -> list[dict]:
    """Organisations and members (of the organisations) per community; the street-level
    organisations (committee, functional branches) under "—". Two grouped queries."""
    orgs = (
        PartyOrg.objects.visible_to(actor)
        .filter(dissolved_on__isnull=True)
        .order_by()
        .values("community__name")
        .annotate(n=Count("pk"))
    )
    members = (
        PartyMember.objects.visible_to(actor)
        .filter(transferred_out_on__isnull=True)
        .order_by()
        .values("org__community__name")
        .annotate(n=Count("pk"))
    )
    rows: dict[str, dict] = {}
    for row in orgs:
        name = row["community__name"] or NO_COMMUNITY
        rows.setdefault(name, {"community": name, "orgs": 0, "members": 0})["orgs"] += row["n"]
    for row in members:
        name = row["org__community__name"] or NO_COMMUNITY
        rows.setdefault(name, {"community": name, "orgs": 0, "members": 0})["members"] += row["n"]
    return sorted(rows.values(), key=lambda r: (r["community"] == NO_COMMUNITY, r["community"]))


def reporting_coverage(*, actor) -> dict:
    """双报到 coverage: serving members (in the organisation today) and how many of them
    reported to a community. One query."""
    counts = (
        PartyMember.objects.visible_to(actor)
        .filter(serving=True, transferred_out_on__isnull=True)
        .aggregate(
            serving=Count("pk"),
            reported=Count("pk", filter=Q(reported_community__isnull=False)),
        )
    )
    serving = counts["serving"] or 0
    reported = counts["reported"] or 0
    percent = round(100 * reported / serving) if serving else 0
    return {"serving": serving, "reported": reported, "percent": percent}


def _month_starts(today: datetime.date, n: int = 12) -> list[datetime.date]:
    year, month = today.year, today.month
    months = []
    for _ in range(n):
        months.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def hours_per_month(*, actor, today: datetime.date) -> dict:
    """Approved service hours per month served, the last 12 months (this one included). One
    grouped query."""
    months = _month_starts(today)
    rows = (
        ServiceHours.objects.visible_to(actor)
        .filter(status=ServiceHours.Status.APPROVED, served_on__gte=months[0], served_on__lte=today)
        .annotate(month=TruncMonth("served_on"))
        .order_by()
        .values("month")
        .annotate(total=Sum("hours"))
    )
    totals = {_as_date(row["month"]): row["total"] for row in rows}
    values = [float(totals.get(m, ZERO)) for m in months]
    return {
        "months": [m.strftime("%Y-%m") for m in months],
        "hours": values,
        "total": sum(values),
    }


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def alliance_items_by_status(*, actor) -> dict:
    """Alliance list items (needs, resources, projects) per status. One grouped query."""
    rows = (
        AllianceItem.objects.visible_to(actor)
        .order_by()
        .values("kind", "status")
        .annotate(n=Count("pk"))
    )
    counts = {(row["kind"], row["status"]): row["n"] for row in rows}
    statuses = AllianceItem.Status.values
    return {
        "statuses": [str(label) for label in AllianceItem.Status.labels],
        "kinds": [
            {"label": str(label), "counts": [counts.get((kind, s), 0) for s in statuses]}
            for kind, label in AllianceItem.Kind.choices
        ],
        "total": sum(counts.values()),
    }


@dataclass(frozen=True)
class MeetingGap:
    org: PartyOrg
    kind_label: str
    period_label: str


def orglife_gaps(*, actor, today: datetime.date) -> dict:
    """Organisations (in the actor's jurisdiction) missing a required meeting in the last ended
    period of its frequency (last month, last quarter). Three queries: the requirements, the
    organisations, the meetings held per organisation, kind and month (the organisations enter
    that query as a subquery, not a list of ids)."""
    requirements = requirement_rows()
    due = compliance_orgs(actor=actor)
    orgs = list(due)
    spans = {
        period: period_containing(period_containing(today, period).start - _ONE_DAY, period)
        for period in ("month", "quarter")
    }
    start = min(span.start for span in spans.values())
    end = max(span.end for span in spans.values())
    held = set(
        OrgLifeMeeting.objects.visible_to(actor)
        .filter(org__in=due.order_by().values("pk"), held_on__gte=start, held_on__lte=end)
        .annotate(year=ExtractYear("held_on"), month=ExtractMonth("held_on"))
        .order_by()
        .values_list("org_id", "kind", "year", "month")
        .distinct()
    )
    labels = dict(MeetingKind.choices)
    gaps, due_orgs = [], set()
    for org in orgs:
        for kind, period in required_kinds(org.kind, requirements):
            span = spans[period]
            if not org_was_due(org, span):
                continue
            due_orgs.add(org.pk)
            if any((org.pk, kind, span.start.year, m) in held for m in span.months):
                continue
            gaps.append(MeetingGap(org=org, kind_label=str(labels[kind]), period_label=span.key))
    missing = len({gap.org.pk for gap in gaps})
    return {"orgs": len(due_orgs), "missing": missing, "gaps": gaps}


_ONE_DAY = datetime.timedelta(days=1)


def training_against_thresholds(*, actor, today: datetime.date) -> dict:
    """Members (in their organisation today) and those below their yearly training threshold so
    far this year, by position. Two queries: the thresholds and one aggregate over the members
    annotated with their hours and whether they are a secretary."""
    limits = thresholds()
    member_limit = limits.get(TrainingThreshold.Position.MEMBER, ZERO)
    secretary_limit = limits.get(TrainingThreshold.Position.SECRETARY, member_limit)
    field = DecimalField(max_digits=8, decimal_places=1)
    hours = (
        TrainingRecord.objects.filter(
            member=OuterRef("pk"),
            completed_on__gte=datetime.date(today.year, 1, 1),
            completed_on__lte=today,
        )
        .order_by()
        .values("member")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    counts = (
        PartyMember.objects.visible_to(actor)
        .filter(
            Q(transferred_in_on__isnull=True) | Q(transferred_in_on__lte=today),
            transferred_out_on__isnull=True,
        )
        .annotate(
            training_hours=Coalesce(
                Subquery(hours, output_field=field), Value(ZERO), output_field=field
            ),
            is_secretary=Exists(secretaries_on(today).filter(secretary=OuterRef("pk"))),
        )
        .aggregate(
            members=Count("pk", filter=Q(is_secretary=False)),
            members_below=Count(
                "pk", filter=Q(is_secretary=False, training_hours__lt=member_limit)
            ),
            secretaries=Count("pk", filter=Q(is_secretary=True)),
            secretaries_below=Count(
                "pk", filter=Q(is_secretary=True, training_hours__lt=secretary_limit)
            ),
        )
    )
    return {
        "year": today.year,
        "member_limit": member_limit,
        "secretary_limit": secretary_limit,
        **{key: value or 0 for key, value in counts.items()},
    }


def party_dashboard(*, actor, today: datetime.date) -> dict:
    """Every figure of the dashboard. Queries (constant): organisations per community, members
    per community, 双报到 coverage, hours per month, alliance items per status, meeting
    requirements, compliance organisations, meetings held, training thresholds, training
    aggregate — ten."""
    return {
        "communities": orgs_and_members_per_community(actor=actor),
        "coverage": reporting_coverage(actor=actor),
        "hours": hours_per_month(actor=actor, today=today),
        "items": alliance_items_by_status(actor=actor),
        "orglife": orglife_gaps(actor=actor, today=today),
        "training": training_against_thresholds(actor=actor, today=today),
    }
