"""Party building's figures for the catalogue of data elements (数据元): members, 双报到,
organisations, 三会一课, training hours and the members below their yearly threshold,
registered by element id (portal/figures.py).

The system's reads for the street's reports (no reader scope). An organisation lies in the
area of its community (or of its grid, or of its building's grid); the street-level
organisations count only for the whole street. A member lies where their organisation does;
双报到 is counted by the community reported to (a community's figure, so None for a grid).

On a date, as the rooms read it (partybuilding/training/selectors.py):
- a member is in their organisation once joined and transferred in on or before the date, and
  until the day they transfer out (not transferred out on or before it);
- an organisation exists from its founding to the day it is dissolved, both included.
"""

import datetime
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from grids.models import Grid, Region
from partybuilding.organisations.models import PartyMember, PartyOrg
from partybuilding.orglife.models import MeetingKind, OrgLifeMeeting
from partybuilding.training.models import TrainingRecord, TrainingThreshold
from partybuilding.training.selectors import secretaries_on, thresholds
from portal.figures import figure

ZERO = Decimal("0")
HOURS = DecimalField(max_digits=10, decimal_places=1)

# 三会一课: 支部党员大会、支部委员会、党小组会、党课 (主题党日 not counted).
THREE_MEETINGS_ONE_LECTURE = (
    MeetingKind.GENERAL_ASSEMBLY,
    MeetingKind.BRANCH_COMMITTEE,
    MeetingKind.GROUP_MEETING,
    MeetingKind.PARTY_LECTURE,
)
# 基层党组织: committees, general branches and branches of every sort (not a building's group).
PRIMARY_ORG_KINDS = (
    PartyOrg.Kind.COMMITTEE,
    PartyOrg.Kind.GENERAL_BRANCH,
    PartyOrg.Kind.BRANCH,
    PartyOrg.Kind.JOINT_BRANCH,
    PartyOrg.Kind.FUNCTIONAL_BRANCH,
    PartyOrg.Kind.GRID_BRANCH,
)


def _street_wide(area) -> bool:
    return area is None or (isinstance(area, Region) and area.level != Region.Level.COMMUNITY)


def org_area_q(area, path: str = "") -> Q:
    """Q for rows whose organisation (reached by `path`, "" for PartyOrg) lies in `area`."""
    if _street_wide(area):
        return Q()
    p = f"{path}__" if path else ""
    if isinstance(area, Grid):
        return Q(**{f"{p}grid": area}) | Q(**{f"{p}building__grid": area})
    if isinstance(area, Region):
        return (
            Q(**{f"{p}community": area})
            | Q(**{f"{p}grid__community": area})
            | Q(**{f"{p}building__community": area})
        )
    raise TypeError(f"an area is a community Region or a Grid, not {type(area).__name__}")


def members_on(day: datetime.date, area=None) -> QuerySet:
    """Members (full and probationary) in an organisation of the street on `day`."""
    return PartyMember.objects.filter(
        Q(joined_party_on__isnull=True) | Q(joined_party_on__lte=day),
        Q(transferred_in_on__isnull=True) | Q(transferred_in_on__lte=day),
        Q(transferred_out_on__isnull=True) | Q(transferred_out_on__gt=day),
        org_area_q(area, "org"),
    )


@figure("DE054")
def party_members(*, span, area, reader):
    return members_on(span.end, area).count()


@figure("DE055")
def serving_members_reported(*, span, area, reader):
    """Serving members who reported (双报到) to a community of the street by the date; by the
    community reported to — a grid has no such figure (None)."""
    if isinstance(area, Grid):
        return None
    day = span.end
    members = members_on(day).filter(
        Q(reported_on__isnull=True) | Q(reported_on__lte=day),
        serving=True,
        reported_community__isnull=False,
    )
    if not _street_wide(area):
        members = members.filter(reported_community=area)
    return members.count()


@figure("DE056")
def party_orgs(*, span, area, reader):
    """基层党组织 under the street's committee (the committee itself, at the root, is not
    counted), existing on the date."""
    day = span.end
    return PartyOrg.objects.filter(
        Q(founded_on__isnull=True) | Q(founded_on__lte=day),
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=day),
        org_area_q(area),
        parent__isnull=False,
        kind__in=PRIMARY_ORG_KINDS,
    ).count()


@figure("DE057")
def org_life_meetings(*, span, area, reader):
    return OrgLifeMeeting.objects.filter(
        org_area_q(area, "org"),
        kind__in=THREE_MEETINGS_ONE_LECTURE,
        held_on__gte=span.start,
        held_on__lte=span.end,
    ).count()


@figure("DE058")
def training_hours(*, span, area, reader):
    return TrainingRecord.objects.filter(
        org_area_q(area, "member__org"),
        completed_on__gte=span.start,
        completed_on__lte=span.end,
    ).aggregate(total=Coalesce(Sum("hours"), Value(Decimal("0.0")), output_field=HOURS))["total"]


@figure("DE059")
def members_below_training_threshold(*, span, area, reader):
    """Members on the date whose hours from 1 January to the date are below the yearly hours
    configured for their position (TrainingThreshold: member, or secretary of an organisation
    existing on the date). Two queries: the thresholds and one aggregate."""
    day = span.end
    limits = thresholds()
    member_limit = limits.get(TrainingThreshold.Position.MEMBER, ZERO)
    secretary_limit = limits.get(TrainingThreshold.Position.SECRETARY, member_limit)
    hours = (
        TrainingRecord.objects.filter(
            member=OuterRef("pk"),
            completed_on__gte=datetime.date(day.year, 1, 1),
            completed_on__lte=day,
        )
        .order_by()
        .values("member")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    return (
        members_on(day, area)
        .annotate(
            training_hours=Coalesce(
                Subquery(hours, output_field=HOURS), Value(ZERO), output_field=HOURS
            ),
            is_secretary=Exists(secretaries_on(day).filter(secretary=OuterRef("pk"))),
        )
        .aggregate(
            n=Count(
                "pk",
                filter=Q(is_secretary=False, training_hours__lt=member_limit)
                | Q(is_secretary=True, training_hours__lt=secretary_limit),
            )
        )["n"]
    )
