"""Demo registry: 瑞安市 南滨街道 with four communities, twenty grids, ~2,000 households, ~5,000 residents.

Everything is fictional but shaped like a real street in 温州: walk-up 新村 blocks and self-built
street houses, a population where a fifth is over sixty, 畲族 families, renters from other
provinces, a few 低保 households, disability cards, left-behind children.

`load(ctx)` is deterministic for a given `ctx["seed"]` (and day: ages are counted from today,
or from `ctx["today"]` when given) and idempotent: the registry is written once, when the
street has no buildings yet; tag definitions and staff grants are ensured on every run.
Leaves `ctx["city"]`, `ctx["street"]`, `ctx["communities"]`, `ctx["grids"]` (code order) and
`ctx["tags"]` (code -> TagDef) for the services step.

Deliberate gaps for the coverage report: two grids have no grid worker, one grid is over its
household cap, and one newly delivered building in 万松社区 is not in any grid yet.

The people and buildings are planned in Python and written in bulk (`write_registry`, shared
with district.py); staff grants and grid posts go through grids' write services as the system
(actor None).
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from grids.cadence import residents_with_due
from grids.models import (
    Building,
    Dwelling,
    Grid,
    GridAssignment,
    Household,
    Region,
    RegionUserObjectPermission,
    Resident,
    ResidentTag,
    TagDef,
    Visit,
)
from grids.writes import grid_assign, region_staff_grant
from portal.demo import names
from portal.models import User
from portal.roles import Role
from portal.validators import citizen_id_make

BATCH = 500
AREA_CODE = "330381"
GRIDS_FROM = date(2024, 1, 1)

CITY = ("330381", "瑞安市")
STREET = ("330381008000", "南滨街道")

# code, name, estates and roads of the four base grids, the dedicated grid's name
COMMUNITIES = [
    ("330381008001", "江滨社区", ["江滨新村", "锦江花园", "滨江苑", "南湖小区"],
     ["江滨路", "滨江大道", "南滨路", "望江路"], "江滨社区南滨中学专属网格"),
    ("330381008002", "阁巷社区", ["阁巷新村", "围垦小区", "阁巷花园", "东浦小区"],
     ["阁巷路", "围垦路", "东浦路", "新河街"], "阁巷社区农贸市场专属网格"),
    ("330381008003", "林北社区", ["林北新村", "林垟花园", "北麂小区", "梅园小区"],
     ["林北路", "林垟路", "梅园路", "北塘街"], "林北社区工业园专属网格"),
    ("330381008004", "万松社区", ["万松新村", "万松花园", "松鹤苑", "凤凰小区"],
     ["万松路", "松鹤路", "凤凰路", "万安街"], "万松社区商业街专属网格"),
]  # fmt: skip
NUMERALS = "一二三四五"
# household cap of grids 1-5 per community; 林北社区第二网格 is small and ends up over its cap
CAPS = [
    [300, 300, 400, 300, 150],
    [300, 300, 300, 500, 150],
    [300, 150, 300, 300, 150],
    [400, 200, 300, 300, 150],
]
OVER_CAP = (2, 1)  # (community index, grid index)
GAP_BUILDING = (3, "万松安置小区1幢")  # delivered last month, not yet placed in a grid

# code, name, group, visit tier, derived from age
TAG_DEFS = [
    # The broad age bands carry no visit tier (issue 12): the priority populations below do.
    ("elderly_60", "60岁以上老人", "elderly", "none", True),
    ("elderly_80", "80岁以上高龄老人", "elderly", "key", True),
    ("living_alone", "独居老人", "elderly", "high", False),
    ("empty_nest", "空巢老人", "elderly", "key", False),
    ("disabled_elderly", "失能失智老人", "elderly", "high", False),
    ("left_behind_elderly", "留守老人", "elderly", "key", False),
    ("special_family", "计生特殊家庭", "elderly", "key", False),
    ("minor", "未成年人", "child", "none", True),
    ("child_in_difficulty", "困境儿童", "child", "high", False),
    ("left_behind_child", "留守儿童", "child", "key", False),
    ("de_facto_orphan", "事实无人抚养儿童", "child", "high", False),
    ("dibao", "低保", "special", "key", False),
    ("dibian", "低边", "special", "general", False),
    ("tekun", "特困", "special", "high", False),
    ("disabled", "残疾人", "special", "key", False),
]

MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156",
    "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189",
    "191", "195", "198", "199",
]  # fmt: skip
MINORITIES_FROM_ELSEWHERE = ["苗族", "土家族", "布依族", "彝族"]


# --- Dates ----------------------------------------------------------------------------------


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _birth_date(rng: random.Random, age: int, today: date) -> date:
    """A birth date giving exactly `age` full years today."""
    latest = _add_years(today, -age)
    earliest = _add_years(today, -age - 1) + timedelta(days=1)
    if age == 0:
        latest -= timedelta(days=1)
    return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))


def _past_date(rng: random.Random, today: date, *, not_before: date, years: int = 6) -> date:
    start = max(not_before, _add_years(today, -years))
    return start + timedelta(days=rng.randint(0, max(0, (today - start).days)))


# --- People ---------------------------------------------------------------------------------


@dataclass
class Person:
    surname: str
    sex: str
    age: int
    relation: str
    ethnicity: str = "汉族"
    name: str = ""
    birth_date: date | None = None
    id_number: str = ""
    phone: str = ""
    population_type: str = Resident.PopulationType.REGISTERED
    separated: bool = False
    political_status: str = "群众"
    verified_date: date | None = None


@dataclass
class HouseholdPlan:
    kind: str
    template: str
    members: list[Person] = field(default_factory=list)
    number: str = ""


def _weighted(rng: random.Random, table: dict):
    return rng.choices(list(table), weights=list(table.values()))[0]


_ELDERLY_BANDS = {(60, 64): 21, (65, 69): 20, (70, 74): 17, (75, 79): 15, (80, 84): 15, (85, 89): 10,
                  (90, 94): 4.5, (95, 100): 1}  # fmt: skip


def _elderly_age(rng: random.Random, low: int = 60) -> int:
    bands = {band: weight for band, weight in _ELDERLY_BANDS.items() if band[1] >= low}
    first, last = _weighted(rng, bands)
    return rng.randint(max(first, low), last)


def _other_sex(sex: str) -> str:
    return "female" if sex == "male" else "male"


def _given_name(rng: random.Random, sex: str, birth_year: int) -> str:
    era = 0 if birth_year < 1960 else 1 if birth_year < 1990 else 2 if birth_year < 2005 else 3
    if rng.random() < 0.35:
        return rng.choice(names.GIVEN_NAMES[sex][era])
    chars = names.GIVEN_CHARS[sex][era]
    if rng.random() < 0.12:
        return rng.choice(chars)
    first = rng.choice(chars)
    second = rng.choice(chars)
    while second == first:
        second = rng.choice(chars)
    return first + second


class _Family:
    """Builds the members of one household from a template."""

    def __init__(self, rng: random.Random, *, local: bool, she: bool):
        self.rng = rng
        self.local = local
        self.she = she
        self.ethnicity = "畲族" if she else "汉族"
        if not local and rng.random() < 0.03:
            self.ethnicity = rng.choice(MINORITIES_FROM_ELSEWHERE)
        self.members: list[Person] = []

    def surname(self) -> str:
        if self.she and self.rng.random() < 0.8:
            return _weighted(self.rng, names.SHE_SURNAMES)
        table = names.LOCAL_SURNAMES if self.local else names.NATIONAL_SURNAMES
        return _weighted(self.rng, table)

    def add(
        self, *, surname: str, sex: str, age: int, relation: str, same_ethnicity: bool = True
    ) -> Person:
        ethnicity = self.ethnicity
        if not same_ethnicity and self.ethnicity != "汉族" and self.rng.random() < 0.5:
            ethnicity = "汉族"
        person = Person(
            surname=surname,
            sex=sex,
            age=max(0, min(100, age)),
            relation=relation,
            ethnicity=ethnicity,
        )
        self.members.append(person)
        return person

    def spouse_of(self, head: Person, relation: str = "配偶") -> Person:
        rng = self.rng
        gap = rng.randint(0, 5) if head.sex == "male" else -rng.randint(0, 5)
        age = head.age - gap + rng.randint(-1, 1)
        return self.add(
            surname=self.surname(),
            sex=_other_sex(head.sex),
            age=max(20, age),
            relation=relation,
            same_ethnicity=False,
        )

    def children_of(
        self, mother_age: int, surname: str, count: int, relation: str, *, max_age: int = 40
    ) -> None:
        rng = self.rng
        for _ in range(count):
            age = mother_age - rng.randint(22, 36)
            if age < 0:
                continue
            self.add(
                surname=surname if rng.random() < 0.95 else self.surname(),
                sex=rng.choice(["male", "female"]),
                age=min(age, max_age),
                relation=relation,
            )

    def parent_of(self, head: Person, *, minimum: int = 60) -> Person:
        """The head's widowed mother (more often) or father, who moved in."""
        sex = "female" if self.rng.random() < 0.7 else "male"
        surname = head.surname if sex == "male" else self.surname()
        age = max(minimum, head.age + self.rng.randint(24, 34))
        return self.add(surname=surname, sex=sex, age=age, relation="父母")

    def couple(self, head_age: int, *, male_head: float = 0.75) -> tuple[Person, Person, int, str]:
        """Head and spouse; returns them, the woman's age and the children's surname."""
        sex = "male" if self.rng.random() < male_head else "female"
        head = self.add(surname=self.surname(), sex=sex, age=head_age, relation="户主")
        spouse = self.spouse_of(head)
        husband = head if head.sex == "male" else spouse
        wife = spouse if husband is head else head
        return head, spouse, wife.age, husband.surname


LOCAL_TEMPLATES = {
    "elderly_single": 9.5, "elderly_couple": 11, "couple_child": 22, "couple_2child": 7, "couple": 9,
    "three_gen_old_head": 9, "three_gen_mid_head": 7, "left_behind": 3, "single_parent": 4, "single_adult": 5,
}  # fmt: skip
MIGRANT_TEMPLATES = {
    "single_worker": 38,
    "couple": 24,
    "couple_child": 28,
    "couple_child_parent": 10,
}


def _household_members(rng: random.Random, template: str, *, local: bool) -> list[Person]:
    she = local and rng.random() < 0.012
    fam = _Family(rng, local=local, she=she)
    if template == "elderly_single":
        sex = "female" if rng.random() < 0.65 else "male"
        fam.add(surname=fam.surname(), sex=sex, age=_elderly_age(rng, 62), relation="户主")
    elif template == "elderly_couple":
        head = fam.add(
            surname=fam.surname(),
            sex="male" if rng.random() < 0.85 else "female",
            age=_elderly_age(rng, 62),
            relation="户主",
        )
        spouse = fam.spouse_of(head)
        spouse.age = max(60, spouse.age)
    elif template in ("couple_child", "couple_2child"):
        head_age = rng.randint(30, 60) if local else rng.randint(26, 45)
        _head, _spouse, mother_age, surname = fam.couple(head_age)
        count = 2 if template == "couple_2child" else 1
        fam.children_of(mother_age, surname, count, "子女", max_age=30)
        if len(fam.members) == 2:  # the mother was too young: a baby then
            fam.add(
                surname=surname,
                sex=rng.choice(["male", "female"]),
                age=rng.randint(0, 2),
                relation="子女",
            )
    elif template == "couple":
        fam.couple(
            rng.choice([rng.randint(24, 35), rng.randint(45, 59)]) if local else rng.randint(22, 48)
        )
    elif template == "three_gen_old_head":
        head = fam.add(
            surname=fam.surname(),
            sex="male" if rng.random() < 0.8 else "female",
            age=_elderly_age(rng, 62),
            relation="户主",
        )
        if rng.random() < 0.7:
            fam.spouse_of(head)
        women = [m.age for m in fam.members if m.sex == "female"]
        old_woman_age = women[0] if women else head.age - 3
        child_age = max(28, min(58, old_woman_age - rng.randint(24, 32)))
        husband = next((m for m in fam.members if m.sex == "male"), None)
        surname = husband.surname if husband else fam.surname()
        if rng.random() < 0.75:  # a son and his wife
            son = fam.add(surname=surname, sex="male", age=child_age, relation="子女")
            fam.add(
                surname=fam.surname(),
                sex="female",
                age=son.age - rng.randint(0, 4),
                relation="儿媳",
                same_ethnicity=False,
            )
            grand_surname, mother_age = son.surname, son.age - 2
        else:  # a daughter and her husband
            daughter = fam.add(surname=surname, sex="female", age=child_age, relation="子女")
            son_in_law = fam.add(
                surname=fam.surname(),
                sex="male",
                age=daughter.age + rng.randint(0, 4),
                relation="女婿",
                same_ethnicity=False,
            )
            grand_surname, mother_age = son_in_law.surname, daughter.age
        fam.children_of(
            mother_age, grand_surname, rng.randint(1, 5 - len(fam.members)), "孙子女", max_age=25
        )
    elif template == "three_gen_mid_head":
        head, _spouse, mother_age, surname = fam.couple(rng.randint(32, 52), male_head=0.85)
        fam.children_of(mother_age, surname, 1, "子女", max_age=25)
        fam.parent_of(head)
    elif template == "left_behind":
        head = fam.add(
            surname=fam.surname(),
            sex="male" if rng.random() < 0.6 else "female",
            age=rng.randint(58, 76),
            relation="户主",
        )
        if rng.random() < 0.7:
            fam.spouse_of(head)
        for _ in range(rng.choice([1, 1, 2])):
            fam.add(
                surname=head.surname if head.sex == "male" else fam.surname(),
                sex=rng.choice(["male", "female"]),
                age=rng.randint(3, 15),
                relation="孙子女",
            )
    elif template == "single_parent":
        sex = "female" if rng.random() < 0.7 else "male"
        head = fam.add(surname=fam.surname(), sex=sex, age=rng.randint(30, 52), relation="户主")
        child_surname = head.surname if sex == "male" or rng.random() < 0.3 else fam.surname()
        mother_age = head.age if sex == "female" else head.age - 2
        fam.children_of(mother_age, child_surname, 1, "子女", max_age=22)
    elif template == "single_adult":
        fam.add(
            surname=fam.surname(),
            sex=rng.choice(["male", "female"]),
            age=rng.randint(22, 59),
            relation="户主",
        )
    elif template == "single_worker":
        sex = "male" if rng.random() < 0.62 else "female"
        fam.add(surname=fam.surname(), sex=sex, age=rng.randint(18, 50), relation="户主")
    elif template == "couple_child_parent":
        head, _spouse, mother_age, surname = fam.couple(rng.randint(26, 42), male_head=0.85)
        fam.children_of(mother_age, surname, rng.choice([1, 1, 2]), "子女", max_age=16)
        fam.parent_of(head, minimum=50)
    return fam.members[:5]


# --- The plan of one street (pure Python, no database) --------------------------------------


@dataclass
class DwellingPlan:
    unit: str
    room: str
    use: str
    household: HouseholdPlan | None = None


@dataclass
class BuildingPlan:
    community: int
    grid: int | None
    name: str
    address: str
    dwellings: list[DwellingPlan] = field(default_factory=list)


class _StreetPlanner:
    def __init__(self, rng: random.Random, today: date):
        self.rng = rng
        self.today = today
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.buildings: list[BuildingPlan] = []
        self.household_seq = [0] * len(COMMUNITIES)

    # people

    def _finish_person(
        self, person: Person, household: HouseholdPlan, local: bool, migrant_type: str
    ) -> None:
        rng = self.rng
        person.birth_date = _birth_date(rng, person.age, self.today)
        person.name = person.surname + _given_name(rng, person.sex, person.birth_date.year)
        while True:
            sequence = rng.randrange(0, 500) * 2 + (1 if person.sex == "male" else 0)
            number = citizen_id_make(
                area_code=AREA_CODE, birth_date=person.birth_date, sequence=sequence
            )
            if number not in self.used_ids:
                self.used_ids.add(number)
                person.id_number = number
                break
        if person.age >= 18:
            has_phone = person.age < 80 or rng.random() < 0.5
        else:
            has_phone = person.age >= 14 and rng.random() < 0.4
        if has_phone:
            while True:
                phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
                if phone not in self.used_phones:
                    self.used_phones.add(phone)
                    person.phone = phone
                    break
        if local:
            married_in = person.relation in ("配偶", "儿媳", "女婿")
            person.population_type = (
                Resident.PopulationType.RESIDENT
                if married_in and rng.random() < 0.08
                else Resident.PopulationType.REGISTERED
            )
        else:
            person.population_type = migrant_type
        person.separated = rng.random() < 0.03
        if person.age >= 18:
            party = 0.12 if person.age >= 60 and person.sex == "male" else 0.06
            if rng.random() < party:
                person.political_status = "中共党员"
            elif person.age <= 28 and rng.random() < 0.3:
                person.political_status = "共青团员"
        elif person.age >= 14 and rng.random() < 0.35:
            person.political_status = "共青团员"
        if rng.random() < 0.7:
            person.verified_date = self.today - timedelta(days=rng.randint(1, 400))

    def _household_number(self, community: int) -> str:
        self.household_seq[community] += 1
        return f"HH{COMMUNITIES[community][0]}{self.household_seq[community]:06d}"

    def household(self, community: int, *, kind: str) -> HouseholdPlan:
        rng = self.rng
        local = kind == Household.Kind.REGISTERED or rng.random() < 0.3
        template = _weighted(rng, LOCAL_TEMPLATES if local else MIGRANT_TEMPLATES)
        plan = HouseholdPlan(
            kind=kind, template=template, members=_household_members(rng, template, local=local)
        )
        plan.number = self._household_number(community)
        migrant_type = (
            Resident.PopulationType.FLOATING
            if rng.random() < 0.65
            else Resident.PopulationType.RESIDENT
        )
        for person in plan.members:
            self._finish_person(person, plan, local, migrant_type)
        return plan

    # buildings

    def _occupy(self, community: int, dwelling: DwellingPlan) -> None:
        rng = self.rng
        if dwelling.use == Dwelling.Use.OWNER:
            kind = Household.Kind.REGISTERED if rng.random() < 0.88 else Household.Kind.RESIDING
        elif dwelling.use == Dwelling.Use.RENTED:
            kind = Household.Kind.RESIDING if rng.random() < 0.8 else Household.Kind.REGISTERED
        else:
            return
        dwelling.household = self.household(community, kind=kind)

    def _use(self, *, ground_shop: bool = False) -> str:
        if ground_shop and self.rng.random() < 0.45:
            return Dwelling.Use.BUSINESS
        return _weighted(
            self.rng, {Dwelling.Use.OWNER: 76, Dwelling.Use.RENTED: 17, Dwelling.Use.VACANT: 7}
        )

    def estate_building(
        self, community: int, grid: int | None, estate: str, number: int, *, name=None
    ) -> BuildingPlan:
        rng = self.rng
        name = name or f"{estate}{number}幢"
        building = BuildingPlan(community, grid, name, f"{STREET[1]}{name}")
        tower = estate.endswith(("花园", "苑")) and rng.random() < 0.4
        units = 1 if tower else rng.choice([1, 2, 2, 3])
        floors = rng.randint(11, 18) if tower else rng.choice([5, 6, 6, 7])
        per_floor = rng.choice([2, 4]) if tower else 2
        for unit in range(1, units + 1):
            for floor in range(1, floors + 1):
                for door in range(1, per_floor + 1):
                    building.dwellings.append(
                        DwellingPlan(str(unit), f"{floor}{door:02d}", self._use())
                    )
        return building

    def street_house(self, community: int, grid: int, road: str, number: int) -> BuildingPlan:
        name = f"{road}{number}号"
        building = BuildingPlan(community, grid, name, f"{STREET[1]}{name}")
        for floor in range(1, self.rng.choice([3, 4, 4, 5]) + 1):
            building.dwellings.append(
                DwellingPlan("", f"{floor}01", self._use(ground_shop=floor == 1))
            )
        return building

    def grid(self, community: int, grid: int, target: int) -> None:
        rng = self.rng
        _code, _name, estates, roads, _dedicated = COMMUNITIES[community]
        estate, road = estates[grid], roads[grid]
        estate_no, road_no, households = 0, rng.choice([1, 2]), 0
        while households < target:
            if rng.random() < 0.35:
                road_no += rng.choice([2, 2, 4])
                building = self.street_house(community, grid, road, road_no)
            else:
                estate_no += 1
                building = self.estate_building(community, grid, estate, estate_no)
            for count, dwelling in enumerate(building.dwellings):
                if households >= target:  # the grid's last building is a small one
                    del building.dwellings[count:]
                    break
                self._occupy(community, dwelling)
                households += dwelling.household is not None
            self.buildings.append(building)

    def street(self) -> None:
        rng = self.rng
        for community in range(len(COMMUNITIES)):
            for grid in range(4):
                target = rng.randint(100, 138)
                if (community, grid) == OVER_CAP:
                    target = CAPS[community][grid] + rng.randint(10, 25)
                self.grid(community, grid, target)
        community, name = GAP_BUILDING
        building = self.estate_building(community, None, "万松安置小区", 1, name=name)
        building.dwellings = building.dwellings[:12]
        for dwelling in building.dwellings:
            dwelling.use = Dwelling.Use.OWNER if rng.random() < 0.7 else Dwelling.Use.VACANT
            self._occupy(community, dwelling)
        self.buildings.append(building)


# --- Tags -----------------------------------------------------------------------------------


def _tag_plan(
    rng: random.Random, households: list[HouseholdPlan], today: date
) -> list[tuple[Person, str, dict]]:
    """(person, tag code, extra fields) for every tag to write."""
    tags: list[tuple[Person, str, dict]] = []
    dept = ResidentTag.Source.DEPARTMENT
    worker = ResidentTag.Source.GRID_WORKER
    age_src = ResidentTag.Source.AGE

    def add(person: Person, code: str, source: str, valid_from: date, **extra):
        tags.append((person, code, {"source": source, "valid_from": valid_from, **extra}))

    def since(person: Person, years: int = 6, *, at_age: int = 0) -> date:
        return _past_date(rng, today, not_before=_add_years(person.birth_date, at_age), years=years)

    for household in households:
        members = household.members
        all_old = all(p.age >= 60 for p in members)
        special_family = all_old and len(members) >= 2 and rng.random() < 0.04
        roll = rng.random()
        hardship_weight = (
            3 if household.template in ("elderly_single", "single_parent", "left_behind") else 1
        )
        dibao = roll < 0.012 * hardship_weight
        dibian = not dibao and roll < 0.022 * hardship_weight
        for person in members:
            if person.age >= 60:
                add(person, "elderly_60", age_src, _add_years(person.birth_date, 60))
                if person.age >= 80:
                    add(person, "elderly_80", age_src, _add_years(person.birth_date, 80))
                if len(members) == 1:
                    add(person, "living_alone", worker, since(person, 5, at_age=60))
                elif all_old:
                    add(person, "empty_nest", worker, since(person, 5, at_age=60))
                    # children working far away; decided without the random stream (stable demo)
                    if person.birth_date.toordinal() % 11 == 0:
                        add(person, "left_behind_elderly", worker, since(person, 5, at_age=60))
                if rng.random() < (0.12 if person.age >= 80 else 0.025):
                    add(person, "disabled_elderly", dept, since(person, 4, at_age=60))
                if special_family:
                    add(person, "special_family", dept, since(person, 10, at_age=49))
                if len(members) == 1 and not dibao and rng.random() < 0.06:
                    add(person, "tekun", dept, since(person, 8, at_age=60))
            if person.age < 18:
                add(person, "minor", age_src, person.birth_date)
                if household.template == "left_behind":
                    add(person, "left_behind_child", worker, since(person, 4))
                    if rng.random() < 0.15:
                        add(person, "de_facto_orphan", dept, since(person, 4))
                if rng.random() < 0.012:
                    add(person, "child_in_difficulty", dept, since(person, 4))
            if dibao:
                add(person, "dibao", dept, since(person, 6))
            elif dibian:
                add(person, "dibian", dept, since(person, 4))
            disabled_p = (
                0.01
                if person.age < 18
                else 0.03
                if person.age < 60
                else 0.07
                if person.age < 80
                else 0.15
            )
            if rng.random() < disabled_p:
                category = rng.randint(1, 7)
                grade = _weighted(rng, {1: 10, 2: 20, 3: 30, 4: 40})
                add(
                    person,
                    "disabled",
                    dept,
                    since(person, 12),
                    grade=grade,
                    certificate_number=f"{person.id_number}{category}{grade}",
                )
    return tags


# --- Database -------------------------------------------------------------------------------


def _square(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def _grid_boundaries(community: int) -> list[dict]:
    """Four communities as a 2 × 2 block around 南滨; in each, three grids above and two below."""
    block_w, block_h = 0.012, 0.009
    col, row = community % 2, community // 2
    west = 120.65 - block_w + col * block_w
    north = 27.78 + block_h - row * block_h
    mid = north - block_h * 0.55
    south = north - block_h
    third = block_w / 3
    cut = west + block_w * 0.62
    return [
        _square(west, mid, west + third, north),
        _square(west + third, mid, west + 2 * third, north),
        _square(west + 2 * third, mid, west + block_w, north),
        _square(west, south, cut, mid),
        _square(cut, south, west + block_w, mid),  # the dedicated grid: a school, market...
    ]


def _regions_and_grids() -> tuple[Region, Region, list[Region], list[Grid]]:
    city, _ = Region.objects.get_or_create(
        code=CITY[0], defaults={"name": CITY[1], "level": Region.Level.CITY}
    )
    street, _ = Region.objects.get_or_create(
        code=STREET[0], defaults={"name": STREET[1], "level": Region.Level.STREET, "parent": city}
    )
    communities, grids = [], []
    for index, (code, name, _estates, _roads, dedicated) in enumerate(COMMUNITIES):
        community, _ = Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": Region.Level.COMMUNITY, "parent": street}
        )
        communities.append(community)
        boundaries = _grid_boundaries(index)
        for number in range(5):
            is_dedicated = number == 4
            grid, _ = Grid.objects.get_or_create(
                code=f"{code}{number + 1:03d}",
                defaults={
                    "community": community,
                    "name": dedicated if is_dedicated else f"{name}第{NUMERALS[number]}网格",
                    "kind": Grid.Kind.DEDICATED if is_dedicated else Grid.Kind.BASE,
                    "household_cap": CAPS[index][number],
                    "boundary": boundaries[number],
                    "valid_from": GRIDS_FROM,
                },
            )
            grids.append(grid)
    grids.sort(key=lambda g: g.code)
    return city, street, communities, grids


def _tag_defs() -> dict[str, TagDef]:
    tags = {}
    for code, name, group, tier, age_derived in TAG_DEFS:
        tags[code], _ = TagDef.objects.get_or_create(
            code=code,
            defaults={"name": name, "group": group, "visit_tier": tier, "age_derived": age_derived},
        )
    return tags


def write_registry(buildings, building_plans, *, batch: int, data_source: str, created_at=None):
    """Write the dwellings, households and residents planned for saved buildings, in bulk.

    Shared by the demo street and `generate_district`. `created_at`, if given, is called once
    per resident for its registration time. Returns the households, their plans and a map
    from id(planned person) to the Resident written (heads and tags are the caller's).
    """
    dwellings, dwelling_plans = [], []
    for building, plan in zip(buildings, building_plans, strict=True):
        for item in plan.dwellings:
            dwellings.append(
                Dwelling(building=building, unit=item.unit, room=item.room, use=item.use)
            )
            dwelling_plans.append(item)
    Dwelling.objects.bulk_create(dwellings, batch_size=batch)

    households, household_plans = [], []
    for dwelling, item in zip(dwellings, dwelling_plans, strict=True):
        if item.household is not None:
            households.append(
                Household(
                    number=item.household.number,
                    dwelling=dwelling,
                    grid=dwelling.building.grid,
                    kind=item.household.kind,
                )
            )
            household_plans.append(item.household)
    Household.objects.bulk_create(households, batch_size=batch)

    residents, resident_of = [], {}
    for household, plan in zip(households, household_plans, strict=True):
        for person in plan.members:
            resident = Resident(
                name=person.name,
                id_type=Resident.IdType.CITIZEN_ID,
                id_number=person.id_number,
                sex=person.sex,
                birth_date=person.birth_date,
                phone=person.phone,
                ethnicity=person.ethnicity,
                household=household,
                relation_to_head=person.relation,
                population_type=person.population_type,
                separated=person.separated,
                political_status=person.political_status,
                data_source=data_source,
                verified_date=person.verified_date,
            )
            if created_at is not None:
                resident.created_at = created_at()
            residents.append(resident)
            resident_of[id(person)] = resident
    # bulk_create runs each field's pre_save: ID numbers and phones are normalised,
    # encrypted, and their blind-index hashes filled, as with save().
    Resident.objects.bulk_create(residents, batch_size=batch)
    return households, household_plans, resident_of


def _registry(
    rng: random.Random, today: date, communities: list[Region], grids: list[Grid], tag_defs
) -> None:
    planner = _StreetPlanner(rng, today)
    planner.street()
    grid_of = {
        (index, number): grids[index * 5 + number]
        for index in range(len(COMMUNITIES))
        for number in range(5)
    }

    buildings = [
        Building(
            community=communities[plan.community],
            grid=grid_of[(plan.community, plan.grid)] if plan.grid is not None else None,
            name=plan.name,
            address=plan.address,
        )
        for plan in planner.buildings
    ]
    Building.objects.bulk_create(buildings, batch_size=BATCH)

    households, household_plans, resident_of = write_registry(
        buildings, planner.buildings, batch=BATCH, data_source="demo"
    )

    for household, plan in zip(households, household_plans, strict=True):
        household.head = resident_of[id(plan.members[0])]
    Household.objects.bulk_update(households, ["head"], batch_size=BATCH)

    ResidentTag.objects.bulk_create(
        [
            ResidentTag(resident=resident_of[id(person)], tag=tag_defs[code], **extra)
            for person, code, extra in _tag_plan(rng, household_plans, today)
        ],
        batch_size=BATCH,
    )


def _staff(users: dict, communities: list[Region], grids: list[Grid]) -> None:
    community_cadre = users.get("community")
    if community_cadre is not None:
        granted = RegionUserObjectPermission.objects.filter(
            user=community_cadre,
            content_object=communities[0],
            permission__codename="work_in_region",
        ).exists()
        if not granted:
            region_staff_grant(actor=None, person=community_cadre, region=communities[0])
    plan = [
        ("leader", grids[0], GridAssignment.Post.LEADER),
        ("leader", grids[1], GridAssignment.Post.LEADER),
        ("worker", grids[0], GridAssignment.Post.FULL_TIME),
        ("worker2", grids[5], GridAssignment.Post.FULL_TIME),  # first grid of the second community
    ]
    for username, grid, post in plan:
        if username in users:
            grid_assign(
                actor=None, person=users[username], grid=grid, post=post, start_date=GRIDS_FROM
            )
    _more_grid_workers(grids, skip={0, 5, 9, 17})


def _more_grid_workers(grids: list[Grid], *, skip: set[int]) -> None:
    """Full-time workers for most other grids, so the coverage report shows a few real gaps.

    These colleagues have no usable password (the demo accounts above are the ones to log in
    with); grids at the indexes in `skip` are left without their own worker on purpose.
    """
    rng = random.Random(f"grid-workers-{len(grids)}")
    for index, grid in enumerate(grids):
        if index in skip:
            continue
        username = f"gw{grid.code[-6:]}"
        user = User.objects.filter(username=username).first()
        if user is None:
            sex = rng.choice(["female", "female", "male"])
            surname = _weighted(rng, names.LOCAL_SURNAMES)
            user = User(
                username=username,
                role=Role.GRID_WORKER,
                full_name=surname + _given_name(rng, sex, 1985),
            )
            user.set_unusable_password()
            user.save()
        grid_assign(
            actor=None,
            person=user,
            grid=grid,
            post=GridAssignment.Post.FULL_TIME,
            start_date=GRIDS_FROM,
        )


def _visits(rng: random.Random, users: dict, grids: list[Grid]) -> None:
    """A visiting history for everyone on a cadence: most on time, some due soon, some overdue.

    Visits are dated relative to now, so the "visits due" list always has work on it: about one
    in five residents of the demo workers' grids is overdue, a few elsewhere, and a few had a
    major event at their last visit.
    """
    if "worker" not in users:
        return
    now = timezone.now()
    visitors = {
        a.grid_id: a.person
        for a in GridAssignment.objects.filter(
            grid__in=grids, post=GridAssignment.Post.FULL_TIME, end_date__isnull=True
        ).select_related("person")
    }
    fallback = users.get("community") or users["worker"]
    demo_grids = {grids[0].pk, grids[5].pk}
    on_cadence = residents_with_due(Resident.objects.filter(household__grid__in=grids)).values_list(
        "pk", "household_id", "household__grid_id", "visit_interval"
    )
    visits = []
    for pk, household_id, grid_id, interval in on_cadence.order_by("pk"):
        roll = rng.random()
        # The demo accounts' grids carry a backlog to work through; elsewhere a few stragglers
        # in some grids only, so the coverage map shows both green and red.
        backlog = 0.2 if grid_id in demo_grids else (0.05 if grid_id % 3 == 0 else 0.0)
        if roll < backlog:
            age = interval * (1.1 + rng.random())  # overdue
        elif roll < backlog + 0.15:
            age = interval - timedelta(hours=rng.randint(6, 60))  # due within the next days
        else:
            age = interval * rng.uniform(0.1, 0.8)
        major_event = "hospital" if rng.random() < 0.02 else ""
        if major_event:
            age = timedelta(
                hours=rng.randint(2, 20)
            )  # back from hospital: the 24-hour follow-up is due
        visits.append(
            Visit(
                household_id=household_id,
                resident_id=pk,
                visitor=visitors.get(grid_id, fallback),
                mode=rng.choice(["home", "home", "home", "phone", "video"]),
                visited_at=now - age,
                findings=rng.choice(
                    [
                        "身体状况良好",
                        "生活能自理，已提醒注意防滑",
                        "独自在家，精神尚可",
                        "家属在场，沟通顺利",
                    ]
                ),
                major_event=major_event,
            )
        )
    Visit.objects.bulk_create(visits, batch_size=BATCH)


def load(ctx: dict) -> None:
    """Write the street and its visits once; ensure tag definitions and staff posts every time."""
    rng = random.Random(ctx["seed"])  # reproducible, not secret (S311 is off for portal/demo)
    today = ctx.get("today") or date.today()
    with transaction.atomic():
        city, street, communities, grids = _regions_and_grids()
        tag_defs = _tag_defs()
        if not Building.objects.filter(community__in=communities).exists():
            _registry(rng, today, communities, grids, tag_defs)
        _staff(ctx.get("users") or {}, communities, grids)
        if not Visit.objects.filter(household__grid__in=grids).exists():
            _visits(rng, ctx.get("users") or {}, grids)
    ctx.update(city=city, street=street, communities=communities, grids=grids, tags=tag_defs)
