"""The services' figures for the catalogue of data elements (数据元): meals, cleaning,
family-doctor contracts, counselling, science classes, referrals, activities and aid,
registered by element id (portal/figures.py).

The system's reads for the street's reports (no reader scope). A service row lies in the area
of the household of the resident it served (an aid case: its household); an activity in its
community — an activity has no grid, so a figure of activities alone has no value for a grid
(None). Flows count `span.start <= day <= span.end` in the portal's time zone; the family-doctor
stock is taken on `span.end`, with the registry's rules for who is in the street
(grids/figures.py).
"""

from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, ExtractHour, TruncDate

from grids.figures import (
    ACTUAL,
    aged,
    household_area_q,
    rate,
    residents_on,
    usual_population,
    window,
)
from grids.models import Grid, Region
from portal.figures import Span, figure
from services.models import (
    Activity,
    AidCase,
    Delivery,
    Disbursement,
    FamilyDoctorContract,
    MealLog,
    ReferralEvent,
    ServiceItem,
)

Category = ServiceItem.Category
MONEY = DecimalField(max_digits=14, decimal_places=2)
# A class held before noon and one held after it on the same day are two sessions.
AFTERNOON_FROM_HOUR = 12


def _sum(queryset: QuerySet, field: str):
    return queryset.aggregate(
        total=Coalesce(Sum(field), Value(Decimal("0.00")), output_field=MONEY)
    )["total"]


def deliveries_in(span: Span, area, category: str) -> QuerySet:
    start, end = window(span)
    return Delivery.objects.filter(
        household_area_q(area, "resident__household"),
        service_item__category=category,
        delivered_at__gte=start,
        delivered_at__lt=end,
    )


def _activity_area_q(area) -> Q:
    if area is None or (isinstance(area, Region) and area.level != Region.Level.COMMUNITY):
        return Q()
    return Q(community=area)


# --- Meals and cleaning -------------------------------------------------------------------------


@figure("DE040")
def meals_served(*, span, area, reader):
    """助餐人次: each resident's meal (date and slot) once, however many portions."""
    return (
        MealLog.objects.filter(
            household_area_q(area, "resident__household"),
            delivery__service_item__category=Category.MEAL,
            date__gte=span.start,
            date__lte=span.end,
        )
        .values("resident", "date", "slot")
        .distinct()
        .count()
    )


@figure("DE041")
def meal_subsidies(*, span, area, reader):
    return _sum(deliveries_in(span, area, Category.MEAL), "subsidy")


@figure("DE042")
def cleaning_services(*, span, area, reader):
    return deliveries_in(span, area, Category.CLEANING).count()


@figure("DE043")
def cleaning_hours(*, span, area, reader):
    """Hours of cleaning: the quantity of deliveries of items counted in hours."""
    return _sum(
        deliveries_in(span, area, Category.CLEANING).filter(
            service_item__unit=ServiceItem.Unit.HOUR
        ),
        "quantity",
    )


# --- Family doctors -----------------------------------------------------------------------------


def contracts_on(day) -> QuerySet:
    """Contracts in force on `day`: started, not past their term, not ended earlier."""
    return FamilyDoctorContract.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=day),
        start_date__lte=day,
        end_date__gte=day,
    )


def signed_residents(span: Span, area, *, minimum: int = 0) -> int:
    day = span.end
    return (
        residents_on(day, area=area, basis=ACTUAL)
        .filter(aged(day, minimum=minimum))
        .filter(Exists(contracts_on(day).filter(resident=OuterRef("pk"))))
        .count()
    )


@figure("DE044")
def family_doctor_signed(*, span, area, reader):
    return signed_residents(span, area)


@figure("DE045")
def family_doctor_rate(*, span, area, reader):
    """DE044 ÷ DE002 × 100 (two queries)."""
    return rate(signed_residents(span, area), usual_population(span, area))


@figure("DE046")
def family_doctor_signed_60_plus(*, span, area, reader):
    return signed_residents(span, area, minimum=60)


# --- Children's services ------------------------------------------------------------------------


@figure("DE047")
def counselling_services(*, span, area, reader):
    return deliveries_in(span, area, Category.COUNSELLING).count()


@figure("DE048")
def science_class_sessions(*, span, area, reader):
    """科普课堂场次: a session is one partner's class on one day, before or after noon, however
    many children it served (logged as deliveries), or one activity of the science-class theme;
    an activity of a partner at a session the partner also logged deliveries for is that same
    session. In a grid: sessions that served a child living there. Two queries."""
    start, end = window(span)
    sessions = set(
        deliveries_in(span, area, Category.SCIENCE_CLASS)
        .annotate(day=TruncDate("delivered_at"), hour=ExtractHour("delivered_at"))
        .values_list("partner", "day", "hour")
        .distinct()
    )
    keys = {(partner, day, hour >= AFTERNOON_FROM_HOUR) for partner, day, hour in sessions}
    activities = Activity.objects.filter(
        theme=Activity.Theme.SCIENCE_CLASS, starts_at__gte=start, starts_at__lt=end
    )
    if isinstance(area, Grid):
        activities = activities.filter(attendees__household__grid=area)
    else:
        activities = activities.filter(_activity_area_q(area))
    for pk, partner, day, hour in (
        activities.annotate(day=TruncDate("starts_at"), hour=ExtractHour("starts_at"))
        .values_list("pk", "partner", "day", "hour")
        .distinct()
    ):
        keys.add((partner, day, hour >= AFTERNOON_FROM_HOUR) if partner else ("activity", pk))
    return len(keys)


# --- Referrals ----------------------------------------------------------------------------------


def _referrals_reaching(span: Span, area, status: str) -> int:
    start, end = window(span)
    return ReferralEvent.objects.filter(
        household_area_q(area, "referral__resident__household"),
        to_status=status,
        at__gte=start,
        at__lt=end,
    ).aggregate(n=Count("referral", distinct=True))["n"]


@figure("DE049")
def referrals_submitted(*, span, area, reader):
    return _referrals_reaching(span, area, "submitted")


@figure("DE050")
def referrals_closed(*, span, area, reader):
    return _referrals_reaching(span, area, "closed")


# --- Activities and aid -------------------------------------------------------------------------


@figure("DE051")
def volunteer_hours(*, span, area, reader):
    """Volunteer hours of the activities held in the period; an activity has no grid: None for
    a grid."""
    if isinstance(area, Grid):
        return None
    start, end = window(span)
    return _sum(
        Activity.objects.filter(_activity_area_q(area), starts_at__gte=start, starts_at__lt=end),
        "volunteer_hours",
    )


@figure("DE052")
def aided_households(*, span, area, reader):
    """Households with an aid case (not cancelled) whose period overlaps the span."""
    return (
        AidCase.objects.filter(
            household_area_q(area, "household"),
            period_start__lte=span.end,
            period_end__gte=span.start,
        )
        .exclude(status=AidCase.Status.CANCELLED)
        .aggregate(n=Count("household", distinct=True))["n"]
    )


@figure("DE053")
def aid_paid(*, span, area, reader):
    return _sum(
        Disbursement.objects.filter(
            household_area_q(area, "case__household"),
            paid_on__gte=span.start,
            paid_on__lte=span.end,
        ),
        "amount",
    )
