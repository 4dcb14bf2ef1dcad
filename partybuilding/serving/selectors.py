"""Reads of 双报到: needs, hours, points and the quarterly feedback sheet. Each starts from
`visible_to(actor)` and owns its joins (constant queries per list). No ranking of members by
points anywhere: a member sees their own totals, the sheet lists members by name."""

import datetime
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Sum
from django.db.models.lookups import StartsWith

from partybuilding.organisations.models import PartyMember, PartyOrg
from partybuilding.organisations.querysets import communities_in_scope, sees_whole_street
from partybuilding.organisations.selectors import party_member_list
from partybuilding.serving.models import CommunityNeed, PointRule, ServiceHours
from portal.spreadsheets import safe_cell

# --- Needs ------------------------------------------------------------------------------------


def community_need_list(*, actor):
    """Needs the actor may see (a member: their community's and those they claimed)."""
    return CommunityNeed.objects.visible_to(actor).select_related(
        "community", "claimed_by", "created_by"
    )


def community_need_claimable(*, actor, member):
    """Open needs of the community `member` reported to (what they may claim)."""
    if member is None or not member.reported_community_id:
        return CommunityNeed.objects.none()
    return community_need_list(actor=actor).filter(
        community=member.reported_community_id, status=CommunityNeed.Status.OPEN
    )


def community_need_claimed_by(*, actor, member):
    """Needs `member` claimed, newest first."""
    return community_need_list(actor=actor).filter(claimed_by=member)


# --- Point rules ------------------------------------------------------------------------------


def point_rule_list(*, actor):
    """The street's point rules (one table, read by everyone in its Party work)."""
    return PointRule.objects.visible_to(actor).order_by("-active", "code")


def point_rule_choices(*, actor):
    """The active point rules (kinds of service) a member may log hours under."""
    return PointRule.objects.visible_to(actor).filter(active=True).order_by("code")


# --- Hours ------------------------------------------------------------------------------------


def service_hours_list(*, actor):
    """Hours the actor may see, with what a row shows."""
    return ServiceHours.objects.visible_to(actor).select_related(
        "member", "member__org", "community", "need", "rule", "reviewed_by"
    )


def service_hours_to_review(*, actor):
    """Submitted hours the actor may review: the gate's rule (serving/policy.py
    `_require_reviewer`) in SQL, so the review list costs one query. The Party office: all;
    a granted community cadre: those served in their communities; a secretary: those of the
    members of the organisations they lead. Never the actor's own."""
    queryset = service_hours_list(actor=actor).filter(status=ServiceHours.Status.SUBMITTED)
    queryset = queryset.exclude(member__user=actor)
    if actor.is_superuser or sees_whole_street(actor):
        return queryset
    led = PartyOrg.objects.filter(secretary__user=actor).exclude(path="")
    under_led = Exists(led.filter(StartsWith(OuterRef("member__org__path"), F("path"))))
    rule = Q(under_led)
    if actor.is_community_cadre:
        rule |= Q(community__in=communities_in_scope(actor))
    return queryset.filter(rule)


def member_totals(*, member) -> dict:
    """A member's own hours and points: approved, and still waiting (one query)."""
    approved = Q(status=ServiceHours.Status.APPROVED)
    totals = ServiceHours.objects.filter(member=member).aggregate(
        hours=Sum("hours", filter=approved),
        points=Sum("points", filter=approved),
        records=Count("pk", filter=approved),
        pending=Count("pk", filter=Q(status=ServiceHours.Status.SUBMITTED)),
    )
    return {
        "hours": totals["hours"] or Decimal("0"),
        "points": totals["points"] or Decimal("0"),
        "records": totals["records"],
        "pending": totals["pending"],
    }


def member_hours(*, actor, member):
    """The member's hours, newest first."""
    return service_hours_list(actor=actor).filter(member=member)


# --- The quarterly feedback sheet ---------------------------------------------------------------


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a quarter (1-4)."""
    start = datetime.date(year, 3 * quarter - 2, 1)
    end_month = 3 * quarter
    end = (
        datetime.date(year + 1, 1, 1) if end_month == 12 else datetime.date(year, end_month + 1, 1)
    ) - datetime.timedelta(days=1)
    return start, end


def employer_org_choices(*, actor):
    """Organisations that employ members the actor sees (the sheet's choices)."""
    employing = party_member_list(actor=actor).filter(employer_org=OuterRef("pk"))
    return PartyOrg.objects.visible_to(actor).filter(Exists(employing)).order_by("path", "pk")


def feedback_sheet(*, actor, employer_org, year: int, quarter: int) -> dict:
    """The quarter's feedback to an employer's Party organisation: each member employed there
    (whom the actor sees), their approved hours and the items they served. Two queries."""
    start, end = quarter_bounds(year, quarter)
    served = (
        ServiceHours.objects.filter(
            status=ServiceHours.Status.APPROVED, served_on__gte=start, served_on__lte=end
        )
        .select_related("need", "community")
        .order_by("served_on", "pk")
    )
    members = list(
        party_member_list(actor=actor)
        .filter(employer_org=employer_org)
        .order_by("name", "pk")
        .prefetch_related(Prefetch("service_hours", queryset=served, to_attr="quarter_hours"))
    )
    rows = []
    for member in members:
        hours = sum((h.hours for h in member.quarter_hours), Decimal("0"))
        rows.append({"member": member, "hours": hours, "items": member.quarter_hours})
    return {
        "org": employer_org,
        "year": year,
        "quarter": quarter,
        "start": start,
        "end": end,
        "rows": rows,
        "total_hours": sum((row["hours"] for row in rows), Decimal("0")),
    }


def feedback_sheet_workbook(sheet: dict) -> bytes:
    """The sheet as an .xlsx: one row per item served (a member without service: one row)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    ws = workbook.active
    ws.title = f"{sheet['year']}Q{sheet['quarter']}"
    ws.append(
        [
            safe_cell(
                f"{sheet['org'].name} {sheet['year']}年第{sheet['quarter']}季度在职党员双报到反馈表"
            )
        ]
    )
    ws["A1"].font = Font(bold=True)
    headers = [
        "姓名",
        "单位",
        "报到社区",
        "服务日期",
        "服务内容",
        "时长（小时）",
        "季度合计（小时）",
    ]
    ws.append(headers)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in sheet["rows"]:
        member = row["member"]
        community = member.reported_community.name if member.reported_community_id else ""
        items = row["items"] or [None]
        for item in items:
            ws.append(
                [
                    safe_cell(member.name),
                    safe_cell(member.employer),
                    safe_cell(community),
                    item.served_on if item else None,
                    safe_cell(_item_text(item)) if item else "",
                    float(item.hours) if item else 0,
                    float(row["hours"]),
                ]
            )
    for letter, width in zip("ABCDEFG", (12, 24, 14, 12, 40, 12, 16), strict=True):
        ws.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _item_text(item) -> str:
    if item.need_id:
        return f"{item.need.title}：{item.description}" if item.description else item.need.title
    return item.description


def party_member_own(*, user):
    """The user's own member record with their org and community (None for anyone else)."""
    if user is None or not user.is_authenticated:
        return None
    return (
        PartyMember.objects.filter(user=user)
        .select_related("org", "reported_community", "employer_org")
        .first()
    )
