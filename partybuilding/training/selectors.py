"""Reads of training: courses, records, and each member's hours against their yearly threshold.

Every read starts from `visible_to(actor)` (the year-end task, acting for the whole street, from
the unscoped manager) and owns its joins: the hours of every member of a page are one query
with two correlated subqueries (hours in the period, secretary on the date), never one per row.

Who needs how many hours: TrainingThreshold (configurable; 32 h for members, 56 h for
secretaries by default). A secretary is a member who is the secretary of some organisation on
the date — `PartyOrg.secretary` is today's secretary, so "on the date" means of an
organisation that exists then (founded on or before it, not dissolved before it). The members
counted are those in the organisation on the date (transferred in on or before it, not
transferred out by then); hours are those of records completed from 1 January to the date.
"""

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from partybuilding.organisations.models import PartyMember, PartyOrg
from partybuilding.training.models import TrainingCourse, TrainingRecord, TrainingThreshold
from portal.spreadsheets import safe_cell

ZERO = Decimal("0")
Position = TrainingThreshold.Position


# --- Courses and records ------------------------------------------------------------------------


def course_list(*, actor):
    """Courses the actor may see, with the number of attendance records the actor may see."""
    counted = (
        TrainingRecord.objects.visible_to(actor)
        .filter(course=OuterRef("pk"))
        .order_by()
        .values("course")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        TrainingCourse.objects.visible_to(actor)
        .annotate(record_count=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0)))
        .order_by("-held_on", "title", "pk")
    )


def course_records(*, actor, course):
    """The course's attendance records the actor may see, by member name."""
    return (
        TrainingRecord.objects.visible_to(actor)
        .filter(course=course)
        .select_related("member__org")
        .order_by("member__name", "pk")
    )


def record_list(*, actor):
    """Attendance records the actor may see, with course and member."""
    return (
        TrainingRecord.objects.visible_to(actor)
        .select_related("course", "member__org")
        .order_by("-completed_on", "-pk")
    )


def attendee_choices(*, actor, org=None):
    """Current members the actor may record as attendees (of `org`'s subtree when given)."""
    members = PartyMember.objects.visible_to(actor).filter(transferred_out_on__isnull=True)
    if org is not None:
        members = members.filter(org__path__startswith=org.path)
    return members.select_related("org").order_by("org__path", "name", "pk")


def org_choices(*, actor):
    """Organisations whose members' hours the actor may look at."""
    return PartyOrg.objects.visible_to(actor).order_by("path", "pk")


def thresholds() -> dict[str, Decimal]:
    """Yearly hours per position (one query; the street's configuration, read by everyone)."""
    return dict(TrainingThreshold.objects.values_list("position", "yearly_hours"))


def threshold_list(*, actor):
    return TrainingThreshold.objects.visible_to(actor).order_by("position")


# --- Hours against thresholds -------------------------------------------------------------------


@dataclass
class MemberHours:
    """One member's training year: hours so far, position, the threshold and what is missing."""

    member: PartyMember
    hours: Decimal
    is_secretary: bool
    threshold: Decimal

    @property
    def position_label(self) -> str:
        return Position.SECRETARY.label if self.is_secretary else Position.MEMBER.label

    @property
    def shortfall(self) -> Decimal:
        return max(self.threshold - self.hours, ZERO)

    @property
    def below(self) -> bool:
        return self.hours < self.threshold


def secretaries_on(day: datetime.date):
    """Members who are the secretary of an organisation that exists on `day` (a subquery)."""
    return PartyOrg.objects.filter(
        Q(founded_on__isnull=True) | Q(founded_on__lte=day),
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=day),
        secretary__isnull=False,
    ).values("secretary")


def _members_with_hours(members, *, year: int, until: datetime.date):
    """`members` in their organisation on `until`, annotated with their hours from 1 January
    of `year` to `until` and whether they are a secretary on `until`."""
    start = datetime.date(year, 1, 1)
    hours = (
        TrainingRecord.objects.filter(
            member=OuterRef("pk"), completed_on__gte=start, completed_on__lte=until
        )
        .order_by()
        .values("member")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    field = DecimalField(max_digits=8, decimal_places=1)
    return (
        members.filter(
            Q(transferred_in_on__isnull=True) | Q(transferred_in_on__lte=until),
            Q(transferred_out_on__isnull=True) | Q(transferred_out_on__gt=until),
        )
        .select_related("org")
        .annotate(
            training_hours=Coalesce(
                Subquery(hours, output_field=field), Value(ZERO), output_field=field
            ),
            is_secretary=Exists(secretaries_on(until).filter(secretary=OuterRef("pk"))),
        )
        .order_by("org__path", "name", "pk")
    )


def _rows(members, limits: dict[str, Decimal]) -> list[MemberHours]:
    member_limit = limits.get(Position.MEMBER, ZERO)
    secretary_limit = limits.get(Position.SECRETARY, member_limit)
    return [
        MemberHours(
            member=m,
            hours=m.training_hours,
            is_secretary=m.is_secretary,
            threshold=secretary_limit if m.is_secretary else member_limit,
        )
        for m in members
    ]


def period_end(year: int, today: datetime.date) -> datetime.date:
    """Year to date: today in the current year, 31 December for a past year."""
    end = datetime.date(year, 12, 31)
    return min(end, today) if year == today.year else end


def training_hours(
    *, actor, year: int, until: datetime.date, org: PartyOrg | None = None
) -> list[MemberHours]:
    """Each member the actor sees (of `org`'s subtree when given): hours from 1 January of
    `year` to `until` against their threshold. Two queries (thresholds, members)."""
    members = PartyMember.objects.visible_to(actor)
    if org is not None:
        members = members.filter(org__path__startswith=org.path)
    return _rows(_members_with_hours(members, year=year, until=until), thresholds())


def training_shortfalls(*, actor, year: int, org: PartyOrg | None = None) -> list[MemberHours]:
    """The year-end report: exactly the members (the actor sees) below their threshold for the
    whole of `year` — in the organisation on 31 December, hours of records completed that year."""
    until = datetime.date(year, 12, 31)
    return [
        row for row in training_hours(actor=actor, year=year, until=until, org=org) if row.below
    ]


def training_shortfalls_by_org(*, year: int) -> dict[PartyOrg, list[MemberHours]]:
    """The street's year-end shortfalls grouped by each member's own organisation (with its
    secretary's login) — what the year-end notice sends. The system's read: no scope."""
    until = datetime.date(year, 12, 31)
    members = PartyMember.objects.select_related("org__secretary__user")
    rows = [
        row
        for row in _rows(_members_with_hours(members, year=year, until=until), thresholds())
        if row.below
    ]
    grouped: dict[PartyOrg, list[MemberHours]] = {}
    for row in rows:
        grouped.setdefault(row.member.org, []).append(row)
    return grouped


# --- The export ---------------------------------------------------------------------------------

SHORTFALL_HEADERS = ["姓名", "党组织", "身份", "年度要求（学时）", "已完成（学时）", "差额（学时）"]


def training_shortfalls_workbook(rows: list[MemberHours], *, year: int) -> bytes:
    """The year-end report as an .xlsx: a title row, the headers, one row per member below
    their threshold. Every text cell is neutralised against formula injection."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{year}"
    sheet.append([f"{year}年度党员培训学时未达标名单"])
    sheet["A1"].font = Font(bold=True)
    sheet.append(SHORTFALL_HEADERS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(
            [
                safe_cell(row.member.name),
                safe_cell(row.member.org.name),
                safe_cell(row.position_label),
                float(row.threshold),
                float(row.hours),
                float(row.shortfall),
            ]
        )
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 28
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
