"""Reads of organisational life: meetings with their attendance counts, the members an
attendance sheet lists, and compliance — for each organisation and each required kind of
meeting, the months or quarters of the year so far with or without a meeting.

Which kinds an organisation must hold (`required_kinds`): a requirement naming the
organisation's kind wins; otherwise the street-wide one (org kind "") applies to the
organisations that hold 三会一课 — branches of every sort and building Party groups. A group
holds only group meetings, lectures and theme days; a branch's 党小组会 are held in its groups,
so the street-wide 党小组会 applies to groups only. Committees and general branches are held to
a kind only by a requirement that names their kind.

Compliance is three queries whatever the number of organisations: the organisations, the
requirements, and the meetings counted per organisation, kind and month.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractMonth, ExtractYear

from partybuilding.organisations.models import PartyMember, PartyOrg
from partybuilding.organisations.querysets import orgs_in_scope, sees_whole_street
from partybuilding.orglife.models import (
    GROUP_MEETING_KINDS,
    MeetingAttendance,
    MeetingKind,
    MeetingRequirement,
    OrgLifeMeeting,
)

Status = MeetingAttendance.Status
Period = MeetingRequirement.Period

# The organisations that hold 三会一课 under the street-wide requirements.
MEETING_ORG_KINDS = frozenset(
    {
        PartyOrg.Kind.BRANCH,
        PartyOrg.Kind.JOINT_BRANCH,
        PartyOrg.Kind.FUNCTIONAL_BRANCH,
        PartyOrg.Kind.GRID_BRANCH,
        PartyOrg.Kind.BUILDING_GROUP,
    }
)


# --- Meetings ----------------------------------------------------------------------------------


def meeting_list(*, actor, action: str = "view"):
    """Meetings the actor sees, with the organisation and the attendance counts."""
    return (
        OrgLifeMeeting.objects.visible_to(actor, action)
        .select_related("org", "recorded_by")
        .annotate(
            present_count=Count("attendance", filter=Q(attendance__status=Status.PRESENT)),
            excused_count=Count("attendance", filter=Q(attendance__status=Status.EXCUSED)),
            absent_count=Count("attendance", filter=Q(attendance__status=Status.ABSENT)),
        )
        .order_by("-held_on", "-pk")
    )


def meeting_api_list(*, actor):
    """Meetings with their attendance rows the actor may see prefetched."""
    from django.db.models import Prefetch

    return meeting_list(actor=actor).prefetch_related(
        Prefetch(
            "attendance",
            queryset=MeetingAttendance.objects.visible_to(actor)
            .select_related("member")
            .order_by("member__name", "member_id"),
        )
    )


def meeting_attendance(*, actor, meeting):
    return (
        MeetingAttendance.objects.visible_to(actor)
        .filter(meeting=meeting)
        .select_related("member", "member__org")
        .order_by("status", "member__name", "member_id")
    )


def attendance_members(*, org):
    """The current members an attendance sheet of `org` lists: the organisation's and its
    subtree's (a branch's assembly counts its groups' members)."""
    return (
        PartyMember.objects.filter(org__path__startswith=org.path, transferred_out_on__isnull=True)
        .select_related("org")
        .order_by("org__path", "name", "pk")
    )


def meeting_org_choices(*, actor):
    """Organisations the actor may record meetings for: the street's all, otherwise those in
    the actor's Party-work jurisdiction."""
    orgs = PartyOrg.objects.all()
    if actor is None:
        return orgs.order_by("path")
    if not sees_whole_street(actor):
        orgs = orgs.filter(pk__in=orgs_in_scope(actor))
    return orgs.order_by("path")


# --- Requirements and periods ------------------------------------------------------------------


def requirement_list(*, actor):
    """The street's required frequencies (one table, read by everyone in its Party work)."""
    return MeetingRequirement.objects.visible_to(actor).order_by("kind", "org_kind", "pk")


def requirement_rows():
    return list(MeetingRequirement.objects.order_by("kind", "org_kind"))


def required_kinds(org_kind: str, requirements) -> list[tuple[str, str]]:
    """(meeting kind, period) pairs the organisations of `org_kind` must hold, in the order of
    MeetingKind."""
    specific = {r.kind: r.period for r in requirements if r.org_kind == org_kind}
    general = {r.kind: r.period for r in requirements if r.org_kind == ""}
    required = dict(specific)
    if org_kind in MEETING_ORG_KINDS:
        is_group = org_kind == PartyOrg.Kind.BUILDING_GROUP
        for kind, period in general.items():
            if kind in required:
                continue
            if is_group and kind not in GROUP_MEETING_KINDS:
                continue
            if not is_group and kind == MeetingKind.GROUP_MEETING:
                continue
            required[kind] = period
    return [(kind, required[kind]) for kind in MeetingKind.values if kind in required]


@dataclass(frozen=True)
class PeriodSpan:
    """One month ("2026-03") or quarter ("2026-Q1") of a year."""

    key: str
    label: str
    start: date
    end: date
    months: tuple[int, ...]


def period_spans(year: int, period: str) -> list[PeriodSpan]:
    if period == Period.QUARTER:
        spans = []
        for quarter in range(1, 5):
            first = 3 * quarter - 2
            last = first + 2
            spans.append(
                PeriodSpan(
                    key=f"{year}-Q{quarter}",
                    label=f"Q{quarter}",
                    start=date(year, first, 1),
                    end=date(year, last, calendar.monthrange(year, last)[1]),
                    months=(first, first + 1, last),
                )
            )
        return spans
    return [
        PeriodSpan(
            key=f"{year}-{month:02d}",
            label=f"{month}",
            start=date(year, month, 1),
            end=date(year, month, calendar.monthrange(year, month)[1]),
            months=(month,),
        )
        for month in range(1, 13)
    ]


def period_containing(day: date, period: str) -> PeriodSpan:
    return next(span for span in period_spans(day.year, period) if span.start <= day <= span.end)


def org_was_due(org, span: PeriodSpan) -> bool:
    """The organisation existed for the whole period (founded by its start, not dissolved
    before its end)."""
    if org.founded_on and org.founded_on > span.start:
        return False
    return not (org.dissolved_on and org.dissolved_on < span.end)


# --- Compliance ------------------------------------------------------------------------------


@dataclass
class ComplianceRow:
    kind: str
    kind_label: str
    period: str
    cells: list = field(default_factory=list)  # (span, state): "held" | "missed" | "open" | "n/a"

    @property
    def missed(self) -> int:
        return sum(1 for _span, state in self.cells if state == "missed")


def compliance_orgs(*, actor):
    """The organisations whose compliance the actor reads: those in their Party-work
    jurisdiction (the street's all), holding 三会一课 or named by a requirement."""
    named = MeetingRequirement.objects.exclude(org_kind="").values("org_kind")
    return (
        meeting_org_choices(actor=actor)
        .filter(Q(kind__in=MEETING_ORG_KINDS) | Q(kind__in=named))
        .select_related("community")
    )


def compliance(*, orgs, year: int, today: date) -> list[tuple[PartyOrg, list[ComplianceRow]]]:
    """For each organisation of `orgs` (a list) and each kind it must hold, the periods of
    `year` up to `today`: held, missed (ended without a meeting), open (not ended yet) or n/a
    (the organisation did not exist for the whole period)."""
    requirements = requirement_rows()
    held = _held_months(orgs=orgs, years=[year])
    labels = dict(MeetingKind.choices)
    result = []
    for org in orgs:
        rows = []
        for kind, period in required_kinds(org.kind, requirements):
            row = ComplianceRow(kind=kind, kind_label=str(labels[kind]), period=period)
            for span in period_spans(year, period):
                if span.start > today:
                    break
                if any((org.pk, kind, year, month) in held for month in span.months):
                    state = "held"
                elif not org_was_due(org, span):
                    state = "n/a"
                elif span.end >= today:
                    state = "open"
                else:
                    state = "missed"
                row.cells.append((span, state))
            rows.append(row)
        result.append((org, rows))
    return result


def _held_months(*, orgs, years) -> set[tuple[int, str, int, int]]:
    """(org, kind, year, month) with at least one meeting in one of `years`: one grouped
    query. `orgs` is a queryset of organisations — it enters the SQL as a subquery, so the
    statement is the same size for 7 organisations or 700 — or a list (a page of them)."""
    is_query = isinstance(orgs, QuerySet)
    wanted = orgs.order_by().values("pk") if is_query else [o.pk for o in orgs]
    return set(
        OrgLifeMeeting.objects.filter(org__in=wanted, held_on__year__in=years)
        .annotate(year=ExtractYear("held_on"), month=ExtractMonth("held_on"))
        .values_list("org_id", "kind", "year", "month")
        .distinct()
    )


def gaps_just_ended(*, today: date) -> list[tuple[PartyOrg, str, PeriodSpan]]:
    """For every organisation of the street: each required kind whose latest ended period (the
    month or quarter before today's) had no meeting. For the daily reminder (the system reads
    the whole street; its gate is the write's)."""
    requirements = requirement_rows()
    spans = {
        period: period_containing(
            period_containing(today, period).start - timedelta(days=1), period
        )
        for period in Period.values
    }
    due = compliance_orgs(actor=None).filter(path__gt="")
    orgs = list(due.select_related("secretary__user"))
    held = _held_months(orgs=due, years=sorted({span.start.year for span in spans.values()}))
    gaps = []
    for org in orgs:
        for kind, period in required_kinds(org.kind, requirements):
            span = spans[period]
            if not org_was_due(org, span):
                continue
            year = span.start.year
            if any((org.pk, kind, year, month) in held for month in span.months):
                continue
            gaps.append((org, kind, span))
    return gaps
