"""A county-level city at district scale, for load tests (`manage.py generate_district`).

The city has several streets (街道); each street five to nine communities; each community four
to nine base grids of 150–500 households (never over the grid's cap) and a dedicated grid
(a school, hospital or market with a few staff households). Households, people, ages, names,
ID numbers, phones and 一老一幼一特 tags come from the demo street's generators (registry.py),
so they look like 温州: ~2.6 residents a household, a fifth over sixty, renters from other
provinces. Every grid but a few has a full-time grid worker (an account without a usable
password), and residents on a visiting cadence have a history of visits: most on time, some
overdue, some never visited — realistic input for grids/cadence.py.

Fast at city scale (a million residents in minutes on two cores): each community is planned
in Python, then written set-wise — its grids, buildings and workers through the ORM (a few
hundred rows), its dwellings, households, residents, tags and visits as plain rows with
`COPY` (PostgreSQL; one INSERT per table elsewhere). Primary keys come from the tables' own
sequences in one query per table, so a household names its head before either row is written
(the foreign keys are checked at commit). ID numbers and phones are sealed with
portal.crypto and their blind-index hashes filled exactly as the model field does on save.
Memory stays bounded: only the community being written is held, plus one compact set of the
ID numbers and phones already issued. The whole run is one transaction: a failed run leaves
nothing behind.

Safe to run again: a city that already has streets is refused unless --append, which adds new
streets after the existing ones; --city-code makes another city. ID numbers already in the
database are never issued twice, whatever the city. --seed makes the run reproducible (on the
same day: ages count from today). The command (portal/management/commands/generate_district.py)
asks for --force with DEBUG off: made-up people have no place in a real registry.
"""

import io
import json
import random
import re
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from grids.models import (
    Building,
    Dwelling,
    Grid,
    GridAssignment,
    Household,
    Region,
    Resident,
    ResidentTag,
    Visit,
)
from grids.writes import grid_assign
from portal.crypto import encrypt
from portal.demo import names, registry
from portal.models import User
from portal.roles import Role
from portal.validators import citizen_id_make, citizen_id_normalize, mobile_normalize

BATCH = 2000
GRIDS_FROM = date(2024, 1, 1)
DEFAULT_CITY_CODE = "330382"
CITY_NAMES = {"330381": "瑞安市", "330382": "乐清市", "330383": "龙港市"}

# fmt: off
STREET_WORDS = [
    "城东", "城南", "城西", "城北", "乐成", "白石", "石帆", "天成", "盐盆", "翁垟", "东山", "新城",
    "江滨", "锦湖", "安阳", "玉海", "云周", "潘岱", "上望", "莘塍", "汀田", "飞云", "仙降", "南滨",
]
COMMUNITY_WORDS = [
    "东门", "西门", "南门", "北门", "湖滨", "江滨", "锦绣", "新华", "人民", "解放", "虹桥", "清江",
    "柳川", "望江", "凤凰", "万松", "松鹤", "梅园", "桂园", "兰亭", "华侨", "前进", "胜利", "和平",
    "长安", "丰和", "宝瑞", "瑞丰", "龙山", "云江", "塘下", "海城", "林垟", "阁巷", "新湖", "金丰",
    "双桥", "石马", "白鹭", "翠微", "芙蓉", "雁荡", "丹霞", "玉苍", "月湖", "荷花", "桃源", "杏林",
    "乐湖", "盘谷", "仙溪", "清和", "永安", "康宁", "福泽", "嘉禾", "银泰", "宁康", "晨光", "东瓯",
]
ESTATE_SUFFIXES = ["新村", "花园", "小区", "苑", "家园", "嘉园", "公寓", "名苑", "雅苑", "华庭"]
ROAD_SUFFIXES = ["路", "街", "大道", "巷"]
DEDICATED_SITES = ["中学", "实验小学", "人民医院", "农贸市场", "商业街", "工业园", "养老院", "客运站"]
NUMERALS = "一二三四五六七八九十"
# County codes (GB/T 2260) of where most people who moved to 温州 come from: 贵州, 江西, 安徽,
# 河南, 四川, 湖北, 湖南, 云南, 重庆, 福建.
ORIGIN_AREA_CODES = [
    "522601", "522427", "520221", "522323", "362330", "360724", "361127", "342222", "341221",
    "341623", "412724", "411527", "411425", "511381", "511622", "513721", "421087", "422822",
    "431102", "431224", "530381", "532128", "500229", "500236", "350583", "350628",
]
FINDINGS = [
    "身体状况良好，生活能自理。", "血压偏高，已提醒按时服药。", "家中整洁，子女每周回来探望。",
    "腿脚不便，行动需人搀扶。", "情绪稳定，参加社区老年活动。", "居家安全检查无隐患。",
    "反映楼道灯损坏，已报物业。", "孩子在校表现良好，监护人在家。", "低保材料已协助递交。",
    "近期感冒，已就医，恢复中。", "独自在家，已约定每日电话问候。", "煤气灶老化，建议更换。",
]
# fmt: on
VISIT_MODES = {
    Visit.Mode.HOME: 70,
    Visit.Mode.PHONE: 20,
    Visit.Mode.VIDEO: 3,
    Visit.Mode.THIRD_PARTY: 3,
    Visit.Mode.OFFICE: 4,
}
# The state of a household's visiting at generation time (shares of households on a cadence).
VISIT_STATES = {"on_time": 72, "overdue": 18, "never": 10}
TAG_TIERS = {code: tier for code, _name, _group, tier, _age in registry.TAG_DEFS}


def _numeral(number: int) -> str:
    """Chinese numeral for 1–99 (第十二网格)."""
    tens, ones = divmod(number, 10)
    if number <= 10:
        return NUMERALS[number - 1]
    return (NUMERALS[tens - 1] if tens > 1 else "") + "十" + (NUMERALS[ones - 1] if ones else "")


class _Names:
    """Names of streets, communities, estates and roads, unique where they must be."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def _unique(self, words: list[str], suffixes: list[str]) -> str:
        for _attempt in range(50):
            name = self.rng.choice(words) + self.rng.choice(suffixes)
            if name not in self.used:
                self.used.add(name)
                return name
        number = 2
        while f"{name}{number}" in self.used:
            number += 1
        self.used.add(f"{name}{number}")
        return f"{name}{number}"

    def street(self) -> str:
        return self._unique(STREET_WORDS, ["街道"])

    def community(self) -> str:
        return self._unique(COMMUNITY_WORDS, ["社区"])

    def estate(self) -> str:
        return self._unique(COMMUNITY_WORDS, ESTATE_SUFFIXES)

    def road(self) -> str:
        return self._unique(COMMUNITY_WORDS, ROAD_SUFFIXES)


class _CompactSet:
    """A set of ID numbers, phones or blind-index hashes kept as integers: a tenth of the
    memory of the strings at a million residents, with the same answers. ID numbers keep their
    first 17 digits (the 18th is their check character), phones their 11 digits, hashes their
    first 64 bits (a false match only makes the planner draw another number)."""

    def __init__(self, key: Callable[[str], int], values: Iterable[str] = ()):
        self.key = key
        self.keys = {key(value) for value in values}

    def __contains__(self, value: str) -> bool:
        return self.key(value) in self.keys

    def add(self, value: str) -> None:
        self.keys.add(self.key(value))


def _id_number_key(number: str) -> int:
    return int(number[:17])


def _hash_key(digest: str) -> int:
    return int(digest[:16], 16)


class _DistrictPlanner(registry._StreetPlanner):
    """The demo street's planner, with the generated city's household numbers and ID numbers.

    Households are numbered after the community being written (the demo numbers them after its
    own four); `_finish_person()` keeps the demo's people and replaces their ID number: locals
    carry the city's area code, migrants their home county's, and numbers already in the
    database (hashes in `taken_hashes`) are never issued again. `id_hashes` keeps each planned
    person's blind-index hash (by id(person)) for the writer, which empties it per community.
    """

    def __init__(self, rng: random.Random, today: date, *, city_code: str, taken_hashes):
        super().__init__(rng, today)
        self.used_ids = _CompactSet(_id_number_key)
        self.used_phones = _CompactSet(int)
        self.city_code = city_code
        self.taken_hashes = taken_hashes
        self.id_hashes: dict[int, str] = {}
        self.id_hash = Resident._meta.get_field("id_number").hash_of
        self.community_code = ""
        self.address_prefix = ""
        self.sequence = 0
        self.area_code = city_code
        self.household_plan = None

    def _household_number(self, community: int) -> str:
        self.sequence += 1
        return f"HH{self.community_code}{self.sequence:06d}"

    def _finish_person(self, person, household, local, migrant_type) -> None:
        if household is not self.household_plan:  # its first member: where the family is from
            self.household_plan = household
            self.area_code = self.city_code if local else self.rng.choice(ORIGIN_AREA_CODES)
        super()._finish_person(person, household, local, migrant_type)
        while True:
            sequence = self.rng.randrange(0, 500) * 2 + (1 if person.sex == "male" else 0)
            number = citizen_id_make(
                area_code=self.area_code, birth_date=person.birth_date, sequence=sequence
            )
            digest = self.id_hash(number)  # a number issued in this run has its hash taken too
            if digest in self.taken_hashes:
                continue
            self.taken_hashes.add(digest)
            self.id_hashes[id(person)] = digest
            person.id_number = number
            return

    def _building(self, building: registry.BuildingPlan) -> registry.BuildingPlan:
        building.address = f"{self.address_prefix}{building.name}"
        return building

    def fill_grid(
        self, *, estate: str, road: str | None, target: int, room_for: int
    ) -> tuple[list[registry.BuildingPlan], int]:
        """Buildings holding `target` households (estate blocks and street houses), stopping
        early once `room_for` residents are placed. Returns the buildings and residents placed.

        Follows the demo's `_StreetPlanner.grid()`, with our own names and the residents' limit.
        """
        rng = self.rng
        buildings: list[registry.BuildingPlan] = []
        estate_no, road_no, households, residents = 0, rng.choice([1, 2]), 0, 0
        while households < target and residents < room_for:
            if road and rng.random() < 0.35:
                road_no += rng.choice([2, 2, 4])
                building = self._building(self.street_house(0, 0, road, road_no))
            else:
                estate_no += 1
                building = self._building(self.estate_building(0, 0, estate, estate_no))
            for count, dwelling in enumerate(building.dwellings):
                if households >= target or residents >= room_for:
                    del building.dwellings[count:]  # the grid's last building is a small one
                    break
                self._occupy(0, dwelling)
                if dwelling.household is not None:
                    members = dwelling.household.members
                    del members[room_for - residents :]  # the very last household may be cut
                    households += 1
                    residents += len(members)
            if building.dwellings:
                buildings.append(building)
        return buildings, residents


class DistrictRefused(Exception):
    """The city cannot take the run as asked; nothing was written."""


def district_generate(
    *,
    residents: int,
    seed: int = 20261128,
    city_code: str = DEFAULT_CITY_CODE,
    city_name: str = "",
    append: bool = False,
    batch: int = BATCH,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Add `residents` made-up residents to the city in new streets, in one transaction.

    Returns the totals (streets, communities, grids, households, residents, tags, visits,
    workers) and the `city`. `progress(line)` hears one line per community written. Raises
    DistrictRefused for a city that already has streets (unless `append`), a region that is not
    a city, or a city without street codes left.
    """
    district = _District(batch=max(1, batch), progress=progress)
    with transaction.atomic():
        city = _city(city_code, city_name)
        streets = Region.objects.filter(parent=city, level=Region.Level.STREET)
        if streets.exists() and not append:
            held = Resident.objects.filter(household__grid__community__parent__parent=city)
            raise DistrictRefused(
                f"{city.name} ({city.code}) already has {streets.count()} street(s) and "
                f"{held.count():,} residents. Use --append to add streets to it, or "
                "--city-code to generate another city."
            )
        first_street = 1 + max(
            (int(code[6:9]) for code in streets.values_list("code", flat=True)), default=0
        )
        district.generate(city, first_street=first_street, residents=residents, seed=seed)
    _analyze()
    return {**district.totals, "city": city}


def _city(code: str, name: str) -> Region:
    city, _created = Region.objects.get_or_create(
        code=code,
        defaults={
            "name": name or CITY_NAMES.get(code, f"{code}市"),
            "level": Region.Level.CITY,
        },
    )
    if city.level != Region.Level.CITY:
        raise DistrictRefused(f"region {code} is a {city.level}, not a county-level city")
    return city


def _analyze() -> None:
    """Fresh planner statistics after a bulk load, so searches pick their indexes at once."""
    if connection.vendor != "postgresql":
        return
    tables = [
        model._meta.db_table
        for model in (Building, Dwelling, Household, Resident, ResidentTag, Visit)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")


ID_NUMBER_CONTEXT = Resident._meta.get_field("id_number").context
PHONE_CONTEXT = Resident._meta.get_field("phone").context

# The columns `_District._write` gives for each table written as rows, in its rows' order
# (attnames, the id first); every other column takes its field's default (see `_Rows`).
_ROW_COLUMNS = {
    Dwelling: ["id", "building_id", "unit", "room", "use"],
    Household: ["id", "number", "kind", "dwelling_id", "grid_id", "head_id", "updated_at"],
    Resident: [
        "id",
        "name",
        "id_type",
        "id_number",
        "id_number_hash",
        "sex",
        "birth_date",
        "phone",
        "phone_hash",
        "ethnicity",
        "household_id",
        "relation_to_head",
        "population_type",
        "separated",
        "political_status",
        "data_source",
        "verified_date",
        "created_at",
        "updated_at",
    ],
    ResidentTag: [
        "id",
        "resident_id",
        "tag_id",
        "source",
        "valid_from",
        "valid_to",
        "certificate_number",
        "grade",
        "updated_at",
    ],
    Visit: [
        "id",
        "household_id",
        "resident_id",
        "visitor_id",
        "mode",
        "visited_at",
        "findings",
        "risk_flags",
        "major_event",
        "created_at",
        "updated_at",
    ],
}

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_UNSAFE = re.compile(r"[\\\t\n\r]")


def _copy_text(value) -> str:
    """One value in COPY's text format, escaped."""
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return _copy_plain(value).translate(_COPY_ESCAPES) if value is not None else "\\N"


def _copy_plain(value) -> str:
    """A value as COPY's text format reads it, before escaping."""
    if isinstance(value, str):  # a str subclass, such as a TextChoices member
        return value
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, date):  # and datetime: ISO 8601, with the offset of an aware time
        return value.isoformat()
    if isinstance(value, list | dict):  # a JSON column
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"no COPY text for {type(value).__name__}")


def _copy_line(row: tuple) -> str:
    """A row in COPY's text format. Escaping every string costs more than the rest of the
    line; one search over the row's strings (and JSON) finds the rare row that needs it."""
    texts = [value if value.__class__ is str else _copy_plain(value) for value in row]
    if _COPY_UNSAFE.search(
        "".join([text for value, text in zip(row, texts, strict=True) if value is not None])
    ):
        texts = [_copy_text(value) for value in row]
    return "\t".join(texts)


def _sql_value(value):
    """One value for an INSERT on another database (SQLite): as Django's backend stores it."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


class _Rows:
    """Rows of one table, written in one statement: COPY on PostgreSQL, an INSERT elsewhere.

    Each row gives `columns` (attnames, "id" first) as the database stores them: encrypted
    fields sealed, hashes filled. Every other concrete field takes its default, computed once;
    a field whose default differs from row to row (a callable such as timezone.now, auto_now)
    must be among `columns`, so a field added to the model later fails here at once instead
    of being written wrong.
    """

    def __init__(self, model: type[models.Model], columns: list[str]):
        fields = {field.attname: field for field in model._meta.concrete_fields}
        if unknown := set(columns) - set(fields):
            raise ValueError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
        self.table = model._meta.db_table
        self.names = [fields[name].column for name in columns]
        defaults = []
        for name, field in fields.items():
            if name in columns:
                continue
            if (
                getattr(field, "auto_now", False)
                or getattr(field, "auto_now_add", False)
                or (field.has_default() and callable(field.default))
            ):
                raise ValueError(f"{model.__name__}.{name} has a default per row: give it")
            self.names.append(field.column)
            defaults.append(field.get_db_prep_save(field.get_default(), connection))
        self.defaults = tuple(defaults)
        self.rows: list[tuple] = []
        self.next_id = None  # databases without sequences (SQLite): the next free id

    def ids(self, count: int) -> list[int]:
        """`count` new primary keys, from the table's own sequence (one query)."""
        if count == 0:
            return []
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.table, count],
                )
                return sorted(row[0] for row in cursor.fetchall())
            if self.next_id is None:  # one writer: the run holds the transaction
                table = connection.ops.quote_name(self.table)
                cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608 - our table
                self.next_id = (cursor.fetchone()[0] or 0) + 1
        first, self.next_id = self.next_id, self.next_id + count
        return list(range(first, first + count))

    def add(self, row: tuple) -> None:
        self.rows.append(row)

    def write(self) -> None:
        """Write the rows added since the last write, and forget them."""
        if not self.rows:
            return
        quote = connection.ops.quote_name
        columns = ", ".join(quote(name) for name in self.names)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                tail = "".join("\t" + _copy_text(value) for value in self.defaults) + "\n"
                text = io.StringIO()
                text.writelines(_copy_line(row) + tail for row in self.rows)
                text.seek(0)
                cursor.copy_expert(f"COPY {quote(self.table)} ({columns}) FROM STDIN", text)
            else:
                marks = ", ".join(["%s"] * len(self.names))
                cursor.executemany(
                    f"INSERT INTO {quote(self.table)} ({columns}) VALUES ({marks})",  # noqa: S608
                    [tuple(map(_sql_value, row + self.defaults)) for row in self.rows],
                )
        self.rows.clear()


class _District:
    """One run: plans the city community by community and writes each in bulk."""

    def __init__(self, *, batch: int, progress: Callable[[str], None] | None):
        self.batch = batch
        self.progress = progress

    # --- the city, street by street ------------------------------------------------------

    def generate(self, city: Region, *, first_street: int, residents: int, seed: int) -> None:
        # A string seed is hashed deterministically; appending draws other people than the
        # first run did.
        self.rng = rng = random.Random(
            f"{seed}:{city.code}:{first_street}"
        )  # reproducible, not secret
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.names = _Names(rng)
        self.names.used.update(
            Region.objects.filter(code__startswith=city.code).values_list("name", flat=True)
        )
        self.tag_defs = registry._tag_defs()
        self.phone_hash = Resident._meta.get_field("phone").hash_of
        self.planner = _DistrictPlanner(
            rng,
            self.today,
            city_code=city.code,
            taken_hashes=_CompactSet(
                _hash_key,
                Resident.objects.exclude(id_number_hash="")
                .values_list("id_number_hash", flat=True)
                .iterator(chunk_size=20_000),
            ),
        )
        self.tables = {model: _Rows(model, columns) for model, columns in _ROW_COLUMNS.items()}
        self.started = time.monotonic()
        self.target = residents
        self.totals = dict.fromkeys(
            [
                "streets",
                "communities",
                "grids",
                "households",
                "residents",
                "tags",
                "visits",
                "workers",
            ],
            0,
        )
        number = first_street
        while self.totals["residents"] < residents:
            if number > 999:
                raise DistrictRefused(f"{city.name} has no street codes left")
            street = Region.objects.create(
                code=f"{city.code}{number:03d}000",
                name=self.names.street(),
                level=Region.Level.STREET,
                parent=city,
            )
            self.totals["streets"] += 1
            for index in range(1, rng.randint(5, 9) + 1):
                if self.totals["residents"] >= residents:
                    break
                community = Region.objects.create(
                    code=f"{street.code[:9]}{index:03d}",
                    name=self.names.community(),
                    level=Region.Level.COMMUNITY,
                    parent=street,
                )
                self._community(city, street, community)
            number += 1

    def _community(self, city: Region, street: Region, community: Region) -> None:
        rng, planner = self.rng, self.planner
        planner.community_code = community.code
        planner.address_prefix = f"{city.name}{street.name}"
        planner.sequence = 0
        plans = []  # (Grid, [BuildingPlan])
        base_grids = rng.randint(4, 9)
        for number in range(1, base_grids + 2):
            room_for = self.target - self.totals["residents"]
            if room_for <= 0:
                break
            if number <= base_grids:
                cap = rng.choice([300, 300, 400, 500])
                target = rng.randint(max(150, int(cap * 0.55)), cap)
                grid = Grid(
                    code=f"{community.code}{number:03d}",
                    community=community,
                    name=f"{community.name}第{_numeral(number)}网格",
                    kind=Grid.Kind.BASE,
                    household_cap=cap,
                    valid_from=GRIDS_FROM,
                )
                estate, road = self.names.estate(), self.names.road()
            else:  # the dedicated grid: a school, hospital or market, and its staff housing
                site = rng.choice(DEDICATED_SITES)
                cap, target = 150, rng.randint(0, 60)
                grid = Grid(
                    code=f"{community.code}{number:03d}",
                    community=community,
                    name=f"{community.name}{site}专属网格",
                    kind=Grid.Kind.DEDICATED,
                    household_cap=cap,
                    valid_from=GRIDS_FROM,
                )
                estate, road = f"{community.name.removesuffix('社区')}{site}宿舍", None
            buildings, placed = planner.fill_grid(
                estate=estate, road=road, target=target, room_for=room_for
            )
            self.totals["residents"] += placed
            plans.append((grid, buildings))
        self._write(community, plans)
        self.totals["communities"] += 1
        if self.progress is not None:
            elapsed = time.monotonic() - self.started
            done = self.totals["residents"]
            self.progress(
                f"  {street.name} {community.name}: {len(plans)} grids · "
                f"{done:,}/{self.target:,} residents ({100 * done / self.target:.0f}%) · "
                f"{elapsed:.1f}s"
            )

    # --- writing one community -----------------------------------------------------------

    def _write(self, community: Region, plans) -> None:
        batch, rng, now = self.batch, self.rng, self.now
        grids = Grid.objects.bulk_create([grid for grid, _buildings in plans], batch_size=batch)
        self.totals["grids"] += len(grids)

        buildings, building_plans = [], []
        for grid, plan_list in plans:
            for plan in plan_list:
                buildings.append(
                    Building(community=community, grid=grid, name=plan.name, address=plan.address)
                )
                building_plans.append(plan)
        Building.objects.bulk_create(buildings, batch_size=batch)

        dwellings, households, residents, tags, visits = (
            self.tables[model] for model in (Dwelling, Household, Resident, ResidentTag, Visit)
        )
        planned = [
            (building, item)
            for building, plan in zip(buildings, building_plans, strict=True)
            for item in plan.dwellings
        ]
        occupied = []  # (household id, grid id, HouseholdPlan)
        for (building, item), dwelling_id in zip(planned, dwellings.ids(len(planned)), strict=True):
            dwellings.add((dwelling_id, building.pk, item.unit, item.room, item.use))
            if item.household is not None:
                occupied.append((dwelling_id, building.grid_id, item.household))
        household_ids = households.ids(len(occupied))
        resident_ids = iter(residents.ids(sum(len(plan.members) for *_, plan in occupied)))
        # id(planned person) -> (resident id, registered at)
        resident_of: dict[int, tuple[int, datetime]] = {}
        for household_id, (dwelling_id, grid_id, plan) in zip(household_ids, occupied, strict=True):
            head = None
            for person in plan.members:
                pk = next(resident_ids)
                registered = now - timedelta(days=rng.randint(200, 1000))
                resident_of[id(person)] = (pk, registered)
                if head is None and person.relation == "户主":
                    head = pk  # every household's first member is its head (户主)
                residents.add(self._resident_row(pk, household_id, person, registered))
            households.add((household_id, plan.number, plan.kind, dwelling_id, grid_id, head, now))
        self.totals["households"] += len(occupied)

        intervals: dict[int, int] = {}  # id(person) -> shortest visit interval in days
        household_plans = [plan for *_, plan in occupied]
        planned_tags = registry._tag_plan(rng, household_plans, self.today)
        for (person, code, extra), pk in zip(
            planned_tags, tags.ids(len(planned_tags)), strict=True
        ):
            tags.add(
                (
                    pk,
                    resident_of[id(person)][0],
                    self.tag_defs[code].pk,
                    extra["source"],
                    extra["valid_from"],
                    extra.get("valid_to"),
                    extra.get("certificate_number", ""),
                    extra.get("grade"),
                    now,
                )
            )
            if TAG_TIERS[code] not in settings.VISIT_INTERVAL_DAYS:
                continue  # a tag of tier "none" (the broad age bands) sets no cadence
            days = settings.VISIT_INTERVAL_DAYS[TAG_TIERS[code]]
            intervals[id(person)] = min(days, intervals.get(id(person), days))
        self.totals["tags"] += len(planned_tags)

        workers = self._workers([grid for grid, _buildings in plans])
        planned_visits = []
        for household_id, (_dwelling_id, grid_id, plan) in zip(
            household_ids, occupied, strict=True
        ):
            worker = workers.get(grid_id)
            cadenced = [
                (*resident_of[id(person)], intervals[id(person)])
                for person in plan.members
                if id(person) in intervals
            ]
            if worker is not None and cadenced:
                planned_visits.extend(self._visits(household_id, cadenced, worker.pk))
        for row, pk in zip(planned_visits, visits.ids(len(planned_visits)), strict=True):
            visits.add((pk, *row))
        self.totals["visits"] += len(planned_visits)

        for table in (dwellings, households, residents, tags, visits):
            table.write()
        self.planner.id_hashes.clear()

    def _resident_row(self, pk: int, household_id: int, person, registered: datetime) -> tuple:
        """A resident's row as the model field would store it on save: ID number and phone
        normalised and sealed, their blind-index hashes filled (`EncryptedCharField.pre_save`)."""
        id_number = citizen_id_normalize(person.id_number)
        id_hash = self.planner.id_hashes.get(id(person)) or self.planner.id_hash(id_number)
        phone = mobile_normalize(person.phone) if person.phone else ""
        return (
            pk,
            person.name,
            Resident.IdType.CITIZEN_ID,
            encrypt(id_number, context=ID_NUMBER_CONTEXT),
            id_hash,
            person.sex,
            person.birth_date,
            encrypt(phone, context=PHONE_CONTEXT) if phone else "",
            self.phone_hash(phone) if phone else "",
            person.ethnicity,
            household_id,
            person.relation,
            person.population_type,
            person.separated,
            person.political_status,
            "generate_district",
            person.verified_date,
            registered,
            self.now,
        )

    def _workers(self, grids: list[Grid]) -> dict[int, object]:
        """A full-time grid worker for every grid but a few (a vacant post is a coverage gap)."""
        rng = self.rng
        staffed = [grid for grid in grids if rng.random() >= 0.03]
        users = []
        for grid in staffed:
            sex = rng.choice(["male", "female"])
            surname = registry._weighted(rng, names.LOCAL_SURNAMES)
            birth_year = self.today.year - rng.randint(24, 50)
            users.append(
                User(
                    username=f"gw{grid.code}",
                    role=Role.GRID_WORKER,
                    full_name=surname + registry._given_name(rng, sex, birth_year),
                    password=make_password(None),  # no usable password until an admin sets one
                )
            )
        User.objects.bulk_create(users, batch_size=self.batch)
        for grid, user in zip(staffed, users, strict=True):
            grid_assign(
                actor=None,
                person=user,
                grid=grid,
                post=GridAssignment.Post.FULL_TIME,
                start_date=GRIDS_FROM,
            )
        self.totals["workers"] += len(users)
        return {grid.pk: user for grid, user in zip(staffed, users, strict=True)}

    def _visits(self, household_id: int, cadenced, worker_id: int) -> list[tuple]:
        """A household's visiting history: on time, overdue, or never visited.

        `cadenced`: (resident id, registered at, interval in days) of its residents on a
        cadence. The household is visited as a whole, or each of them on the same day; the
        latest visit sits before or after the household's shortest interval from now. Rows in
        the order of `_ROW_COLUMNS[Visit]`, without their id.
        """
        rng, now = self.rng, self.now
        state = registry._weighted(rng, VISIT_STATES)
        if state == "never":
            return []
        interval = min(days for _resident, _registered, days in cadenced)
        if state == "on_time":
            age = interval * rng.uniform(0.05, 0.95)
        else:
            age = interval * rng.uniform(1.05, 2.5)
        registered = min(registered for _resident, registered, _days in cadenced)
        whole_household = len(cadenced) > 1 and rng.random() < 0.4
        visits = []
        for number in range(rng.randint(1, 4)):
            when = self._daytime(
                now - timedelta(days=age + number * interval * rng.uniform(0.8, 1.0))
            )
            if when < registered:
                break
            major_event = ""
            if number == 0 and rng.random() < 0.015:
                major_event = rng.choice(["hospital", "bereavement", "accident"])
            risk_flags = [rng.choice(Visit.RiskFlag.values)] if rng.random() < 0.05 else []
            mode = registry._weighted(rng, VISIT_MODES)
            findings = rng.choice(FINDINGS)
            created_at = min(now, when + timedelta(minutes=rng.randint(5, 600)))
            common = (worker_id, mode, when, findings, risk_flags, major_event, created_at, now)
            if whole_household:
                visits.append((household_id, None, *common))
            else:
                visits.extend(
                    (household_id, resident, *common) for resident, _registered, _days in cadenced
                )
        return visits

    def _daytime(self, moment):
        """The same day between 8:00 and 18:00 local time, never in the future."""
        local = timezone.localtime(moment).replace(
            hour=self.rng.randint(8, 17), minute=self.rng.randint(0, 59), second=0, microsecond=0
        )
        while local > self.now:
            local -= timedelta(days=1)
        return local
