"""The registry's figures for the catalogue of data elements (数据元): residents, tags,
households, grids, staffing and visits, registered by element id (portal/figures.py).

These are the system's reads for the street's reports: no reader scope (the street's own
figures), `area` narrows to a community (`Region`), a `Grid`, or nothing (the whole street; a
street-level Region is the whole street too). Each figure is one query (two for a list that
also reads nothing else), counted in the database.

Who is counted in a stock, as of `span.end`:

- a resident is *in the street* while they belong to a household (the registry records a
  resident's leaving by taking them out of their household: it keeps no date of leaving, so a
  stock at a past date cannot see whether someone who left since was still here then), was
  born on or before the date, and had not died by then (`deceased_date` after the date);
- the population bases: 户籍 = population type `registered` (人户分离 included); 常住 = the
  registered not flagged 人户分离 (户在人不在) plus population type `resident`; 实有 = everyone
  living here: all but the registered flagged 人户分离 (floating people included);
- ages in whole years on the date (`grids.age_tags.in_age_range`: 80 or older ⇔ born on or
  before the same day 80 years earlier, 29 February → 28 February);
- tags in force on the date (`grids.cadence.current_tags`).

A household's place: its grid (and the grid's community); a household not placed in a grid
belongs to the community of its building — as the registry's scope reads it.
"""

from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from grids.age_tags import in_age_range
from grids.cadence import current_tags, visit_interval_expression
from grids.models import Grid, GridAssignment, Household, Region, Resident, Visit
from portal.figures import FigureList, Span, figure

# The tag codes of the street's catalogue (TagDef.code) each element reads.
LIVING_ALONE = "living_alone"  # 独居老人
EMPTY_NEST = "empty_nest"  # 空巢老人
DISABLED_ELDERLY = (
    "disabled_elderly",
    "dementia",
)  # 失能失智老人 (and a separate 失智 tag, if any)
LEFT_BEHIND_ELDERLY = "left_behind_elderly"  # 留守老人
SPECIAL_FAMILY = "special_family"  # 计生特殊家庭
CHILD_IN_DIFFICULTY = "child_in_difficulty"  # 困境儿童
DE_FACTO_ORPHAN = "de_facto_orphan"  # 事实无人抚养儿童
LEFT_BEHIND_CHILD = "left_behind_child"  # 留守儿童
DIBAO = "dibao"  # 低保
DIBIAN = "dibian"  # 低边
TEKUN = "tekun"  # 特困
DISABLED = "disabled"  # 残疾人 (certificate number and grade on the tag)

# 特殊困难老年人 (the 探访关爱 population): 60+ with any of these tags.
SPECIAL_ELDERLY = (
    LIVING_ALONE,
    EMPTY_NEST,
    LEFT_BEHIND_ELDERLY,
    *DISABLED_ELDERLY,
    SPECIAL_FAMILY,
)

# 《残疾人证》 number (第二代): the holder's 18-character ID number, then the category digit
# (1 视力 2 听力 3 言语 4 肢体 5 智力 6 精神 7 多重), then the grade digit (1–4).
DISABILITY_CERTIFICATE = r"^[0-9]{17}[0-9Xx][1-7][1-4]$"
DISABILITY_CATEGORY = {
    "visual": "1",
    "hearing": "2",
    "speech": "3",
    "physical": "4",
    "intellectual": "5",
    "mental": "6",
    "multiple": "7",
}

REGISTERED = "户籍"
USUAL = "常住"
ACTUAL = "实有"

HUNDRED = Decimal("100")
CENT = Decimal("0.01")


# --- Areas and windows --------------------------------------------------------------------------


def _street_wide(area) -> bool:
    return area is None or (isinstance(area, Region) and area.level != Region.Level.COMMUNITY)


def household_area_q(area, path: str = "") -> Q:
    """Q for rows whose household (reached by `path`, "" for Household itself) lies in `area`."""
    if _street_wide(area):
        return Q()
    prefix = f"{path}__" if path else ""
    if isinstance(area, Grid):
        return Q(**{f"{prefix}grid": area})
    if isinstance(area, Region):
        return Q(**{f"{prefix}grid__community": area}) | Q(
            **{f"{prefix}grid__isnull": True, f"{prefix}dwelling__building__community": area}
        )
    raise TypeError(f"an area is a community Region or a Grid, not {type(area).__name__}")


def grid_area_q(area, path: str = "") -> Q:
    """Q for rows whose grid (reached by `path`, "" for Grid itself) lies in `area`."""
    if _street_wide(area):
        return Q()
    if isinstance(area, Grid):
        return Q(**{path or "pk": area.pk})
    return Q(**{f"{path}__community" if path else "community": area})


def window(span: Span) -> tuple[datetime, datetime]:
    """The span as aware datetimes in the portal's time zone: [first day 00:00, day after end)."""
    start = timezone.make_aware(datetime.combine(span.start, time.min))
    end = timezone.make_aware(datetime.combine(span.end + timedelta(days=1), time.min))
    return start, end


def rate(numerator, denominator) -> Decimal | None:
    """A percentage to two places; None for an empty denominator."""
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


# --- Who is counted -----------------------------------------------------------------------------


def basis_q(basis: str | None, prefix: str = "") -> Q:
    """Q for a population basis (户籍 / 常住 / 实有 / None: everyone)."""
    registered = Q(**{f"{prefix}population_type": Resident.PopulationType.REGISTERED})
    separated = Q(**{f"{prefix}separated": True})
    if basis == REGISTERED:
        return registered
    if basis == USUAL:
        return (registered & ~separated) | Q(
            **{f"{prefix}population_type": Resident.PopulationType.RESIDENT}
        )
    if basis == ACTUAL:
        return ~(registered & separated)
    if basis is None:
        return Q()
    raise ValueError(f"unknown basis {basis!r}")


def residents_on(day, *, area=None, basis: str | None = None) -> QuerySet:
    """Residents in the street (in a household, born, alive) on `day`, in `area`, on `basis`."""
    return Resident.objects.filter(
        Q(deceased_date__isnull=True) | Q(deceased_date__gt=day),
        household_area_q(area, "household"),
        basis_q(basis),
        household__isnull=False,
        birth_date__lte=day,
    )


def tagged(codes, day, **tag_filters) -> Exists:
    """Exists: the resident holds one of the tags `codes` in force on `day`."""
    codes = [codes] if isinstance(codes, str) else list(codes)
    return Exists(
        current_tags(on=day).filter(resident=OuterRef("pk"), tag__code__in=codes, **tag_filters)
    )


def aged(day, *, minimum: int = 0, under: int | None = None) -> Q:
    return in_age_range(today=day, minimum=minimum, end=under)


def residents_counted(
    span: Span,
    area,
    *,
    basis: str | None,
    minimum: int = 0,
    under: int | None = None,
    tags=None,
    **tag_filters,
) -> QuerySet:
    day = span.end
    queryset = residents_on(day, area=area, basis=basis).filter(
        aged(day, minimum=minimum, under=under)
    )
    if tags is not None:
        queryset = queryset.filter(tagged(tags, day, **tag_filters))
    return queryset


def _count(queryset: QuerySet) -> int:
    return queryset.count()


def special_elderly(span: Span, area) -> QuerySet:
    """特殊困难老年人 on `span.end`: 实有, 60+, any of the SPECIAL_ELDERLY tags."""
    return residents_counted(span, area, basis=ACTUAL, minimum=60, tags=SPECIAL_ELDERLY)


def usual_population(span: Span, area) -> int:
    """常住人口数 (DE002), also the denominator of the family-doctor signing rate."""
    return residents_on(span.end, area=area, basis=USUAL).count()


# --- Population ---------------------------------------------------------------------------------


@figure("DE001")
def registered_population(*, span, area, reader):
    return _count(residents_on(span.end, area=area, basis=REGISTERED))


@figure("DE002")
def usual_population_figure(*, span, area, reader):
    return usual_population(span, area)


@figure("DE003")
def floating_population(*, span, area, reader):
    return _count(
        residents_on(span.end, area=area).filter(population_type=Resident.PopulationType.FLOATING)
    )


@figure("DE004")
def separated_population(*, span, area, reader):
    return _count(residents_on(span.end, area=area).filter(separated=True))


@figure("DE005")
def registered_households(*, span, area, reader):
    """Registered households with at least one member in the street on the date."""
    day = span.end
    living = residents_on(day).filter(household=OuterRef("pk"))
    return (
        Household.objects.filter(household_area_q(area), kind=Household.Kind.REGISTERED)
        .filter(Exists(living))
        .count()
    )


@figure("DE006")
def grids_in_force(*, span, area, reader):
    day = span.end
    return Grid.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=day),
        Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        grid_area_q(area),
    ).count()


def _staff_on(span: Span, area, posts) -> int:
    return (
        GridAssignment.objects.current(on=span.end)
        .filter(grid_area_q(area, "grid"), post__in=posts)
        .aggregate(n=Count("person", distinct=True))["n"]
    )


@figure("DE007")
def full_time_grid_workers(*, span, area, reader):
    return _staff_on(span, area, [GridAssignment.Post.FULL_TIME])


@figure("DE008")
def grid_workers(*, span, area, reader):
    Post = GridAssignment.Post
    return _staff_on(span, area, [Post.LEADER, Post.FULL_TIME, Post.PART_TIME])


# --- 一老 ---------------------------------------------------------------------------------------


@figure("DE009")
def registered_60_plus(*, span, area, reader):
    return _count(residents_counted(span, area, basis=REGISTERED, minimum=60))


@figure("DE010")
def registered_80_plus(*, span, area, reader):
    return _count(residents_counted(span, area, basis=REGISTERED, minimum=80))


@figure("DE011")
def living_alone(*, span, area, reader):
    return _count(residents_counted(span, area, basis=ACTUAL, minimum=60, tags=LIVING_ALONE))


@figure("DE012")
def empty_nest(*, span, area, reader):
    tags = (EMPTY_NEST, LIVING_ALONE)
    return _count(residents_counted(span, area, basis=ACTUAL, minimum=60, tags=tags))


@figure("DE013")
def living_alone_80_plus(*, span, area, reader):
    return _count(residents_counted(span, area, basis=ACTUAL, minimum=80, tags=LIVING_ALONE))


LIVING_ALONE_80_COLUMNS = [
    "姓名",
    "性别",
    "出生日期",
    "身份证号（脱敏）",
    "现居住地址",
    "联系电话",
    "所属社区及网格",
    "最近一次探访日期",
]


def _address(household: Household) -> str | None:
    return str(household.dwelling) if household.dwelling_id else None


def _community(household: Household) -> Region | None:
    if household.grid_id:
        return household.grid.community
    if household.dwelling_id:
        return household.dwelling.building.community
    return None


def _list_residents(queryset: QuerySet) -> QuerySet:
    return queryset.select_related(
        "household__grid__community", "household__dwelling__building__community"
    ).order_by("name", "pk")


@figure("DE014")
def living_alone_80_plus_list(*, span, area, reader):
    """The 80+ living alone, one row each; ID number and phone masked for every reader (the
    list leaves the portal: unmasking is a person's audited act, never a report's)."""
    _, until = window(span)
    last_visit = Visit.objects.filter(
        Q(resident=OuterRef("pk")) | Q(resident__isnull=True, household=OuterRef("household")),
        visited_at__lt=until,
    ).order_by("-visited_at", "-id")
    residents = _list_residents(
        residents_counted(span, area, basis=ACTUAL, minimum=80, tags=LIVING_ALONE).annotate(
            last_visit_at=Subquery(last_visit.values("visited_at")[:1])
        )
    )
    rows = []
    for r in residents:
        community = _community(r.household)
        place = [
            community.name if community else "",
            r.household.grid.name if r.household.grid_id else "",
        ]
        rows.append(
            {
                "姓名": r.name,
                "性别": str(r.get_sex_display()),
                "出生日期": r.birth_date,
                "身份证号（脱敏）": r.id_number_masked,
                "现居住地址": _address(r.household),
                "联系电话": r.phone_masked,
                "所属社区及网格": " · ".join(p for p in place if p),
                "最近一次探访日期": (
                    timezone.localdate(r.last_visit_at) if r.last_visit_at else None
                ),
            }
        )
    return FigureList(columns=list(LIVING_ALONE_80_COLUMNS), rows=rows)


@figure("DE015")
def empty_nest_80_plus(*, span, area, reader):
    tags = (EMPTY_NEST, LIVING_ALONE)
    return _count(residents_counted(span, area, basis=ACTUAL, minimum=80, tags=tags))


@figure("DE016")
def disabled_elderly(*, span, area, reader):
    return _count(residents_counted(span, area, basis=ACTUAL, minimum=60, tags=DISABLED_ELDERLY))


@figure("DE017")
def left_behind_elderly(*, span, area, reader):
    return _count(residents_counted(span, area, basis=ACTUAL, minimum=60, tags=LEFT_BEHIND_ELDERLY))


@figure("DE018")
def special_family_members(*, span, area, reader):
    return _count(residents_counted(span, area, basis=REGISTERED, tags=SPECIAL_FAMILY))


@figure("DE019")
def special_elderly_count(*, span, area, reader):
    return _count(special_elderly(span, area))


# --- 一幼 ---------------------------------------------------------------------------------------


@figure("DE020")
def children_in_difficulty(*, span, area, reader):
    return _count(
        residents_counted(span, area, basis=REGISTERED, under=18, tags=CHILD_IN_DIFFICULTY)
    )


CHILDREN_IN_DIFFICULTY_COLUMNS = [
    "姓名",
    "性别",
    "出生日期",
    "身份证号（脱敏）",
    "困境类型",
    "监护人姓名及联系电话",
    "现居住地址",
    "所属网格",
]


@figure("DE021")
def children_in_difficulty_list(*, span, area, reader):
    """The children in difficulty, one row each, masked for every reader. The registry holds
    neither the kind of difficulty nor a guardian: those two cells are None (not held), for a
    person to fill in — never guessed from other tags or from the head of the household."""
    residents = _list_residents(
        residents_counted(span, area, basis=REGISTERED, under=18, tags=CHILD_IN_DIFFICULTY)
    )
    rows = [
        {
            "姓名": r.name,
            "性别": str(r.get_sex_display()),
            "出生日期": r.birth_date,
            "身份证号（脱敏）": r.id_number_masked,
            "困境类型": None,
            "监护人姓名及联系电话": None,
            "现居住地址": _address(r.household),
            "所属网格": r.household.grid.name if r.household.grid_id else None,
        }
        for r in residents
    ]
    return FigureList(columns=list(CHILDREN_IN_DIFFICULTY_COLUMNS), rows=rows)


@figure("DE022")
def de_facto_orphans(*, span, area, reader):
    return _count(residents_counted(span, area, basis=REGISTERED, under=18, tags=DE_FACTO_ORPHAN))


@figure("DE023")
def left_behind_children(*, span, area, reader):
    return _count(residents_counted(span, area, basis=REGISTERED, under=16, tags=LEFT_BEHIND_CHILD))


# --- 一特 ---------------------------------------------------------------------------------------


def _households_tagged(span: Span, area, code: str) -> int:
    return residents_counted(span, area, basis=REGISTERED, tags=code).aggregate(
        n=Count("household", distinct=True)
    )["n"]


@figure("DE024")
def dibao_households(*, span, area, reader):
    return _households_tagged(span, area, DIBAO)


@figure("DE025")
def dibao_people(*, span, area, reader):
    return _count(residents_counted(span, area, basis=REGISTERED, tags=DIBAO))


@figure("DE026")
def dibian_households(*, span, area, reader):
    return _households_tagged(span, area, DIBIAN)


@figure("DE027")
def tekun_people(*, span, area, reader):
    return _count(residents_counted(span, area, basis=REGISTERED, tags=TEKUN))


def _disabled(span: Span, area, *, grades=None, category: str | None = None) -> int:
    """持证残疾人 (registered, a disability tag in force with a certificate number), narrowed to
    grades or to a category read from the certificate number."""
    day = span.end
    tags = (
        current_tags(on=day)
        .filter(resident=OuterRef("pk"), tag__code=DISABLED)
        .exclude(certificate_number="")
    )
    if grades is not None:
        tags = tags.filter(grade__in=grades)
    if category is not None:
        tags = (
            tags.filter(certificate_number__regex=DISABILITY_CERTIFICATE)
            .annotate(category=Substr("certificate_number", 19, 1))
            .filter(category=DISABILITY_CATEGORY[category])
        )
    return residents_counted(span, area, basis=REGISTERED).filter(Exists(tags)).count()


@figure("DE028")
def certified_disabled(*, span, area, reader):
    return _disabled(span, area)


@figure("DE029")
def severely_disabled(*, span, area, reader):
    return _disabled(span, area, grades=[1, 2])


def _category_figure(category: str):
    def compute(*, span, area, reader):
        return _disabled(span, area, category=category)

    compute.__name__ = compute.__qualname__ = f"disabled_{category}"
    return compute


for _element, _category in (
    ("DE030", "visual"),
    ("DE031", "hearing"),
    ("DE032", "speech"),
    ("DE033", "physical"),
    ("DE034", "intellectual"),
    ("DE035", "mental"),
    ("DE036", "multiple"),
):
    figure(_element)(_category_figure(_category))


# --- Visits -------------------------------------------------------------------------------------


def visits_in(span: Span, area) -> QuerySet:
    start, end = window(span)
    return Visit.objects.filter(
        household_area_q(area, "household"), visited_at__gte=start, visited_at__lt=end
    )


@figure("DE037")
def visits(*, span, area, reader):
    return visits_in(span, area).count()


def _subject_visits(outer: str = "pk", household: str = "household") -> Q:
    """Q: a visit to the resident `OuterRef(outer)` or to their whole household."""
    return Q(resident=OuterRef(outer)) | Q(resident__isnull=True, household=OuterRef(household))


@figure("DE038")
def special_elderly_visits(*, span, area, reader):
    """Visits to the 特殊困难老年人 of the period's end, per person (人次): a visit to a whole
    household counts once for each of them living in it."""
    start, end = window(span)
    visit_count = (
        Visit.objects.filter(_subject_visits(), visited_at__gte=start, visited_at__lt=end)
        .order_by()
        .values(n=Func(F("pk"), function="COUNT"))
    )
    total = special_elderly(span, area).aggregate(
        n=Sum(Subquery(visit_count, output_field=IntegerField()))
    )["n"]
    return total or 0


@figure("DE039")
def special_elderly_visited_on_time(*, span, area, reader):
    """特殊困难老年人 (at the period's end) never overdue during the period, as a percentage.

    The rule is the registry's (grids/cadence.py): the interval is the shortest among the visit
    tiers of the resident's tags (those in force at the period's end); after a visit the next is
    due at visit + interval, or VISIT_MAJOR_EVENT_HOURS after a visit that recorded a major
    event; never visited, due since registered in the portal. Overdue at a moment = due before
    it. Checked at each visit in the period (due from the visit before it) and at the period's
    end (or now, for a period still running): one query.
    """
    start, end = window(span)
    end = min(end, max(start, timezone.now()))
    major = Value(timedelta(hours=settings.VISIT_MAJOR_EVENT_HOURS))

    def due(previous):
        return Case(
            When(**{f"{previous}_at__isnull": True}, then=OuterRef("created_at")),
            When(
                ~Q(**{f"{previous}_major": ""}),
                then=ExpressionWrapper(F(f"{previous}_at") + major, output_field=DateTimeField()),
            ),
            default=ExpressionWrapper(
                F(f"{previous}_at") + OuterRef("visit_interval"), output_field=DateTimeField()
            ),
            output_field=DateTimeField(),
        )

    before_visit = Visit.objects.filter(
        Q(resident=OuterRef(OuterRef("pk")))
        | Q(resident__isnull=True, household=OuterRef(OuterRef("household"))),
        visited_at__lt=OuterRef("visited_at"),
    ).order_by("-visited_at", "-id")
    late_visit = (
        Visit.objects.filter(_subject_visits(), visited_at__gt=start, visited_at__lt=end)
        .annotate(
            prev_at=Subquery(before_visit.values("visited_at")[:1]),
            prev_major=Subquery(before_visit.values("major_event")[:1]),
        )
        .annotate(due_at=due("prev"))
        .filter(due_at__lt=F("visited_at"))
    )
    before_end = Visit.objects.filter(_subject_visits(), visited_at__lt=end).order_by(
        "-visited_at", "-id"
    )
    shortest = (
        current_tags(on=span.end)
        .filter(resident=OuterRef("pk"))
        .order_by()
        .values("resident")
        .annotate(interval=Func(visit_interval_expression(), function="MIN"))
        .values("interval")
    )
    counts = (
        special_elderly(span, area)
        .annotate(visit_interval=Subquery(shortest))
        .annotate(
            last_at=Subquery(before_end.values("visited_at")[:1]),
            last_major=Coalesce(Subquery(before_end.values("major_event")[:1]), Value("")),
        )
        .annotate(
            end_due=Case(
                When(last_at__isnull=True, then=F("created_at")),
                When(
                    ~Q(last_major=""),
                    then=ExpressionWrapper(F("last_at") + major, output_field=DateTimeField()),
                ),
                default=ExpressionWrapper(
                    F("last_at") + F("visit_interval"), output_field=DateTimeField()
                ),
                output_field=DateTimeField(),
            ),
            late_in_period=Exists(late_visit),
        )
        .aggregate(
            total=Count("pk"),
            on_time=Count("pk", filter=Q(late_in_period=False) & ~Q(end_due__lt=end)),
        )
    )
    return rate(counts["on_time"], counts["total"])


@figure("DE060")
def disputes_found(*, span, area, reader):
    visits = visits_in(span, area)
    if connection.features.supports_json_field_contains:
        return visits.filter(risk_flags__contains=[Visit.RiskFlag.DISPUTE]).count()
    # SQLite (make run) has no JSON containment: read the flags column of the window's visits
    flags = visits.exclude(risk_flags=[]).values_list("risk_flags", flat=True)
    return sum(1 for row in flags if Visit.RiskFlag.DISPUTE in (row or []))
