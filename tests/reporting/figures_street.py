"""A small street for the catalogue's figures, crafted to sit on every edge a figure has.

Two communities (江滨 A, 阁巷 B), three grids in force (A1, A2 in A; B1 in B) and two that are
not (redrawn away the day before the end, or drawn the day after), a household outside any grid
(its building in B), ~40 residents, tags, staff, visits, services, aid and Party data.

END (2025-06-30) is the stock date the edges are drawn around: born exactly 80 / 18 / 16 years
before it and one day short; died before, on and after it; a tag ended the day before, one
ending on it, one starting the day after; contracts ending on it and the day before; visits on
the window's first and last day and one day outside each way; a member transferred out on it.
A leap-day birth (1944-02-29) is checked on 2024-02-28 and 2024-02-29.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from grids.models import Building, Dwelling, GridAssignment, Region, ResidentTag
from partybuilding.models import MeetingKind, PartyOrg
from portal.roles import Role
from services.models import (
    AidCase,
    FamilyDoctorContract,
    MealLog,
    Referral,
    ReferralEvent,
    ServiceItem,
)
from tests.grids.factories import (
    GridFactory,
    HouseholdFactory,
    RegionFactory,
    ResidentFactory,
    TagDefFactory,
)
from tests.partybuilding.factories import (
    BranchFactory,
    BuildingGroupFactory,
    GridBranchFactory,
    OrgLifeMeetingFactory,
    PartyMemberFactory,
    PartyOrgFactory,
    TrainingCourseFactory,
    TrainingRecordFactory,
)
from tests.portal.factories import UserFactory
from tests.services.factories import (
    ActivityFactory,
    AidBundleFactory,
    AidBundleLineFactory,
    AidCaseFactory,
    ContractFactory,
    DeliveryFactory,
    DisbursementFactory,
    FunderFactory,
    MealItemFactory,
    MealLogFactory,
    PartnerFactory,
    ReferralFactory,
    ServiceItemFactory,
)

START = date(2025, 4, 1)
END = date(2025, 6, 30)
REGISTERED_AT = timezone.make_aware(datetime(2024, 1, 1, 9))

# code, name, group, tier — as the demo street's catalogue (portal/demo/registry.py), plus the
# 留守老人 tag the catalogue's DE017 reads.
TAGS = [
    ("living_alone", "独居老人", "elderly", "high"),
    ("empty_nest", "空巢老人", "elderly", "key"),
    ("disabled_elderly", "失能失智老人", "elderly", "high"),
    ("left_behind_elderly", "留守老人", "elderly", "key"),
    ("special_family", "计生特殊家庭", "elderly", "key"),
    ("child_in_difficulty", "困境儿童", "child", "high"),
    ("left_behind_child", "留守儿童", "child", "key"),
    ("de_facto_orphan", "事实无人抚养儿童", "child", "high"),
    ("dibao", "低保", "special", "key"),
    ("dibian", "低边", "special", "general"),
    ("tekun", "特困", "special", "high"),
    ("disabled", "残疾人", "special", "key"),
]


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


@dataclass
class Street:
    street: Region
    a: Region
    b: Region
    a1: object
    a2: object
    b1: object
    residents: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)


def build() -> Street:
    city = RegionFactory(name="瑞安市", level=Region.Level.CITY, code="330381")
    street = RegionFactory(
        name="南滨街道", level=Region.Level.STREET, code="330381008000", parent=city
    )
    a = RegionFactory(name="江滨社区", code="330381008001", parent=street)
    b = RegionFactory(name="阁巷社区", code="330381008002", parent=street)
    a1 = GridFactory(community=a, name="江滨第一网格", code="330381008001001")
    a2 = GridFactory(community=a, name="江滨专属网格", code="330381008001002", kind="dedicated")
    b1 = GridFactory(community=b, name="阁巷第一网格", code="330381008002001")
    GridFactory(  # redrawn away the day before the end
        community=a, name="旧网格", code="330381008001009", valid_to=END - timedelta(days=1)
    )
    GridFactory(  # drawn the day after
        community=b, name="新网格", code="330381008002009", valid_from=END + timedelta(days=1)
    )
    GridFactory(  # in force: from the end date, to the end date
        community=b, name="调整网格", code="330381008002008", valid_from=END, valid_to=END
    )
    s = Street(street=street, a=a, b=b, a1=a1, a2=a2, b1=b1)
    s.tags = {
        code: TagDefFactory(code=code, name=name, group=group, visit_tier=tier)
        for code, name, group, tier in TAGS
    }
    _registry(s)
    _staff(s)
    _visits(s)
    _services(s)
    _party(s)
    return s


# --- Registry ---------------------------------------------------------------------------------


def _registry(s: Street) -> None:
    building_a1 = Building.objects.create(
        community=s.a, grid=s.a1, name="江滨新村1幢", address="江滨路1号"
    )
    building_b = Building.objects.create(community=s.b, name="阁巷老街3号", address="阁巷路3号")
    dwelling_a1 = Dwelling.objects.create(building=building_a1, unit="1", room="101")
    dwelling_b = Dwelling.objects.create(building=building_b, room="1")
    h = {
        "a1_reg": HouseholdFactory(grid=s.a1, dwelling=dwelling_a1, kind="registered"),
        "a1_res": HouseholdFactory(grid=s.a1, kind="residing"),
        "a2_reg": HouseholdFactory(grid=s.a2, kind="registered"),
        "b1_reg": HouseholdFactory(grid=s.b1, kind="registered"),
        "b1_res": HouseholdFactory(grid=s.b1, kind="residing"),
        "loose": HouseholdFactory(grid=None, dwelling=dwelling_b, kind="registered"),
        "gone": HouseholdFactory(grid=s.b1, kind="registered"),  # its one member died
    }
    s.households = h
    R = s.residents
    T = s.tags

    def person(key, born, household, *, population="registered", separated=False, **extra):
        R[key] = ResidentFactory(
            name=key,
            birth_date=born,
            household=h[household] if household else None,
            population_type=population,
            separated=separated,
            created_at=REGISTERED_AT,
            **extra,
        )
        return R[key]

    def tag(key, code, valid_from=date(2020, 1, 1), valid_to=None, **extra):
        ResidentTag.objects.create(
            resident=R[key], tag=T[code], valid_from=valid_from, valid_to=valid_to, **extra
        )

    # The elderly.
    person("old80_exact", date(1945, 6, 30), "a1_reg", sex="male")
    tag("old80_exact", "living_alone")
    person("old80_short", date(1945, 7, 1), "a1_reg")
    tag("old80_short", "living_alone")
    tag("old80_short", "empty_nest")
    person("old_dead_before", date(1930, 1, 1), "a1_reg", deceased_date=date(2025, 6, 15))
    tag("old_dead_before", "living_alone")
    person("old_dead_on_end", date(1932, 1, 1), "b1_reg", deceased_date=END)
    tag("old_dead_on_end", "empty_nest")
    person("old_dead_after", date(1931, 1, 1), "b1_reg", deceased_date=END + timedelta(days=1))
    tag("old_dead_after", "empty_nest")
    person("old_moved", date(1940, 3, 3), None)
    tag("old_moved", "living_alone")
    person("old_floating", date(1944, 1, 1), "b1_res", population="floating")
    tag("old_floating", "empty_nest")
    person("old_sep_reg", date(1940, 5, 5), "a2_reg", separated=True)  # 户在人不在
    tag("old_sep_reg", "living_alone")
    person("sep_res", date(1960, 1, 1), "b1_res", population="resident", separated=True)
    person("old_resident", date(1950, 2, 28), "b1_res", population="resident")
    tag("old_resident", "disabled_elderly", grade=2)
    person("old_tags_edges", date(1940, 1, 1), "a1_res")
    tag("old_tags_edges", "empty_nest", valid_to=END - timedelta(days=1))
    tag("old_tags_edges", "special_family", valid_from=END + timedelta(days=1))
    tag("old_tags_edges", "left_behind_elderly", valid_to=END)
    person("old_leap", date(1944, 2, 29), "a2_reg")
    tag("old_leap", "living_alone", valid_from=date(2020, 1, 1))
    person("old_family", date(1955, 8, 8), "b1_reg")
    tag("old_family", "special_family")
    person("old_loose", date(1938, 9, 9), "loose")
    tag("old_loose", "tekun")
    tag("old_loose", "empty_nest")
    person("old_60_exact", date(1965, 6, 30), "a2_reg")
    tag("old_60_exact", "empty_nest")
    person("old_60_short", date(1965, 7, 1), "a2_reg")
    tag("old_60_short", "empty_nest")
    person("old_gone_member", date(1936, 1, 1), "gone", deceased_date=date(2025, 1, 1))
    # Children.
    person("child_diff", date(2010, 3, 3), "a1_reg")
    tag("child_diff", "child_in_difficulty")
    person("child_18_exact", date(2007, 6, 30), "a1_reg")
    tag("child_18_exact", "child_in_difficulty")
    tag("child_18_exact", "de_facto_orphan")
    person("child_18_short", date(2007, 7, 1), "b1_reg", sex="male")
    tag("child_18_short", "child_in_difficulty")
    tag("child_18_short", "de_facto_orphan")
    person("child_16_exact", date(2009, 6, 30), "a2_reg")
    tag("child_16_exact", "left_behind_child")
    person("child_16_short", date(2009, 7, 1), "a2_reg")
    tag("child_16_short", "left_behind_child")
    person("child_floating", date(2012, 1, 1), "b1_res", population="floating")
    tag("child_floating", "child_in_difficulty")
    person("child_unborn", END + timedelta(days=2), "a1_reg")
    # Hardship.
    person("dibao_1", date(1970, 1, 1), "b1_reg")
    tag("dibao_1", "dibao")
    person("dibao_2", date(1972, 1, 1), "b1_reg")
    tag("dibao_2", "dibao")
    person("dibao_ended", date(1975, 1, 1), "a1_res")
    tag("dibao_ended", "dibao", valid_to=END - timedelta(days=1))
    person("dibian_1", date(1980, 1, 1), "a2_reg")
    tag("dibian_1", "dibian")
    person("dibian_floating", date(1981, 1, 1), "b1_res", population="floating")
    tag("dibian_floating", "dibian")

    def disabled(key, born, household, certificate, grade, **extra):
        person(key, born, household, **extra)
        number = R[key].id_number
        tag(
            key,
            "disabled",
            certificate_number=f"{number}{certificate}" if certificate else "",
            grade=grade,
        )

    disabled("dis_visual_1", date(1966, 1, 1), "a1_reg", "11", 1)
    disabled("dis_physical_3", date(1967, 1, 1), "b1_reg", "43", 3)
    disabled("dis_multiple_2", date(1968, 1, 1), "loose", "72", 2)
    disabled("dis_mental_4", date(1969, 1, 1), "a2_reg", "64", 4)
    disabled("dis_no_certificate", date(1970, 2, 2), "a1_reg", "", 1)
    disabled("dis_hearing_3", date(1972, 4, 4), "a2_reg", "23", 3)
    disabled("dis_speech_2", date(1973, 5, 5), "b1_reg", "32", 2)
    disabled("dis_intellectual_1", date(2012, 6, 6), "a1_res", "51", 1)
    disabled("dis_old_format", date(1974, 7, 7), "b1_reg", "", None)
    ResidentTag.objects.filter(resident=R["dis_old_format"]).update(certificate_number="残证00123")
    disabled("dis_floating", date(1971, 3, 3), "b1_res", "21", 2, population="floating")
    # Others, to make the bases differ.
    person("adult_reg", date(1990, 1, 1), "a1_reg")
    person("adult_resident", date(1991, 1, 1), "b1_res", population="resident")
    person("adult_floating", date(1992, 1, 1), "a1_res", population="floating")


# --- Staff ------------------------------------------------------------------------------------


def _staff(s: Street) -> None:
    people = [UserFactory(username=f"t_fig_staff{n}", role=Role.GRID_WORKER) for n in range(7)]
    Post = GridAssignment.Post

    def assign(person, grid, post, start=date(2025, 1, 1), end=None):
        GridAssignment.objects.create(
            person=person, grid=grid, post=post, start_date=start, end_date=end
        )

    assign(people[0], s.a1, Post.FULL_TIME)
    assign(people[0], s.a2, Post.FULL_TIME)  # one person, two grids
    assign(people[1], s.b1, Post.PART_TIME, end=END)
    assign(people[2], s.a1, Post.LEADER, end=END - timedelta(days=1))
    assign(people[3], s.a1, Post.INSTRUCTOR)
    assign(people[4], s.a2, Post.MICRO_LEADER)
    assign(people[5], s.b1, Post.FULL_TIME, start=END + timedelta(days=1))
    assign(people[6], s.b1, Post.LEADER, start=END)
    s.visitor = people[0]


# --- Visits -----------------------------------------------------------------------------------


def _visits(s: Street) -> None:
    from grids.models import Visit

    R, h = s.residents, s.households

    def visit(key, moment, *, whole_household=False, household=None, **extra):
        resident = R[key] if key else None
        Visit.objects.create(
            household=household or resident.household,
            resident=None if whole_household else resident,
            visitor=s.visitor,
            visited_at=moment,
            **extra,
        )

    visit("old80_exact", local(START, 0, 30), risk_flags=["dispute"])
    visit("old80_short", local(END, 23, 30), whole_household=True)
    visit("old80_exact", local(START - timedelta(days=1), 23, 30), risk_flags=["dispute"])
    visit("old80_exact", local(END + timedelta(days=1), 0, 10))
    visit("old_floating", local(date(2025, 5, 15)), major_event="hospital")
    visit("old_floating", local(date(2025, 5, 16), 9))  # within 24 h of the hospital stay
    visit("dibao_1", local(date(2025, 5, 20)), risk_flags=["health", "dispute"])
    visit(None, local(date(2025, 6, 1)), household=h["loose"], risk_flags=["dispute"])
    # 计生特殊家庭 (key tier, 30 days): visited in time all through the quarter.
    for day in (date(2025, 3, 20), date(2025, 4, 15), date(2025, 5, 14), date(2025, 6, 12)):
        visit("old_family", local(day))
    # 空巢 at 60 exactly (key tier): a 31-day gap (29 April → 30 May) in the quarter.
    for day in (date(2025, 3, 30), date(2025, 4, 29), date(2025, 5, 30), date(2025, 6, 28)):
        visit("old_60_exact", local(day, 11))


# --- Services ---------------------------------------------------------------------------------


def _services(s: Street) -> None:
    R = s.residents
    partner = PartnerFactory(name="安康家政")
    school = PartnerFactory(name="阳光课堂")
    meal = MealItemFactory(name="老年助餐", partners=[partner])
    cleaning = ServiceItemFactory(name="居家助洁", category="cleaning", unit="hour")
    cleaning_visit = ServiceItemFactory(name="上门保洁", category="cleaning", unit="visit")
    counselling = ServiceItemFactory(
        name="心理辅导", group="child", category="counselling", unit="hour", subsidy=0
    )
    science = ServiceItemFactory(
        name="科普课堂", group="child", category="science_class", unit="hour", subsidy=0
    )

    def meal_log(key, moment, slot, subsidised=True):
        delivery = DeliveryFactory(
            partner=partner,
            service_item=meal,
            resident=R[key],
            delivered_at=moment,
            subsidy=meal.subsidy if subsidised else Decimal("0"),
        )
        MealLogFactory(delivery=delivery, slot=slot, subsidised=subsidised)

    meal_log("old80_exact", local(START, 11), MealLog.Slot.LUNCH)
    meal_log("old80_exact", local(START, 11, 30), MealLog.Slot.LUNCH, subsidised=False)
    meal_log("old80_exact", local(END, 17), MealLog.Slot.DINNER)
    meal_log("old80_exact", local(START - timedelta(days=1), 11), MealLog.Slot.LUNCH)
    meal_log("old_floating", local(date(2025, 5, 5), 11), MealLog.Slot.LUNCH)

    def deliver(key, item, moment, quantity="1", who=partner):
        DeliveryFactory(
            partner=who,
            service_item=item,
            resident=R[key],
            delivered_at=moment,
            quantity=Decimal(quantity),
        )

    deliver("old_resident", cleaning, local(date(2025, 5, 1)), "2")
    deliver("old80_short", cleaning, local(END, 20), "1.5")
    deliver("old_loose", cleaning_visit, local(date(2025, 5, 2)))
    deliver("old80_short", cleaning, local(END + timedelta(days=1), 9), "3")
    deliver("child_diff", counselling, local(date(2025, 4, 10)))
    deliver("child_18_short", counselling, local(date(2025, 6, 10)))
    deliver("child_diff", counselling, local(END + timedelta(days=1)))
    # Science classes: one morning session for two children, an afternoon one, and the
    # partner's activity at the morning session (the same session).
    deliver("child_diff", science, local(date(2025, 5, 10), 9), who=school)
    deliver("child_18_short", science, local(date(2025, 5, 10), 9, 5), who=school)
    deliver("child_diff", science, local(date(2025, 5, 10), 14), who=school)
    deliver("child_diff", science, local(date(2025, 3, 10), 9), who=school)
    admin = UserFactory(username="t_fig_admin", role=Role.STREET_ADMIN)
    same = ActivityFactory(
        community=s.a,
        partner=school,
        starts_at=local(date(2025, 5, 10), 9, 30),
        volunteer_hours=Decimal("6.0"),
        created_by=admin,
    )
    same.attendees.add(R["child_diff"])
    lone = ActivityFactory(
        community=s.b,
        starts_at=local(date(2025, 6, 1), 15),
        volunteer_hours=Decimal("4.5"),
        created_by=admin,
    )
    lone.attendees.add(R["child_18_short"])
    ActivityFactory(
        community=s.b,
        theme="volunteer_event",
        starts_at=local(END, 8),
        volunteer_hours=Decimal("2.5"),
        created_by=admin,
    )
    ActivityFactory(
        community=s.a,
        starts_at=local(END + timedelta(days=2)),
        volunteer_hours=Decimal("3.0"),
        created_by=admin,
    )
    # Family-doctor contracts.
    clinic = PartnerFactory(name="南滨社区卫生服务中心", kind="clinic")
    Status = FamilyDoctorContract.Status

    def contract(key, start, end, status=Status.ACTIVE, ended_on=None):
        ContractFactory(
            resident=R[key],
            partner=clinic,
            start_date=start,
            end_date=end,
            status=status,
            ended_on=ended_on,
            created_by=admin,
        )

    contract("old80_exact", date(2024, 7, 1), END)  # ends on the end date
    contract("old_floating", date(2024, 6, 30), END - timedelta(days=1), Status.LAPSED, END)
    contract("old_resident", date(2025, 1, 1), date(2025, 12, 31))
    contract("old_sep_reg", date(2025, 1, 1), date(2025, 12, 31))  # lives elsewhere
    contract("dibao_1", date(2025, 1, 1), date(2025, 12, 31), Status.SWITCHED, date(2025, 6, 15))
    contract("dibao_2", END + timedelta(days=1), date(2026, 6, 30))
    contract("adult_floating", date(2025, 2, 1), date(2026, 1, 31))
    contract("old_dead_after", date(2025, 1, 1), date(2025, 12, 31))
    contract("old_dead_before", date(2025, 1, 1), date(2025, 12, 31))
    # Referrals and their history.
    item = ServiceItem.objects.get(name="居家助洁")

    def referral(key, events):
        r = ReferralFactory(resident=R[key], service_item=item, partner=partner, created_by=admin)
        for status, moment in events:
            ReferralEvent.objects.create(referral=r, to_status=status, at=moment)
        return r

    referral("old80_exact", [("submitted", local(START, 8)), ("closed", local(END, 22))])
    referral("old_loose", [("submitted", local(START - timedelta(days=1), 22))])
    referral("old_resident", [("submitted", local(date(2025, 5, 1))), ("cancelled", local(END))])
    referral(
        "dibao_1",
        [("submitted", local(date(2025, 2, 1))), ("closed", local(END + timedelta(days=1), 1))],
    )
    Referral.objects.update(status=Referral.Status.CLOSED)
    # Aid.
    bundle = AidBundleFactory(period_start=date(2025, 1, 1), period_end=date(2025, 12, 31))
    line = AidBundleLineFactory(bundle=bundle, funder=FunderFactory(name="慈善总会"))
    h = s.households
    overlapping = AidCaseFactory(
        household=h["b1_reg"], bundle=bundle, period_start=date(2025, 1, 1), period_end=START
    )
    AidCaseFactory(
        household=h["a1_reg"],
        bundle=bundle,
        period_start=END + timedelta(days=1),
        period_end=date(2025, 12, 31),
    )
    AidCaseFactory(
        household=h["a2_reg"],
        bundle=bundle,
        period_start=date(2025, 5, 1),
        period_end=date(2025, 5, 31),
        status=AidCase.Status.CANCELLED,
    )
    loose_case = AidCaseFactory(
        household=h["loose"], bundle=bundle, period_start=END, period_end=END
    )
    for case, amount, day in (
        (overlapping, "500.00", START),
        (overlapping, "300.00", START - timedelta(days=1)),
        (loose_case, "120.50", END),
    ):
        DisbursementFactory(case=case, line=line, amount=Decimal(amount), paid_on=day)


# --- Party ------------------------------------------------------------------------------------


def _party(s: Street) -> None:
    root = PartyOrgFactory(name="南滨街道党工委")
    branch_a = BranchFactory(parent=root, community=s.a, name="江滨社区党支部")
    grid_branch = GridBranchFactory(parent=root, grid=s.a1, name="江滨第一网格党支部")
    building_a2 = Building.objects.create(
        community=s.a, grid=s.a2, name="江滨专属楼", address="江滨路9号"
    )
    group = BuildingGroupFactory(parent=branch_a, building=building_a2, name="专属楼党小组")
    branch_b = BranchFactory(parent=root, community=s.b, name="阁巷社区党支部")
    functional = BranchFactory(parent=root, community=None, kind="functional_branch")
    BranchFactory(parent=root, community=s.b, dissolved_on=END - timedelta(days=1))
    BranchFactory(parent=root, community=s.b, dissolved_on=END)
    BranchFactory(parent=root, community=s.a, founded_on=END + timedelta(days=1))
    s.orgs = {"root": root, "a": branch_a, "grid": grid_branch, "group": group, "b": branch_b}

    def member(name, org, **extra):
        return PartyMemberFactory(name=name, org=org, **extra)

    m = {
        "full_a": member("full_a", branch_a),
        "probation_grid": member("probation_grid", grid_branch, status="probationary"),
        "out_on_end": member("out_on_end", branch_a, transferred_out_on=END),
        "out_after": member("out_after", branch_b, transferred_out_on=END + timedelta(days=1)),
        "joined_after": member("joined_after", branch_b, joined_party_on=END + timedelta(days=1)),
        "in_after": member("in_after", branch_b, transferred_in_on=END + timedelta(days=1)),
        "group_member": member("group_member", group),
        "functional": member("functional", functional),
        "serving_to_b": member(
            "serving_to_b",
            branch_a,
            serving=True,
            reported_community=s.b,
            reported_on=date(2025, 3, 1),
        ),
        "serving_late": member(
            "serving_late",
            branch_b,
            serving=True,
            reported_community=s.b,
            reported_on=END + timedelta(days=1),
        ),
        "serving_undated": member(
            "serving_undated", functional, serving=True, reported_community=s.a
        ),
        "serving_unreported": member("serving_unreported", branch_b, serving=True),
        "secretary_b": member("secretary_b", branch_b),
    }
    PartyOrg.objects.filter(pk=branch_b.pk).update(secretary=m["secretary_b"])
    s.members = m
    # 三会一课 and a theme day.
    for org, kind, day in (
        (branch_a, MeetingKind.GENERAL_ASSEMBLY, START),
        (branch_a, MeetingKind.BRANCH_COMMITTEE, END),
        (grid_branch, MeetingKind.PARTY_LECTURE, date(2025, 5, 5)),
        (group, MeetingKind.GROUP_MEETING, date(2025, 5, 6)),
        (branch_b, MeetingKind.THEME_DAY, date(2025, 5, 7)),
        (branch_b, MeetingKind.BRANCH_COMMITTEE, START - timedelta(days=1)),
        (functional, MeetingKind.PARTY_LECTURE, END + timedelta(days=1)),
        (branch_b, MeetingKind.GROUP_MEETING, date(2025, 6, 6)),
    ):
        OrgLifeMeetingFactory(org=org, kind=kind, held_on=day)

    # Training: full_a reaches 32 h by the end; probation_grid has 31.5; the secretary 40 of 56.
    def course(hours, day):
        return TrainingCourseFactory(hours=Decimal(hours), held_on=day)

    def record(name, c, hours=None, completed=None):
        TrainingRecordFactory(
            course=c,
            member=m[name],
            hours=Decimal(hours) if hours else c.hours,
            completed_on=completed or c.held_on,
        )

    big = course("32", date(2025, 3, 1))
    record("full_a", big)
    record("probation_grid", big, "31.5")
    record("secretary_b", big)
    small = course("8", START)
    record("secretary_b", small)
    late = course("8", END + timedelta(days=1))
    record("probation_grid", late)
    last_year = course("20", date(2024, 12, 31))
    record("group_member", last_year)
    window_course = course("4", END)
    record("serving_to_b", window_course)
