"""Canteen meal logs (助餐记录) from a spreadsheet: the layout, the check (dry run), the commit.

`COLUMNS` is the one description of the spreadsheet: the upload page, the template download
and docs/modules/services-meal-import.md (its table is `layout_markdown()`, and a test keeps
the two equal) all come from it. One row per meal: who ate (身份证号 + 姓名), when (日期 +
餐次), how many portions, whether the street subsidises it, and how it was verified.

Reading the file, row errors and the template workbook are the spreadsheet kit's
(portal/spreadsheets.py).

Rules:
- A resident is found by the keyed hash (blind index) of the ID number, among *all* residents
  of the street: a canteen serves walk-ins, so partner staff may record meals of any
  registered resident. The name must agree with the registered one. The report never shows
  anything of a registered resident: only row numbers, columns and reasons.
- A subsidised meal is one portion, once per resident, date and slot: a second one in the
  file or one already in the database (from any canteen) is an error for that row.
- Upload = dry run: the MealImport is `checked` (no errors) or `failed` (every bad row in the
  report), and nothing else is written. The commit checks the file again inside one
  transaction and writes all its meals or none.
- The money is the street's: a subsidised row pays the catalogue item's subsidy per unit, never
  a number from the file; the portions are bounded by the item (the model's own check, so the
  page, the API and the import say the same); a row in a month whose statement the street
  closed is an error for that row (checked again on commit, under the partner's lock).
- A file whose meals were already imported for the same partner and service (the same rows in
  any order, whatever the file is called or saved as) adds nothing, and its report says so.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models import Resident
from portal import spreadsheets
from portal.audit import audit_record
from portal.spreadsheets import (
    Column,
    RowError,
    SheetCheck,
    SheetRow,
    cell_text,
    chunks,
    error_report,
    read_sheet,
    read_upload,
)
from portal.validators import citizen_id_normalize, validate_citizen_id
from services.deliveries.models import (
    CENT,
    MEAL_TAKEN,
    MONTH_CLOSED,
    ClosedStatement,
    default_subsidy,
    month_start,
)
from services.deliveries.policy import access_meal_import_commit, access_meal_import_create
from services.models import Delivery, MealImport, MealLog, Partner, ServiceItem

MAX_ROWS = 10_000  # a canteen's month is a few thousand meals
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_REPORTED_ERRORS = 2_000
NOTE_MAX_LENGTH = 500
# When a meal counts as delivered (local time): the statement's month is that of the date.
SLOT_TIMES = {
    MealLog.Slot.LUNCH: datetime.time(12, 0),
    MealLog.Slot.DINNER: datetime.time(18, 0),
}


# --- The layout -------------------------------------------------------------------------

COLUMNS: tuple[Column, ...] = (
    Column(
        "id_number",
        "身份证号",
        True,
        gettext_lazy(
            "The resident's 18-character citizen ID number. Format the column as text in "
            "Excel, or Excel drops the last digits."
        ),
        "11010519491231002X",
    ),
    Column(
        "name",
        "姓名",
        True,
        gettext_lazy("As registered in the street; must agree with the ID number."),
        "王秀英",
    ),
    Column(
        "date",
        "日期",
        True,
        gettext_lazy("YYYY-MM-DD or an Excel date; not in the future."),
        "2025-03-05",
    ),
    Column("slot", "餐次", True, gettext_lazy("午餐 or 晚餐."), "午餐"),
    Column(
        "quantity",
        "份数",
        False,
        gettext_lazy(
            "Portions, a number above 0; empty means 1. A subsidised meal is one portion."
        ),
        "1",
    ),
    Column(
        "subsidised",
        "是否补贴",
        False,
        gettext_lazy(
            "是 or 否; empty means 是. Once per resident, date and meal, across all canteens."
        ),
        "是",
    ),
    Column("verification", "核验方式", True, gettext_lazy("刷卡, 刷脸, 签字 or 电话."), "刷卡"),
    Column(
        "staff_name",
        "服务人员",
        False,
        gettext_lazy("Who served, up to 64 characters; empty means the person who uploads."),
        "张师傅",
    ),
    Column(
        "note",
        "备注",
        False,
        gettext_lazy("The resident's feedback or a remark, up to 500 characters."),
        "少盐",
    ),
)

TEXT_KEYS = ("id_number",)

SLOTS = {
    "午餐": MealLog.Slot.LUNCH,
    "午饭": MealLog.Slot.LUNCH,
    "中餐": MealLog.Slot.LUNCH,
    "晚餐": MealLog.Slot.DINNER,
    "晚饭": MealLog.Slot.DINNER,
}
VERIFICATIONS = {
    "刷卡": Delivery.Verification.CARD,
    "刷脸": Delivery.Verification.FACE,
    "人脸": Delivery.Verification.FACE,
    "签字": Delivery.Verification.SIGNATURE,
    "签名": Delivery.Verification.SIGNATURE,
    "电话": Delivery.Verification.PHONE,
}
# Where the model's validation error about a Delivery field is reported.
FIELD_COLUMNS = {
    "delivered_at": "date",
    "quantity": "quantity",
    "staff_name": "staff_name",
    "verification": "verification",
    "subsidy": "subsidised",
    "feedback": "note",
}
RELATIONS = ["partner", "service_item", "resident", "referral", "meal_import", "recorded_by"]


def layout_markdown() -> str:
    """The layout as the Markdown table of docs/modules/services-meal-import.md."""
    lines = ["| header | required | format | example |", "|---|---|---|---|"]
    for c in COLUMNS:
        required = "yes" if c.required else "no"
        lines.append(f"| {c.header} | {required} | {c.format} | `{c.example}` |")
    return "\n".join(lines)


# --- The check --------------------------------------------------------------------------


@dataclass
class MealRow:
    """One row after its cells were read; `bad_keys` names the columns with an error."""

    number: int
    cells: dict
    id_hash: str = ""
    date: datetime.date | None = None
    slot: str | None = None
    quantity: Decimal | None = None
    subsidised: bool = True
    verification: str | None = None
    staff_name: str = ""
    resident_id: int | None = None
    bad_keys: set = field(default_factory=set)


@dataclass
class MealPlan:
    """What a file would write: the meals of its good rows, every bad row, the fingerprint."""

    total_rows: int
    fingerprint: str
    rows: list[MealRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    already_imported: MealImport | None = None
    deliveries: list[Delivery] = field(default_factory=list)

    def counts(self) -> dict:
        subsidised = [d for d in self.deliveries if d.subsidy > 0]
        return {
            "meals": len(self.deliveries),
            "subsidised": len(subsidised),
            "portions": str(sum((d.quantity for d in self.deliveries), Decimal("0"))),
            "subsidy": str(sum((d.subsidy for d in self.deliveries), Decimal("0.00"))),
            "residents": len({d.resident_id for d in self.deliveries}),
        }

    def report(self) -> dict:
        """The JSON kept on the MealImport: counts, errors (row, column, reason), fingerprint."""
        report = {
            "fingerprint": self.fingerprint,
            "counts": self.counts(),
            **error_report(self.errors, columns=COLUMNS, limit=MAX_REPORTED_ERRORS),
        }
        if self.already_imported is not None:
            committed_at = self.already_imported.committed_at
            report["already_imported"] = {
                "id": self.already_imported.pk,
                "name": self.already_imported.original_name,
                "committed_at": committed_at.isoformat() if committed_at else "",
            }
        return report


def fingerprint_of(*, partner: Partner, service_item: ServiceItem, rows: list[SheetRow]) -> str:
    """The same meals for the same partner and service give the same fingerprint, whatever the
    file's name, format, title rows, blank rows or the order of its rows."""
    cells = sorted([cell_text(r.values.get(c.key)) for c in COLUMNS] for r in rows)
    payload = json.dumps([partner.pk, service_item.pk, cells], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def meal_import_check(
    *, partner: Partner, service_item: ServiceItem, rows: list[SheetRow], staff_default: str
) -> MealPlan:
    """Check `rows` as meals of `partner` for `service_item`; nothing is written.

    `staff_default` is recorded as the server where 服务人员 is empty.
    """
    return _Check(partner, service_item, rows, staff_default).run()


class _Check(SheetCheck):
    def __init__(self, partner, service_item, rows, staff_default):
        self.plan = MealPlan(
            total_rows=len(rows),
            fingerprint=fingerprint_of(partner=partner, service_item=service_item, rows=rows),
        )
        super().__init__(columns=COLUMNS, errors=self.plan.errors)
        self.partner = partner
        self.service_item = service_item
        self.sheet_rows = rows
        self.staff_default = (staff_default or "").strip()[:64]
        self.id_field = Resident._meta.get_field("id_number")

    def run(self) -> MealPlan:
        self.plan.already_imported = (
            MealImport.objects.filter(
                partner=self.partner,
                service_item=self.service_item,
                status=MealImport.Status.COMMITTED,
                report__fingerprint=self.plan.fingerprint,
            )
            .order_by("committed_at", "pk")
            .first()
        )
        if self.plan.already_imported is not None:
            return self.plan  # nothing to add: say so instead of listing every row as a double
        rows = [self._read(sheet_row) for sheet_row in self.sheet_rows]
        self._closed_months(rows)
        self._residents(rows)
        self._doubles_in_file(rows)
        self._doubles_in_database(rows)
        for row in rows:
            if not row.bad_keys:
                self._plan(row)
        return self.plan

    # -- one row on its own ---------------------------------------------------------------

    def _read(self, sheet_row: SheetRow) -> MealRow:
        cells = self.cells(sheet_row)
        row = MealRow(sheet_row.number, cells)
        self.require_filled(row, cells)
        self._id_number(row, raw=sheet_row.values.get("id_number"))
        row.date = self._date(row)
        row.slot = self.choice(row, "slot", cells["slot"], SLOTS, MealLog.Slot)
        row.verification = self.choice(
            row, "verification", cells["verification"], VERIFICATIONS, Delivery.Verification
        )
        row.quantity = self._quantity(row)
        subsidised = self.yes_no(row, "subsidised", cells["subsidised"])
        if subsidised is not None:
            row.subsidised = subsidised
        if row.subsidised and row.quantity is not None and row.quantity != 1:
            self.error(
                row,
                "quantity",
                _(
                    "A subsidised meal is one portion; put further portions on a row with 是否补贴 否."
                ),
                "subsidised_portions",
            )
        row.staff_name = cells["staff_name"] or self.staff_default
        if len(row.staff_name) > 64:
            self.error(row, "staff_name", _("At most 64 characters."), "too_long")
        self.too_long(row, "note", cells["note"], NOTE_MAX_LENGTH)
        return row

    def _id_number(self, row: MealRow, *, raw) -> None:
        id_number = citizen_id_normalize(row.cells["id_number"])
        if not id_number:
            return
        try:
            validate_citizen_id(id_number)
        except ValidationError as exc:
            self.bad_id_number(row, "id_number", raw=raw, exc=exc, code="id_invalid")
            return
        row.id_hash = self.id_field.hash_of(id_number)

    def _date(self, row: MealRow) -> datetime.date | None:
        parsed = self.date(
            row,
            "date",
            row.cells["date"],
            message=_("Write the date as YYYY-MM-DD, e.g. 2025-03-05."),
        )
        if parsed is not None and parsed > timezone.localdate():
            self.error(row, "date", _("The date is in the future."), "date_future")
            return None
        return parsed

    def _quantity(self, row: MealRow) -> Decimal | None:
        value = row.cells["quantity"]
        if not value:
            return Decimal("1")
        try:
            quantity = Decimal(value)
        except InvalidOperation:
            quantity = None
        if (
            quantity is None
            or not quantity.is_finite()
            or quantity <= 0
            or quantity != quantity.quantize(CENT)
            or quantity >= 1000
        ):
            self.error(
                row, "quantity", _("Write a number of portions above 0, e.g. 1."), "quantity"
            )
            return None
        return quantity

    # -- looking things up ----------------------------------------------------------------

    def _closed_months(self, rows: list[MealRow]) -> None:
        """A row in a month whose statement the street closed changes nothing (one query)."""
        months = {month_start(r.date) for r in rows if r.date is not None}
        if not months:
            return
        closed = set(
            ClosedStatement.objects.filter(partner=self.partner, month__in=months).values_list(
                "month", flat=True
            )
        )
        for row in rows:
            if row.date is not None and month_start(row.date) in closed:
                self.error(
                    row,
                    "date",
                    MONTH_CLOSED % {"month": month_start(row.date).strftime("%Y-%m")},
                    "month_closed",
                )

    def _residents(self, rows: list[MealRow]) -> None:
        """Any registered resident of the street may eat here; the name must agree."""
        hashes = sorted({r.id_hash for r in rows if r.id_hash})
        found: dict[str, tuple] = {}
        for chunk in chunks(hashes):
            for id_hash, pk, name, deceased in Resident.objects.filter(
                id_number_hash__in=chunk
            ).values_list("id_number_hash", "pk", "name", "deceased_date"):
                found[id_hash] = (pk, name, deceased)
        for row in rows:
            if not row.id_hash:
                continue
            pk, name, deceased = found.get(row.id_hash, (None, "", None))
            unknown = pk is None
            other_name = bool(row.cells["name"]) and _squeeze(row.cells["name"]) != _squeeze(name)
            gone = deceased is not None and row.date is not None and row.date > deceased
            if unknown or other_name or gone:
                # One answer for all three, so a spreadsheet cannot be used to learn who is
                # registered, under which name, or who has died.
                self.error(
                    row,
                    "id_number",
                    _("No resident of the street matches this ID number and name on this date."),
                    "no_matching_resident",
                )
                continue
            row.resident_id = pk

    def _doubles_in_file(self, rows: list[MealRow]) -> None:
        first: dict[tuple, int] = {}
        for row in rows:
            if not row.subsidised or row.resident_id is None or not row.date or not row.slot:
                continue
            key = (row.resident_id, row.date, row.slot)
            seen = first.setdefault(key, row.number)
            if seen != row.number:
                self.error(
                    row,
                    "slot",
                    _(
                        "Row %(row)d already records a subsidised meal for this resident, date and meal."
                    )
                    % {"row": seen},
                    "double_in_file",
                )

    def _doubles_in_database(self, rows: list[MealRow]) -> None:
        candidates = [
            r
            for r in rows
            if r.subsidised and r.resident_id and r.date and r.slot and not r.bad_keys
        ]
        if not candidates:
            return
        dates = [r.date for r in candidates]
        taken: set[tuple] = set()
        for chunk in chunks(sorted({r.resident_id for r in candidates})):
            taken |= set(
                MealLog.objects.filter(
                    subsidised=True,
                    resident__in=chunk,
                    date__gte=min(dates),
                    date__lte=max(dates),
                ).values_list("resident", "date", "slot")
            )
        for row in candidates:
            if (row.resident_id, row.date, row.slot) in taken:
                self.error(row, "slot", MEAL_TAKEN, "double_in_database")

    # -- the plan --------------------------------------------------------------------------

    def _plan(self, row: MealRow) -> None:
        subsidy = (
            default_subsidy(service_item=self.service_item, quantity=row.quantity)
            if row.subsidised
            else Decimal("0.00")
        )
        delivered_at = datetime.datetime.combine(
            row.date, SLOT_TIMES[row.slot], tzinfo=timezone.get_current_timezone()
        )
        delivery = Delivery(
            partner=self.partner,
            service_item=self.service_item,
            resident_id=row.resident_id,
            delivered_at=delivered_at,
            quantity=row.quantity,
            staff_name=row.staff_name,
            verification=row.verification,
            subsidy=subsidy,
            feedback=row.cells["note"],
        )
        try:
            # The model's own validation; relations were looked up above (no queries here).
            delivery.full_clean(
                exclude=RELATIONS, validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                key = FIELD_COLUMNS.get(name, "note")
                self.error(row, key, messages[0], "invalid")
            return
        delivery.meal_row = row  # the MealLog is made from it once the delivery has its pk
        self.plan.rows.append(row)
        self.plan.deliveries.append(delivery)


def _squeeze(name: str) -> str:
    """Names compare without any whitespace (全角 spaces included)."""
    return "".join(name.split())


# --- Upload (the dry run) and commit ---------------------------------------------------


def _check_meal_item(partner: Partner, service_item: ServiceItem) -> None:
    if service_item.category != ServiceItem.Category.MEAL:
        raise ValidationError({"service_item": _("Choose a meal service.")})
    if not service_item.partners.filter(pk=partner.pk).exists():
        raise ValidationError({"service_item": _("This partner does not provide this service.")})


def meal_import_create(
    *, actor, partner: Partner, service_item: ServiceItem, uploaded_file
) -> MealImport:
    """Store an uploaded meal-log file and check it (the dry run); writes no meal.

    The MealImport is `checked` when every row is good, `failed` with every bad row in its
    report otherwise. A file that cannot be read at all (wrong type, too large, no header,
    too many rows) is refused with a ValidationError on `file` and nothing is stored.
    """
    access_meal_import_create(actor, partner)
    _check_meal_item(partner, service_item)
    upload = read_upload(
        uploaded_file, columns=COLUMNS, max_bytes=MAX_FILE_BYTES, max_rows=MAX_ROWS
    )
    plan = meal_import_check(
        partner=partner,
        service_item=service_item,
        rows=upload.rows,
        staff_default=actor.get_full_name(),
    )
    with transaction.atomic():
        meal_import = MealImport(
            partner=partner,
            service_item=service_item,
            original_name=upload.name[:200],
            status=MealImport.Status.FAILED if plan.errors else MealImport.Status.CHECKED,
            total_rows=plan.total_rows,
            report=plan.report(),
            uploaded_by=actor,
        )
        meal_import.file.save(upload.storage_name, uploaded_file, save=False)
        meal_import.full_clean()
        meal_import.save()
        audit_record(
            actor=actor,
            action="meal_import.upload",
            obj=meal_import,
            details={"rows": plan.total_rows, "errors": len(plan.errors)},
        )
    return meal_import


def meal_import_commit(*, actor, meal_import: MealImport) -> MealImport:
    """Write the meals of a checked file, all or nothing; asking twice writes them once.

    The file is checked again inside the transaction, with the partner's row locked so two
    commits for one canteen run one after the other. If the data changed since the dry run
    (a subsidised meal was recorded meanwhile), nothing is written and the import is `failed`
    with the new errors. A file already imported adds nothing and says so.
    """
    access_meal_import_commit(actor, meal_import)
    with transaction.atomic():
        locked = (
            MealImport.objects.select_for_update(of=("self",))
            .select_related("partner", "service_item", "uploaded_by")
            .get(pk=meal_import.pk)
        )
        if locked.status == MealImport.Status.COMMITTED or locked.report.get("already_imported"):
            return locked
        if locked.status != MealImport.Status.CHECKED:
            raise ValidationError(_("Correct the errors in the file and upload it again."))
        Partner.objects.select_for_update(no_key=True).filter(pk=locked.partner_id).first()
        with locked.file.open("rb") as fileobj:
            rows = read_sheet(
                fileobj, filename=locked.original_name, columns=COLUMNS, max_rows=MAX_ROWS
            )
        plan = meal_import_check(
            partner=locked.partner,
            service_item=locked.service_item,
            rows=rows,
            staff_default=locked.uploaded_by.get_full_name(),
        )
        if plan.already_imported is not None or plan.errors:
            locked.report = {**plan.report(), "changed_since_check": bool(plan.errors)}
            locked.status = MealImport.Status.FAILED if plan.errors else locked.status
            locked.save(update_fields=["report", "status"])
            return locked
        try:
            with transaction.atomic():
                _write(plan, meal_import=locked, actor=actor)
        except IntegrityError:
            # A subsidised meal arrived between the check and the insert (another canteen).
            locked.status = MealImport.Status.FAILED
            locked.report = {
                **plan.report(),
                "failure": _(
                    "Meanwhile another subsidised meal was recorded for a resident of this "
                    "file; nothing was written. Upload the file again to see which row."
                ),
            }
            locked.save(update_fields=["status", "report"])
            return locked
        report = plan.report()
        audit_record(
            actor=actor,
            action="meal_import.commit",
            obj=locked,
            details={"rows": plan.total_rows, "counts": report["counts"]},
        )
        locked.status = MealImport.Status.COMMITTED
        locked.report = report
        locked.committed_at = timezone.now()
        locked.save(update_fields=["status", "report", "committed_at"])
    return locked


def _write(plan: MealPlan, *, meal_import: MealImport, actor) -> None:
    for delivery in plan.deliveries:
        delivery.meal_import = meal_import
        delivery.recorded_by = actor
    created = Delivery.objects.bulk_create(plan.deliveries, batch_size=1_000)
    meals = [
        MealLog(
            delivery=delivery,
            resident_id=delivery.resident_id,
            date=delivery.meal_row.date,
            slot=delivery.meal_row.slot,
            subsidised=delivery.meal_row.subsidised,
        )
        for delivery in created
    ]
    MealLog.objects.bulk_create(meals, batch_size=1_000)


# --- The template download --------------------------------------------------------------


def template_workbook() -> bytes:
    """An .xlsx with the headers and one example row; the ID column is text."""
    return spreadsheets.template_workbook(columns=COLUMNS, text_keys=TEXT_KEYS, title="助餐记录")
