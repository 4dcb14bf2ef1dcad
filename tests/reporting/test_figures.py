"""Every computable element of the catalogue against an independent count.

The figures (grids/figures.py, services/figures.py, partybuilding/figures.py) count in SQL; the
expected values here are plain Python over the rows of the fixture street
(tests/reporting/figures_street.py), read back whole and filtered by hand: another way of
counting, so a wrong filter in a query shows as a difference. Checked for the street, both
communities and two grids, on the quarter ending on END and on spans whose ends sit on the
edges (the day before END, a leap day, the day after END).
"""

import json
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from grids.models import Grid, GridAssignment, Household, Resident, ResidentTag, Visit
from partybuilding.models import OrgLifeMeeting, PartyMember, PartyOrg, TrainingRecord
from portal.figures import FigureList, Span, figure_compute, figure_ids
from portal.validators import mask_citizen_id, mask_mobile
from services.models import (
    Activity,
    AidCase,
    Delivery,
    Disbursement,
    FamilyDoctorContract,
    MealLog,
    ReferralEvent,
)
from tests.helpers import count_queries
from tests.reporting import figures_street
from tests.reporting.figures_street import END, START

CATALOGUE = Path(settings.BASE_DIR) / "reporting" / "catalogue_data" / "data_elements.json"
SHARED_CATALOGUE = Path(settings.BASE_DIR).parent / "shared" / "reporting" / "data_elements.json"

SPANS = [
    Span(START, END),
    Span(date(2025, 1, 1), END - timedelta(days=1)),
    Span(END + timedelta(days=1), END + timedelta(days=1)),
    Span(date(2024, 2, 1), date(2024, 2, 28)),
    Span(date(2024, 2, 29), date(2024, 2, 29)),
    Span(date(2024, 1, 1), date(2025, 12, 31)),
]


def _catalogue() -> list[dict]:
    path = CATALOGUE if CATALOGUE.exists() else SHARED_CATALOGUE
    return json.loads(path.read_text(encoding="utf-8"))


def computable_ids() -> set[str]:
    return {e["id"] for e in _catalogue() if e["computable"]}


# --- The independent count ------------------------------------------------------------------


def age(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def day_window(span: Span) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(span.start, time.min, tzinfo=tz),
        datetime.combine(span.end + timedelta(days=1), time.min, tzinfo=tz),
    )


def in_window(moment: datetime, span: Span) -> bool:
    return span.start <= timezone.localdate(moment) <= span.end


def rate(numerator, denominator):
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


class Oracle:
    """The street read back row by row, and each element counted by hand."""

    def __init__(self):
        self.households = {h.pk: h for h in Household.objects.select_related("dwelling__building")}
        self.residents = list(Resident.objects.all())
        self.tags = defaultdict(list)
        for t in ResidentTag.objects.select_related("tag"):
            self.tags[t.resident_id].append(t)
        self.visits = list(Visit.objects.all())
        self.grids = {g.pk: g for g in Grid.objects.all()}

    # Places.
    def household_place(self, household_id) -> tuple[int | None, int | None]:
        """(community id, grid id) of a household."""
        h = self.households.get(household_id)
        if h is None:
            return None, None
        if h.grid_id:
            return self.grids[h.grid_id].community_id, h.grid_id
        if h.dwelling_id:
            return h.dwelling.building.community_id, None
        return None, None

    @staticmethod
    def place_in(place, area) -> bool:
        community, grid = place
        if area is None:
            return True
        if isinstance(area, Grid):
            return grid == area.pk
        return community == area.pk

    # People.
    def here(self, r, day) -> bool:
        return (
            r.household_id is not None
            and r.birth_date <= day
            and (r.deceased_date is None or r.deceased_date > day)
        )

    @staticmethod
    def on_basis(r, basis) -> bool:
        registered = r.population_type == "registered"
        if basis == "户籍":
            return registered
        if basis == "常住":
            return (registered and not r.separated) or r.population_type == "resident"
        if basis == "实有":
            return not (registered and r.separated)
        return True

    def tags_on(self, r, day, code=None):
        return [
            t
            for t in self.tags[r.pk]
            if (t.valid_from is None or t.valid_from <= day)
            and (t.valid_to is None or t.valid_to >= day)
            and (code is None or t.tag.code == code)
        ]

    def codes_on(self, r, day) -> set[str]:
        return {t.tag.code for t in self.tags_on(r, day)}

    def people(self, span, area, basis=None, minimum=0, under=None, any_of=None):
        day = span.end
        return [
            r
            for r in self.residents
            if self.here(r, day)
            and self.place_in(self.household_place(r.household_id), area)
            and self.on_basis(r, basis)
            and age(r.birth_date, day) >= minimum
            and (under is None or age(r.birth_date, day) < under)
            and (any_of is None or self.codes_on(r, day) & set(any_of))
        ]

    def special_elderly(self, span, area):
        codes = {
            "living_alone",
            "empty_nest",
            "left_behind_elderly",
            "disabled_elderly",
            "dementia",
            "special_family",
        }
        return self.people(span, area, "实有", 60, any_of=codes)

    def visits_of(self, r):
        return [
            v
            for v in self.visits
            if v.resident_id == r.pk or (v.resident_id is None and v.household_id == r.household_id)
        ]

    def on_time(self, r, span) -> bool:
        interval = min(
            timedelta(days=settings.VISIT_INTERVAL_DAYS[t.tag.visit_tier])
            for t in self.tags_on(r, span.end)
        )
        start, end = day_window(span)
        end = min(end, max(start, timezone.now()))
        visits = sorted(self.visits_of(r), key=lambda v: (v.visited_at, v.pk))

        def due_before(moment):
            earlier = [v for v in visits if v.visited_at < moment]
            if not earlier:
                return r.created_at
            last = earlier[-1]
            if last.major_event:
                return last.visited_at + timedelta(hours=settings.VISIT_MAJOR_EVENT_HOURS)
            return last.visited_at + interval

        for v in visits:
            if start < v.visited_at < end and due_before(v.visited_at) < v.visited_at:
                return False
        return not due_before(end) < end

    def disabled(self, span, area, *, grades=None, category=None):
        found = []
        for r in self.people(span, area, "户籍"):
            for t in self.tags_on(r, span.end, "disabled"):
                number = t.certificate_number
                if not number:
                    continue
                if grades is not None and t.grade not in grades:
                    continue
                if category is not None and (len(number) != 20 or number[18] != category):
                    continue
                found.append(r)
                break
        return len(found)

    # The elements.
    def expected(self, element_id, span, area):
        day = span.end
        people = self.people
        if element_id == "DE001":
            return len(people(span, area, "户籍"))
        if element_id == "DE002":
            return len(people(span, area, "常住"))
        if element_id == "DE003":
            return len([r for r in people(span, area) if r.population_type == "floating"])
        if element_id == "DE004":
            return len([r for r in people(span, area) if r.separated])
        if element_id == "DE005":
            living = {r.household_id for r in self.residents if self.here(r, day)}
            return len(
                [
                    h
                    for h in self.households.values()
                    if h.kind == "registered"
                    and h.pk in living
                    and self.place_in(self.household_place(h.pk), area)
                ]
            )
        if element_id == "DE006":
            return len(
                [
                    g
                    for g in self.grids.values()
                    if (g.valid_from is None or g.valid_from <= day)
                    and (g.valid_to is None or g.valid_to >= day)
                    and self.place_in((g.community_id, g.pk), area)
                ]
            )
        if element_id in ("DE007", "DE008"):
            posts = {"full_time"} if element_id == "DE007" else {"leader", "full_time", "part_time"}
            return len(
                {
                    a.person_id
                    for a in GridAssignment.objects.all()
                    if a.post in posts
                    and a.start_date <= day
                    and (a.end_date is None or a.end_date >= day)
                    and self.place_in((self.grids[a.grid_id].community_id, a.grid_id), area)
                }
            )
        simple = {
            "DE009": ("户籍", 60, None, None),
            "DE010": ("户籍", 80, None, None),
            "DE011": ("实有", 60, None, {"living_alone"}),
            "DE012": ("实有", 60, None, {"living_alone", "empty_nest"}),
            "DE013": ("实有", 80, None, {"living_alone"}),
            "DE015": ("实有", 80, None, {"living_alone", "empty_nest"}),
            "DE016": ("实有", 60, None, {"disabled_elderly", "dementia"}),
            "DE017": ("实有", 60, None, {"left_behind_elderly"}),
            "DE018": ("户籍", 0, None, {"special_family"}),
            "DE020": ("户籍", 0, 18, {"child_in_difficulty"}),
            "DE022": ("户籍", 0, 18, {"de_facto_orphan"}),
            "DE023": ("户籍", 0, 16, {"left_behind_child"}),
            "DE025": ("户籍", 0, None, {"dibao"}),
            "DE027": ("户籍", 0, None, {"tekun"}),
        }
        if element_id in simple:
            basis, minimum, under, codes = simple[element_id]
            return len(people(span, area, basis, minimum, under, codes))
        if element_id == "DE014":
            return {r.name for r in people(span, area, "实有", 80, any_of={"living_alone"})}
        if element_id == "DE019":
            return len(self.special_elderly(span, area))
        if element_id == "DE021":
            return {r.name for r in people(span, area, "户籍", 0, 18, {"child_in_difficulty"})}
        if element_id in ("DE024", "DE026"):
            code = "dibao" if element_id == "DE024" else "dibian"
            return len({r.household_id for r in people(span, area, "户籍", any_of={code})})
        if element_id == "DE028":
            return self.disabled(span, area)
        if element_id == "DE029":
            return self.disabled(span, area, grades={1, 2})
        categories = {"DE030": "1", "DE031": "2", "DE032": "3", "DE033": "4"}
        categories |= {"DE034": "5", "DE035": "6", "DE036": "7"}
        if element_id in categories:
            return self.disabled(span, area, category=categories[element_id])
        visits = [
            v
            for v in self.visits
            if in_window(v.visited_at, span)
            and self.place_in(self.household_place(v.household_id), area)
        ]
        if element_id == "DE037":
            return len(visits)
        if element_id == "DE038":
            return sum(
                1
                for r in self.special_elderly(span, area)
                for v in self.visits_of(r)
                if in_window(v.visited_at, span)
            )
        if element_id == "DE039":
            population = self.special_elderly(span, area)
            return rate(sum(self.on_time(r, span) for r in population), len(population))
        if element_id == "DE060":
            return len([v for v in visits if "dispute" in v.risk_flags])
        return self.expected_services(element_id, span, area)

    def resident_in(self, resident_id, area) -> bool:
        r = next(r for r in self.residents if r.pk == resident_id)
        return self.place_in(self.household_place(r.household_id), area)

    def expected_services(self, element_id, span, area):
        day = span.end
        deliveries = [
            d
            for d in Delivery.objects.select_related("service_item")
            if in_window(d.delivered_at, span) and self.resident_in(d.resident_id, area)
        ]

        def of(category):
            return [d for d in deliveries if d.service_item.category == category]

        if element_id == "DE040":
            return len(
                {
                    (m.resident_id, m.date, m.slot)
                    for m in MealLog.objects.all()
                    if span.start <= m.date <= span.end and self.resident_in(m.resident_id, area)
                }
            )
        if element_id == "DE041":
            return sum((d.subsidy for d in of("meal")), Decimal("0"))
        if element_id == "DE042":
            return len(of("cleaning"))
        if element_id == "DE043":
            return sum(
                (d.quantity for d in of("cleaning") if d.service_item.unit == "hour"),
                Decimal("0"),
            )
        if element_id in ("DE044", "DE045", "DE046"):
            in_force = {
                c.resident_id
                for c in FamilyDoctorContract.objects.all()
                if c.start_date <= day <= c.end_date and (c.ended_on is None or c.ended_on >= day)
            }
            minimum = 60 if element_id == "DE046" else 0
            signed = [r for r in self.people(span, area, "实有", minimum) if r.pk in in_force]
            if element_id == "DE045":
                return rate(len(signed), len(self.people(span, area, "常住")))
            return len(signed)
        if element_id == "DE047":
            return len(of("counselling"))
        if element_id == "DE048":
            sessions = {
                (
                    d.partner_id,
                    timezone.localdate(d.delivered_at),
                    timezone.localtime(d.delivered_at).hour >= 12,
                )
                for d in of("science_class")
            }
            for a in Activity.objects.prefetch_related("attendees"):
                if a.theme != "science_class" or not in_window(a.starts_at, span):
                    continue
                if isinstance(area, Grid):
                    if not any(
                        self.household_place(r.household_id)[1] == area.pk
                        for r in a.attendees.all()
                    ):
                        continue
                elif area is not None and a.community_id != area.pk:
                    continue
                local = timezone.localtime(a.starts_at)
                sessions.add(
                    (a.partner_id, local.date(), local.hour >= 12)
                    if a.partner_id
                    else ("activity", a.pk)
                )
            return len(sessions)
        if element_id in ("DE049", "DE050"):
            status = "submitted" if element_id == "DE049" else "closed"
            return len(
                {
                    e.referral_id
                    for e in ReferralEvent.objects.select_related("referral")
                    if e.to_status == status
                    and in_window(e.at, span)
                    and self.resident_in(e.referral.resident_id, area)
                }
            )
        if element_id == "DE051":
            if isinstance(area, Grid):
                return None
            return sum(
                (
                    a.volunteer_hours
                    for a in Activity.objects.all()
                    if in_window(a.starts_at, span) and (area is None or a.community_id == area.pk)
                ),
                Decimal("0"),
            )
        if element_id == "DE052":
            return len(
                {
                    c.household_id
                    for c in AidCase.objects.all()
                    if c.status != "cancelled"
                    and c.period_start <= span.end
                    and c.period_end >= span.start
                    and self.place_in(self.household_place(c.household_id), area)
                }
            )
        if element_id == "DE053":
            return sum(
                (
                    d.amount
                    for d in Disbursement.objects.select_related("case")
                    if span.start <= d.paid_on <= span.end
                    and self.place_in(self.household_place(d.case.household_id), area)
                ),
                Decimal("0"),
            )
        return self.expected_party(element_id, span, area)

    # Party.
    @staticmethod
    def org_in(org, area) -> bool:
        if area is None:
            return True
        grid = org.grid or (org.building.grid if org.building_id else None)
        if isinstance(area, Grid):
            return grid is not None and grid.pk == area.pk
        communities = {org.community_id, grid.community_id if grid else None}
        if org.building_id:
            communities.add(org.building.community_id)
        return area.pk in communities

    @staticmethod
    def member_on(m, day) -> bool:
        return (
            (m.joined_party_on is None or m.joined_party_on <= day)
            and (m.transferred_in_on is None or m.transferred_in_on <= day)
            and (m.transferred_out_on is None or m.transferred_out_on > day)
        )

    def expected_party(self, element_id, span, area):
        day = span.end
        orgs = {o.pk: o for o in PartyOrg.objects.select_related("grid", "building__grid")}
        members = [
            m
            for m in PartyMember.objects.all()
            if self.member_on(m, day) and self.org_in(orgs[m.org_id], area)
        ]
        if element_id == "DE054":
            return len(members)
        if element_id == "DE055":
            if isinstance(area, Grid):
                return None
            return len(
                [
                    m
                    for m in PartyMember.objects.all()
                    if self.member_on(m, day)
                    and m.serving
                    and m.reported_community_id is not None
                    and (m.reported_on is None or m.reported_on <= day)
                    and (area is None or m.reported_community_id == area.pk)
                ]
            )
        if element_id == "DE056":
            return len(
                [
                    o
                    for o in orgs.values()
                    if o.parent_id is not None
                    and o.kind != "building_group"
                    and (o.founded_on is None or o.founded_on <= day)
                    and (o.dissolved_on is None or o.dissolved_on >= day)
                    and self.org_in(o, area)
                ]
            )
        if element_id == "DE057":
            kinds = {"general_assembly", "branch_committee", "group_meeting", "party_lecture"}
            return len(
                [
                    m
                    for m in OrgLifeMeeting.objects.all()
                    if m.kind in kinds
                    and span.start <= m.held_on <= span.end
                    and self.org_in(orgs[m.org_id], area)
                ]
            )
        records = list(TrainingRecord.objects.select_related("member"))
        if element_id == "DE058":
            return sum(
                (
                    r.hours
                    for r in records
                    if span.start <= r.completed_on <= span.end
                    and self.org_in(orgs[r.member.org_id], area)
                ),
                Decimal("0"),
            )
        if element_id == "DE059":
            secretaries = {
                o.secretary_id
                for o in orgs.values()
                if o.secretary_id
                and (o.founded_on is None or o.founded_on <= day)
                and (o.dissolved_on is None or o.dissolved_on >= day)
            }
            limit = {False: Decimal("32"), True: Decimal("56")}
            below = 0
            for m in members:
                hours = sum(
                    (
                        r.hours
                        for r in records
                        if r.member_id == m.pk and date(day.year, 1, 1) <= r.completed_on <= day
                    ),
                    Decimal("0"),
                )
                below += hours < limit[m.pk in secretaries]
            return below
        raise AssertionError(f"no independent count for {element_id}")


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture
def fig_street(db):
    return figures_street.build()


def areas(s) -> dict:
    return {"street": None, "江滨": s.a, "阁巷": s.b, "A1": s.a1, "B1": s.b1}


def _value(element_id, span, area):
    value = figure_compute(element_id, span=span, area=area)
    if isinstance(value, FigureList):
        return {row["姓名"] for row in value.rows}
    return value


# --- Tests ----------------------------------------------------------------------------------


def test_every_computable_element_is_registered():
    assert figure_ids() == computable_ids()


def test_every_element_matches_an_independent_count(fig_street):
    oracle = Oracle()
    differences = []
    for element_id in sorted(figure_ids()):
        for span in SPANS:
            for name, area in areas(fig_street).items():
                got = _value(element_id, span, area)
                expected = oracle.expected(element_id, span, area)
                if got != expected or type(got) is not type(expected):
                    differences.append(f"{element_id} {span} {name}: {got!r} ≠ {expected!r}")
    assert not differences, "\n".join(differences)


def test_the_quarter_figures_by_hand(fig_street):
    """The fixture's intent, written out: each edge lands on the side it was drawn for."""
    s, q = fig_street, Span(START, END)

    def f(element_id, area=None, span=q):
        return _value(element_id, span, area)

    # Born exactly 80 years before: 80; one day short: 79. Died before or on the end: gone.
    # old80_exact and old_leap (old80_short is 79; old_sep_reg lives elsewhere)
    assert f("DE013") == 2
    assert f("DE014") == {"old80_exact", "old_leap"}
    assert f("DE011") == 3  # old80_exact, old80_short, old_leap
    assert f("DE010", s.a2) == 2  # old_sep_reg (户在人不在 is 户籍), old_leap
    # Born 29 February 1944, 80 on 29 February 2024, not the day before (old_dead_before, who
    # died in 2025, was alive and living alone then).
    assert f("DE014", span=Span(date(2024, 2, 28), date(2024, 2, 28))) == {"old_dead_before"}
    leap_day = Span(date(2024, 2, 29), date(2024, 2, 29))
    assert f("DE014", span=leap_day) == {"old_dead_before", "old_leap"}
    # A tag that ended the day before does not count; one ending on the day does.
    assert f("DE017") == 1
    # Contracts: the one ending on the end date counts, the lapsed one not, nor the one of
    # someone living elsewhere, nor the dead.
    assert f("DE044") == 4  # old80_exact, old_resident, adult_floating, old_dead_after
    assert f("DE049") == 2 and f("DE050") == 1
    assert f("DE048") == 3  # morning session (with its activity), afternoon, the lone activity
    assert f("DE040") == 3 and f("DE041") == Decimal("24.00")
    assert f("DE043") == Decimal("3.50") and f("DE042") == 3
    assert f("DE051", s.a1) is None and f("DE055", s.a1) is None
    assert f("DE055") == 2 and f("DE055", s.b) == 1
    assert f("DE054") == 10
    assert f("DE056") == 5  # not the root, a building group, the dissolved, the unfounded
    assert f("DE057") == 5
    assert f("DE059") == 9
    # 计生特殊家庭 on time; the others overdue (a 31-day gap, weekly tiers, never visited).
    assert f("DE039", s.b) == Decimal("20.00")  # 1 of 5


def test_lists_are_masked_with_their_columns(fig_street):
    s = fig_street
    listing = figure_compute("DE014", span=Span(START, END))
    assert listing.columns == [
        "姓名",
        "性别",
        "出生日期",
        "身份证号（脱敏）",
        "现居住地址",
        "联系电话",
        "所属社区及网格",
        "最近一次探访日期",
    ]
    (row,) = [r for r in listing.rows if r["姓名"] == "old80_exact"]
    person = s.residents["old80_exact"]
    assert set(row) == set(listing.columns)
    assert row["身份证号（脱敏）"] == mask_citizen_id(person.id_number) != person.id_number
    assert row["联系电话"] == mask_mobile(person.phone) != person.phone
    assert "*" in row["身份证号（脱敏）"] and "*" in row["联系电话"]
    assert row["出生日期"] == date(1945, 6, 30)
    assert row["最近一次探访日期"] == END  # the whole household's visit at 23:30 on the last day
    assert row["所属社区及网格"] == "江滨社区 · 江滨第一网格"
    assert "江滨路1号" in row["现居住地址"]
    earlier = figure_compute("DE014", span=Span(START, date(2025, 6, 29))).rows
    assert [r["姓名"] for r in earlier] == ["old_leap"]  # old80_exact is not 80 yet on the 29th

    children = figure_compute("DE021", span=Span(START, END))
    assert children.columns == [
        "姓名",
        "性别",
        "出生日期",
        "身份证号（脱敏）",
        "困境类型",
        "监护人姓名及联系电话",
        "现居住地址",
        "所属网格",
    ]
    assert {r["姓名"] for r in children.rows} == {"child_diff", "child_18_short"}
    for r in children.rows:
        assert set(r) == set(children.columns)
        assert r["困境类型"] is None and r["监护人姓名及联系电话"] is None  # not held
        held = s.residents[r["姓名"]]
        assert r["身份证号（脱敏）"] == mask_citizen_id(held.id_number)
        assert held.id_number not in json.dumps(r, default=str)


# Queries per element, whatever the area: one, but for DE045 (two counts), DE048 (deliveries,
# activities) and DE059 (the thresholds, then the members).
QUERY_BOUNDS = {"DE045": 2, "DE048": 2, "DE059": 2}


def test_each_element_takes_a_bounded_number_of_queries(fig_street):
    over = []
    for element_id in sorted(figure_ids()):
        bound = QUERY_BOUNDS.get(element_id, 1)
        for area in areas(fig_street).values():
            n, sql = count_queries(
                lambda e=element_id, a=area: figure_compute(e, span=Span(START, END), area=a)
            )
            if n > bound:
                over.append(f"{element_id}: {n} > {bound}\n" + "\n".join(sql))
    assert not over, "\n".join(over)
