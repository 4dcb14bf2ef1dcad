"""Households and residents from a spreadsheet: the layout and the check.

`COLUMNS` is the one description of the spreadsheet: the upload page, the template download
and docs/modules/grids-import.md all show it (a test keeps the doc in step with it). One row
per resident; a household's columns repeat on each of its members' rows.

Reading the file, row errors and the template workbook are the spreadsheet kit's
(portal/spreadsheets.py). `import_check()` is pure: it reads the database inside the
uploader's scope and returns an `ImportPlan` — what would be created and what updated, and
every bad row as (row number as the spreadsheet shows it, column header, reason). Writing a
plan is the job of grids.writes.imports, which calls the check again inside its transaction.

Matching: residents by the blind index of their ID number, households by 户号, buildings by
(community, name), dwellings by (building, unit, room). Anything that exists but lies outside
the uploader's scope is an error for that row that says nothing about it ("no such grid",
"this ID number cannot be imported here"). An empty optional cell leaves an existing value
as it is, so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models import Building, Dwelling, Grid, Household, ImportJob, Resident
from portal import spreadsheets
from portal.spreadsheets import (
    Column,
    RowError,
    SheetCheck,
    SheetRow,
    chunks,
    error_report,
)
from portal.validators import (
    citizen_id_birth_date,
    citizen_id_normalize,
    citizen_id_sex,
    mobile_normalize,
    validate_citizen_id,
    validate_citizen_id_matches,
    validate_mobile,
)

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024  # settings.IMPORT_MAX_BYTES overrides it
MAX_REPORTED_ERRORS = 10_000  # a report keeps this many errors (and the total count)
PROGRESS_EVERY = 500  # rows between progress reports
# A job in these states is still working: its page shows the progress bar.
RUNNING = frozenset(
    {ImportJob.Status.UPLOADED, ImportJob.Status.CHECKING, ImportJob.Status.COMMITTING}
)


# --- The layout -------------------------------------------------------------------------


COLUMNS: tuple[Column, ...] = (
    Column(
        "household_number",
        "户号",
        True,
        gettext_lazy(
            "Up to 32 characters. Rows with the same 户号 are one household: repeat its "
            "columns (户号 to 房屋用途) on every member's row."
        ),
        "330381008001-0001",
    ),
    Column(
        "grid_code",
        "网格编码",
        True,
        gettext_lazy("The 15-digit code of a grid you work in."),
        "330381008001001",
    ),
    Column(
        "household_kind",
        "户类型",
        False,
        gettext_lazy("户籍户 or 居住户; a new household without one is a 户籍户."),
        "户籍户",
    ),
    Column(
        "building",
        "楼栋",
        False,
        gettext_lazy(
            "The building's name, unique within the community; a new one is placed in the "
            "row's grid. Empty: no dwelling is recorded for the household."
        ),
        "江滨花园3幢",
    ),
    Column(
        "address",
        "地址",
        False,
        gettext_lazy(
            "The building's address, used when the building is new; empty means the "
            "building's name."
        ),
        "瑞安市南滨街道江滨路88号3幢",
    ),
    Column("unit", "单元", False, gettext_lazy("Up to 16 characters."), "2"),
    Column(
        "room",
        "室号",
        False,
        gettext_lazy("Up to 16 characters."),
        "301",
        required_when=gettext_lazy("When 楼栋 is filled"),
    ),
    Column(
        "dwelling_use",
        "房屋用途",
        False,
        gettext_lazy("自住, 出租, 空置 or 经营; used when the dwelling is new (default 自住)."),
        "自住",
    ),
    Column("name", "姓名", True, gettext_lazy("Up to 64 characters."), "王秀英"),
    Column(
        "id_type",
        "证件类型",
        False,
        gettext_lazy("居民身份证 or 其他证件; empty means 居民身份证."),
        "居民身份证",
    ),
    Column(
        "id_number",
        "证件号码",
        True,
        gettext_lazy(
            "An 18-character citizen ID number; its check character is verified. Format the "
            "column as text in Excel, or Excel drops the last digits."
        ),
        "11010519491231002X",
    ),
    Column(
        "sex",
        "性别",
        False,
        gettext_lazy("男 or 女; must agree with the ID number, and is taken from it when empty."),
        "女",
        required_when=gettext_lazy("For other documents"),
    ),
    Column(
        "birth_date",
        "出生日期",
        False,
        gettext_lazy(
            "YYYY-MM-DD or an Excel date; must agree with the ID number, and is taken from it "
            "when empty."
        ),
        "1949-12-31",
        required_when=gettext_lazy("For other documents"),
    ),
    Column(
        "phone",
        "联系电话",
        False,
        gettext_lazy("An 11-digit mainland mobile number."),
        "13800138000",
    ),
    Column(
        "ethnicity",
        "民族",
        False,
        gettext_lazy("A new resident without one is recorded as 汉族."),
        "汉族",
    ),
    Column(
        "relation_to_head",
        "与户主关系",
        False,
        gettext_lazy(
            "户主 (or 本人) makes the row's resident the head of the household; otherwise e.g. "
            "配偶, 子女, 父母."
        ),
        "户主",
    ),
    Column(
        "population_type",
        "人口类型",
        False,
        gettext_lazy("户籍, 常住 or 流动; a new resident without one is 户籍."),
        "户籍",
    ),
    Column(
        "separated",
        "人户分离",
        False,
        gettext_lazy("是 or 否; a new resident without one is 否."),
        "否",
    ),
    Column(
        "political_status",
        "政治面貌",
        False,
        gettext_lazy("Up to 16 characters, e.g. 群众, 中共党员, 共青团员."),
        "群众",
    ),
    Column(
        "data_source",
        "数据来源",
        False,
        gettext_lazy("Where the row comes from, up to 64 characters."),
        "社区入户采集",
    ),
)

COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
HOUSEHOLD_KEYS = (
    "grid_code",
    "household_kind",
    "building",
    "address",
    "unit",
    "room",
    "dwelling_use",
)
TEXT_KEYS = ("household_number", "grid_code", "unit", "room", "id_number", "phone")

# Words people type, mapped to the stored choice (the model's codes are accepted as well).
HOUSEHOLD_KINDS = {
    "户籍户": Household.Kind.REGISTERED,
    "户籍": Household.Kind.REGISTERED,
    "居住户": Household.Kind.RESIDING,
    "居住": Household.Kind.RESIDING,
}
DWELLING_USES = {
    "自住": Dwelling.Use.OWNER,
    "出租": Dwelling.Use.RENTED,
    "空置": Dwelling.Use.VACANT,
    "经营": Dwelling.Use.BUSINESS,
}
ID_TYPES = {
    "居民身份证": Resident.IdType.CITIZEN_ID,
    "身份证": Resident.IdType.CITIZEN_ID,
    "其他证件": Resident.IdType.OTHER,
    "其他": Resident.IdType.OTHER,
}
SEXES = {"男": Resident.Sex.MALE, "女": Resident.Sex.FEMALE, "m": "male", "f": "female"}
POPULATION_TYPES = {
    "户籍": Resident.PopulationType.REGISTERED,
    "户籍人口": Resident.PopulationType.REGISTERED,
    "常住": Resident.PopulationType.RESIDENT,
    "常住人口": Resident.PopulationType.RESIDENT,
    "流动": Resident.PopulationType.FLOATING,
    "流动人口": Resident.PopulationType.FLOATING,
}
HEAD_WORDS = {"户主", "本人"}

# Where a model's validation error about a field is reported.
FIELD_COLUMNS = {
    "number": "household_number",
    "kind": "household_kind",
    "grid": "grid_code",
    "dwelling": "room",
    "use": "dwelling_use",
    "household": "household_number",
    "head": "relation_to_head",
    NON_FIELD_ERRORS: "id_number",
}


# --- The check --------------------------------------------------------------------------


@dataclass
class HouseholdPlan:
    number: str
    grid: Grid
    kind: str | None = None
    dwelling_key: tuple | None = None
    existing: Household | None = None
    changed: list[str] = field(default_factory=list)
    head_hash: str | None = None


@dataclass
class ResidentPlan:
    row: int
    id_hash: str
    household_number: str
    resident: Resident  # unsaved for a new resident, the locked row with new values otherwise
    changed: list[str] = field(default_factory=list)
    is_new: bool = False


@dataclass
class ImportPlan:
    """What a file would do: objects to create and to change, and every bad row."""

    total_rows: int
    errors: list[RowError] = field(default_factory=list)
    buildings_new: dict[tuple, Building] = field(default_factory=dict)
    buildings_existing: dict[tuple, int] = field(default_factory=dict)
    dwellings_new: dict[tuple, Dwelling] = field(default_factory=dict)
    dwellings_existing: dict[tuple, int] = field(default_factory=dict)
    households: dict[str, HouseholdPlan] = field(default_factory=dict)
    residents: list[ResidentPlan] = field(default_factory=list)
    checked_on: date | None = None  # the day the check ran (its "today")

    def counts(self) -> dict:
        households = self.households.values()
        counts = {
            "buildings": {"created": len(self.buildings_new), "updated": 0},
            "dwellings": {"created": len(self.dwellings_new), "updated": 0},
            "households": {
                "created": sum(h.existing is None for h in households),
                "updated": sum(h.existing is not None and bool(h.changed) for h in households),
            },
            "residents": {
                "created": sum(r.is_new for r in self.residents),
                "updated": sum(not r.is_new and bool(r.changed) for r in self.residents),
            },
        }
        counts["total"] = {
            "created": sum(c["created"] for c in counts.values()),
            "updated": sum(c["updated"] for c in counts.values()),
        }
        return counts

    def report(self) -> dict:
        """The JSON kept on the ImportJob: counts and (up to MAX_REPORTED_ERRORS) errors."""
        return {
            "counts": self.counts(),
            **error_report(self.errors, columns=COLUMNS, limit=MAX_REPORTED_ERRORS),
            "checked": {
                "on": self.checked_on.isoformat() if self.checked_on else None,
                "new_resident_rows": rows_bitmap(r.row for r in self.residents if r.is_new),
            },
        }


@dataclass(frozen=True)
class CheckedBefore:
    """What an earlier check of the same file found valid (from its report, `checked`): the
    rows it planned as new residents and passed through the model's validation, on `on`."""

    on: date
    new_resident_rows: bytes

    @classmethod
    def from_report(cls, report: dict) -> CheckedBefore | None:
        checked = report.get("checked") or {}
        try:
            on = date.fromisoformat(checked["on"])
            rows = base64.b64decode(checked["new_resident_rows"], validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error):
            return None
        return cls(on=on, new_resident_rows=rows)

    def new_resident(self, row: int) -> bool:
        byte = row // 8
        return byte < len(self.new_resident_rows) and bool(
            self.new_resident_rows[byte] & (1 << row % 8)
        )


def rows_bitmap(rows) -> str:
    """Row numbers as a bitmap in base64: 100,000 rows in 17 kB of the job's report."""
    bits = bytearray()
    for row in rows:
        byte = row // 8
        if byte >= len(bits):
            bits.extend(bytes(byte + 1 - len(bits)))
        bits[byte] |= 1 << row % 8
    return base64.b64encode(bytes(bits)).decode()


@dataclass
class _Row:
    """A row after its own cells were checked (before anything was looked up)."""

    number: int
    household_number: str
    household: dict  # grid_code, household_kind, building, address, unit, room, dwelling_use
    resident: dict  # Resident field → value, for the cells that were filled
    id_hash: str = ""
    is_head: bool = False
    bad_keys: set = field(default_factory=set)

    @property
    def household_ok(self) -> bool:
        return not self.bad_keys & {"household_number", *HOUSEHOLD_KEYS}

    @property
    def ok(self) -> bool:
        return not self.bad_keys


def import_check(
    *,
    actor,
    rows: list[SheetRow],
    lock: bool = False,
    progress: Callable[[int], None] | None = None,
    checked_before: CheckedBefore | None = None,
) -> ImportPlan:
    """Check `rows` as `actor` would import them; nothing is written.

    `lock` (inside the commit's transaction) locks the households and residents that would
    change, in primary-key order. `progress(n)` is told how many rows have been read.

    `checked_before` (the commit, from the dry run's report): a row that the dry run planned as
    a new resident, on this same day, and that is a new resident again, is not put through the
    model's validation a second time — built from the same cells of the same stored file, on
    the same date, it gives the same answer. Everything that depends on the database (scope,
    what exists, duplicates, the households and residents the file changes) is checked again.
    """
    return _Check(
        actor=actor, rows=rows, lock=lock, progress=progress, checked_before=checked_before
    ).run()


class _Check(SheetCheck):
    def __init__(self, *, actor, rows, lock, progress, checked_before=None):
        self.plan = ImportPlan(total_rows=len(rows))
        super().__init__(columns=COLUMNS, errors=self.plan.errors)
        self.actor = actor
        self.sheet_rows = rows
        self.lock = lock
        self.progress = progress or (lambda n: None)
        self.rows: list[_Row] = []
        self.first_row_of_id: dict[str, int] = {}
        self.household_values: dict[str, dict] = {}  # number → merged household columns
        self.household_first_row: dict[str, int] = {}
        self.head_row: dict[str, int] = {}
        self.unplanned_households: set[str] = set()
        self.id_field = Resident._meta.get_field("id_number")
        self.today = timezone.localdate()  # once per check: per row it stood out in profiles
        self.plan.checked_on = self.today
        same_day = checked_before is not None and checked_before.on == self.today
        self.checked_before = checked_before if same_day else None
        self.phone_field = Resident._meta.get_field("phone")

    def run(self) -> ImportPlan:
        for done, sheet_row in enumerate(self.sheet_rows, start=1):
            self.rows.append(self._read(sheet_row))
            if done % PROGRESS_EVERY == 0:
                self.progress(done)
        self.progress(len(self.sheet_rows))
        grids = self._grids()
        households = self._households()
        residents = self._residents()
        buildings = self._buildings(grids)
        self._plan_households(grids, households, buildings)
        self._plan_residents(residents)
        self._plan_heads()
        return self.plan

    # -- one row on its own ---------------------------------------------------------------

    def _read(self, sheet_row: SheetRow) -> _Row:
        cells = self.cells(sheet_row)
        row = _Row(sheet_row.number, cells["household_number"], {}, {})
        self.require_filled(row, cells)
        for key, limit in _max_lengths().items():
            self.too_long(row, key, cells[key], limit)
        self._read_household(row, cells)
        self._read_resident(row, cells, raw_id=sheet_row.values.get("id_number"))
        self._duplicates_and_households(row)
        return row

    def _read_household(self, row, cells) -> None:
        values = {
            "grid_code": cells["grid_code"].translate(_HALFWIDTH_DIGITS),
            "household_kind": self.choice(
                row, "household_kind", cells["household_kind"], HOUSEHOLD_KINDS, Household.Kind
            ),
            "building": cells["building"],
            "address": cells["address"],
            "unit": cells["unit"],
            "room": cells["room"],
            "dwelling_use": self.choice(
                row, "dwelling_use", cells["dwelling_use"], DWELLING_USES, Dwelling.Use
            ),
        }
        if not values["building"] and any(cells[k] for k in ("address", "unit", "room")):
            self.error(row, "building", _("Fill in the building for a dwelling."), "required")
        if values["building"] and not values["room"]:
            self.error(row, "room", _("Fill in the room when the building is given."), "required")
        row.household = values

    def _read_resident(self, row, cells, *, raw_id) -> None:
        fields = row.resident
        fields["name"] = cells["name"]
        id_type = self.choice(row, "id_type", cells["id_type"], ID_TYPES, Resident.IdType)
        fields["id_type"] = id_type or Resident.IdType.CITIZEN_ID
        citizen = fields["id_type"] == Resident.IdType.CITIZEN_ID
        id_number = citizen_id_normalize(cells["id_number"])  # as the field stores and hashes it
        fields["id_number"] = id_number
        id_valid = False
        if id_number and citizen:
            try:
                validate_citizen_id(id_number, today=self.today)
                id_valid = True
            except ValidationError as exc:
                self.bad_id_number(row, "id_number", raw=raw_id, exc=exc, code=f"id_{exc.code}")
        if id_number and "id_number" not in row.bad_keys:
            row.id_hash = self.id_field.hash_of(id_number)

        sex = self.choice(row, "sex", cells["sex"], SEXES, Resident.Sex)
        birth_date = self.date(
            row,
            "birth_date",
            cells["birth_date"],
            message=_("Write the date as YYYY-MM-DD, e.g. 1949-12-31."),
        )
        if id_valid:
            try:
                validate_citizen_id_matches(id_number, sex=sex, birth_date=birth_date)
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    self.error(row, key, messages[0], f"{key}_mismatch")
            sex = sex or citizen_id_sex(id_number)
            birth_date = birth_date or citizen_id_birth_date(id_number)
        elif not citizen:
            for key, value in (("sex", sex), ("birth_date", birth_date)):
                if value is None and not cells[key]:
                    self.error(
                        row,
                        key,
                        _("Fill this in for a document other than a citizen ID card."),
                        "required",
                    )
        if sex:
            fields["sex"] = sex
        if birth_date:
            if birth_date > self.today:
                self.error(row, "birth_date", _("The birth date is in the future."), "date")
            fields["birth_date"] = birth_date

        if cells["phone"]:
            phone = mobile_normalize(cells["phone"])
            try:
                validate_mobile(phone)
                fields["phone"] = phone
            except ValidationError as exc:
                self.error(row, "phone", exc.messages[0], "phone")
        for key in ("ethnicity", "relation_to_head", "political_status", "data_source"):
            if cells[key]:
                fields[key] = cells[key]
        population = self.choice(
            row,
            "population_type",
            cells["population_type"],
            POPULATION_TYPES,
            Resident.PopulationType,
        )
        if population:
            fields["population_type"] = population
        separated = self.yes_no(row, "separated", cells["separated"])
        if separated is not None:
            fields["separated"] = separated
        row.is_head = cells["relation_to_head"] in HEAD_WORDS

    def _duplicates_and_households(self, row: _Row) -> None:
        if row.id_hash:
            first = self.first_row_of_id.setdefault(row.id_hash, row.number)
            if first != row.number:
                self.error(
                    row,
                    "id_number",
                    _("This ID number already appears in row %(row)d.") % {"row": first},
                    "duplicate_id",
                )
        number = row.household_number
        if not number:
            return
        first = self.household_first_row.setdefault(number, row.number)
        known = self.household_values.setdefault(number, {})
        for key in HOUSEHOLD_KEYS:
            value = row.household.get(key)
            if not value or key in row.bad_keys:
                continue
            if known.get(key) and known[key] != value:
                self.error(
                    row,
                    key,
                    _("Row %(row)d gives this household a different value.") % {"row": first},
                    "household_mismatch",
                )
            else:
                known.setdefault(key, value)
        if row.is_head:
            head = self.head_row.setdefault(number, row.number)
            if head != row.number:
                self.error(
                    row,
                    "relation_to_head",
                    _("Row %(row)d already names the head of this household.") % {"row": head},
                    "two_heads",
                )

    # -- looking things up, inside the actor's scope ---------------------------------------

    def _grids(self) -> dict[str, Grid]:
        codes = {r.household["grid_code"] for r in self.rows if r.household["grid_code"]}
        grids = {}
        queryset = Grid.objects.visible_to(self.actor).select_related("community")
        for chunk in chunks(codes):
            grids |= {g.code: g for g in queryset.filter(code__in=chunk)}
        for row in self.rows:
            code = row.household["grid_code"]
            if code and code not in grids:
                # Unknown and outside the uploader's scope read the same: existence is not leaked.
                self.error(row, "grid_code", _("No such grid."), "no_such_grid")
        return grids

    def _households(self) -> dict[str, Household]:
        numbers = {r.household_number for r in self.rows if r.household_number}
        existing: set[str] = set()
        visible: dict[str, Household] = {}
        queryset = Household.objects.visible_to(self.actor, "change")
        if self.lock:
            queryset = queryset.select_for_update(of=("self",)).order_by("pk")
        for chunk in chunks(numbers):
            existing |= set(
                Household.objects.filter(number__in=chunk).values_list("number", flat=True)
            )
            visible |= {h.number: h for h in queryset.filter(number__in=chunk)}
        for row in self.rows:
            if row.household_number in existing and row.household_number not in visible:
                self.error(
                    row,
                    "household_number",
                    _("This household number cannot be imported here."),
                    "household_out_of_scope",
                )
        return visible

    def _residents(self) -> dict[str, Resident]:
        hashes = {r.id_hash for r in self.rows if r.id_hash}
        existing: set[str] = set()
        visible: dict[str, Resident] = {}
        queryset = Resident.objects.visible_to(self.actor, "change")
        if self.lock:
            queryset = queryset.select_for_update(of=("self",)).order_by("pk")
        for chunk in chunks(hashes):
            existing |= set(
                Resident.objects.filter(id_number_hash__in=chunk).values_list(
                    "id_number_hash", flat=True
                )
            )
            visible |= {r.id_number_hash: r for r in queryset.filter(id_number_hash__in=chunk)}
        for row in self.rows:
            if row.id_hash in existing and row.id_hash not in visible:
                # Nothing about that resident (name, grid, household) may appear here.
                self.error(
                    row,
                    "id_number",
                    _("This ID number cannot be imported here."),
                    "resident_out_of_scope",
                )
        return visible

    def _buildings(self, grids) -> dict[tuple, Building]:
        keys = {
            (grids[r.household["grid_code"]].community_id, r.household["building"])
            for r in self.rows
            if r.household["building"] and r.household["grid_code"] in grids
        }
        existing: dict[tuple, Building] = {}
        visible: set[int] = set()
        for chunk in chunks(sorted(keys)):
            names = {name for _c, name in chunk}
            communities = {c for c, _n in chunk}
            found = Building.objects.filter(community__in=communities, name__in=names)
            existing |= {(b.community_id, b.name): b for b in found}
            visible |= set(
                Building.objects.visible_to(self.actor, "change")
                .filter(community__in=communities, name__in=names)
                .values_list("pk", flat=True)
            )
        for row in self.rows:
            key = self._building_key(row, grids)
            if key in existing and existing[key].pk not in visible:
                self.error(
                    row,
                    "building",
                    _("This building cannot be imported here."),
                    "building_out_of_scope",
                )
        mine = {key: b for key, b in existing.items() if b.pk in visible}
        self.plan.buildings_existing = {key: b.pk for key, b in mine.items()}
        return mine

    @staticmethod
    def _building_key(row, grids) -> tuple | None:
        grid = grids.get(row.household["grid_code"])
        if grid is None or not row.household["building"]:
            return None
        return (grid.community_id, row.household["building"])

    def _dwellings(self, buildings: dict[tuple, Building]) -> dict[tuple, int]:
        by_pk = {b.pk: key for key, b in buildings.items()}
        found = {}
        for chunk in chunks(sorted(by_pk)):
            for building_id, unit, room, pk in Dwelling.objects.filter(
                building__in=chunk
            ).values_list("building", "unit", "room", "pk"):
                found[(by_pk[building_id], unit, room)] = pk
        return found

    # -- the plan --------------------------------------------------------------------------

    def _plan_households(self, grids, households, buildings) -> None:
        plan = self.plan
        plan.dwellings_existing = self._dwellings(buildings)
        for row in self.rows:
            number = row.household_number
            if not row.household_ok or number in plan.households:
                continue
            if number in self.unplanned_households:
                continue
            values = self.household_values[number]
            grid = grids[values["grid_code"]]
            dwelling_key = None
            if values.get("building"):
                building_key = (grid.community_id, values["building"])
                if building_key not in buildings and building_key not in plan.buildings_new:
                    building = Building(
                        community_id=grid.community_id,
                        grid=grid,
                        name=values["building"],
                        address=values.get("address") or values["building"],
                    )
                    if not self._valid(row, building, exclude=["community", "grid", "micro_grid"]):
                        self.unplanned_households.add(number)
                        continue
                    plan.buildings_new[building_key] = building
                dwelling_key = (building_key, values.get("unit", ""), values.get("room", ""))
                if (
                    dwelling_key not in plan.dwellings_existing
                    and dwelling_key not in plan.dwellings_new
                ):
                    plan.dwellings_new[dwelling_key] = Dwelling(
                        unit=dwelling_key[1],
                        room=dwelling_key[2],
                        use=values.get("dwelling_use") or Dwelling.Use.OWNER,
                    )
            household = HouseholdPlan(
                number=number,
                grid=grid,
                kind=values.get("household_kind"),
                dwelling_key=dwelling_key,
                existing=households.get(number),
            )
            if household.existing is not None:
                household.changed = self._household_changes(household)
            else:
                new = Household(
                    number=number, grid=grid, kind=household.kind or Household.Kind.REGISTERED
                )
                if not self._valid(row, new, exclude=["grid", "dwelling", "head"]):
                    self.unplanned_households.add(number)
                    continue
            plan.households[number] = household

    def _household_changes(self, household: HouseholdPlan) -> list[str]:
        existing = household.existing
        changed = []
        if existing.grid_id != household.grid.pk:
            changed.append("grid")
        if household.kind and existing.kind != household.kind:
            changed.append("kind")
        if household.dwelling_key is not None and (
            self.plan.dwellings_existing.get(household.dwelling_key) != existing.dwelling_id
        ):
            changed.append("dwelling")
        return changed

    def _plan_residents(self, residents: dict[str, Resident]) -> None:
        for row in self.rows:
            if not row.ok or row.household_number not in self.plan.households:
                continue
            household = self.plan.households[row.household_number]
            resident = residents.get(row.id_hash)
            if resident is None:
                fields = {"ethnicity": "汉族", **row.resident}
                resident = Resident(**fields)
                changed = []
            else:
                changed = [
                    key for key, value in row.resident.items() if getattr(resident, key) != value
                ]
                for key in changed:
                    setattr(resident, key, row.resident[key])
                if household.existing is None or resident.household_id != household.existing.pk:
                    changed.append("household")
            validated = (
                resident.pk is None
                and self.checked_before is not None
                and self.checked_before.new_resident(row.number)
            )
            if (
                (resident.pk is None or changed)
                and not validated
                and not self._valid(row, resident, exclude=["household"])
            ):
                continue
            self.plan.residents.append(
                ResidentPlan(
                    row.number,
                    row.id_hash,
                    household.number,
                    resident,
                    changed,
                    is_new=resident.pk is None,
                )
            )

    def _plan_heads(self) -> None:
        planned = {r.id_hash: r for r in self.plan.residents}
        for row in self.rows:
            if not row.is_head or row.id_hash not in planned:
                continue
            household = self.plan.households[row.household_number]
            household.head_hash = row.id_hash
            head = planned[row.id_hash].resident
            if household.existing is not None and (
                head.pk is None or household.existing.head_id != head.pk
            ):
                household.changed.append("head")

    def _valid(self, row: _Row, obj, *, exclude: list[str]) -> bool:
        """The model's own validation (no queries: relations were looked up in scope)."""
        try:
            obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                key = FIELD_COLUMNS.get(name, name)
                key = key if key in COLUMN_BY_KEY else "id_number"
                self.error(row, key, messages[0], "invalid")
            return False
        return True


@functools.cache
def _max_lengths() -> dict[str, int]:
    """Column key → the max_length of the model field it lands in."""
    limits = {"household_number": Household._meta.get_field("number").max_length}
    limits |= {
        key: Resident._meta.get_field(key).max_length
        for key in ("name", "ethnicity", "relation_to_head", "political_status", "data_source")
    }
    limits |= {"building": Building._meta.get_field("name").max_length}
    limits |= {"address": Building._meta.get_field("address").max_length}
    limits |= {key: Dwelling._meta.get_field(key).max_length for key in ("unit", "room")}
    return limits


_HALFWIDTH_DIGITS = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}


def template_workbook() -> bytes:
    """The template to download: the headers and one example row; codes and numbers are text."""
    return spreadsheets.template_workbook(columns=COLUMNS, text_keys=TEXT_KEYS, title="居民导入")
