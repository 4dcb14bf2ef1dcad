"""The spreadsheet kit: what every import of an .xlsx or .csv file shares (never borrowed from a
module). A module describes its layout with `Column`s and keeps its own rules; the kit does the
rest:

- `read_upload(uploaded_file, columns=..., max_bytes=..., max_rows=...)`: refuse a file of
  another type or too large, read its rows (ValidationError on `file` for a file that won't do);
  `read_sheet(fileobj, filename=..., columns=...)` reads a stored one again;
- `SheetCheck`: the base of a layout's check — `error(row, key, message, code)` records a
  `RowError` (row number as the spreadsheet shows it, column header, reason), and the cell
  readers both imports use (required columns, choices, yes/no, dates, ID numbers, lengths);
- `error_report(errors, columns=..., limit=...)`: the errors part of a dry run's report;
- `template_workbook(columns=..., text_keys=..., title=...)`: the template to download;
- for the pages: `upload_page()`, `report_errors_page()`, `layout_views()` (the template
  download and the layout's help page, portal/import_layout.html); templates `portal/_import_columns.html` (the
  layout table) and `portal/_import_errors.html` (the report's bad rows).

The header row is the first of the top rows that holds the layout's headers (a title row above
it is fine); other columns are ignored; blank rows are skipped, but row numbers stay those the
user sees. CSV comes in UTF-8 (with or without Excel's BOM) or GB18030 (Excel's plain "CSV").
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import decimal
import io
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePath

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.ui import form_errors, paginate
from portal.uploads import SPREADSHEET, upload_check, xlsx_check

EXTENSIONS = (".xlsx", ".csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_SEARCH_ROWS = 10  # the header row may sit below a title row or two
LOOKUP_CHUNK = 2_000  # values per IN (...) lookup
REPORT_ERRORS_PER_PAGE = 100
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
YES_NO = {"是": True, "否": False, "yes": True, "no": False, "y": True, "n": False}


# --- Columns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an import spreadsheet: the upload page, the template and the docs show it."""

    key: str
    header: str
    required: bool
    format: str
    example: str
    required_when: str = ""

    @property
    def required_text(self) -> str:
        if self.required:
            return _("Yes")
        return str(self.required_when) if self.required_when else _("No")


# --- Reading a file ---------------------------------------------------------------------


@dataclass(frozen=True)
class SheetRow:
    """A data row: its number as the spreadsheet shows it, and its cells by column key."""

    number: int
    values: dict


@dataclass(frozen=True)
class Upload:
    """An uploaded file that can be read: its own name, its rows, and a name to store it under
    (random: the user's file name is kept as data, never as a path)."""

    name: str
    extension: str
    rows: list[SheetRow]
    storage_name: str


def file_extension(filename: str) -> str:
    return PurePath(filename or "").suffix.lower()


def read_upload(uploaded_file, *, columns, max_bytes: int, max_rows: int) -> Upload:
    """Read an uploaded spreadsheet in `columns`' layout; ValidationError on `file` otherwise.

    Refuses a file of another type, one above `max_bytes`, one without the layout's headers or
    rows, and one with more than `max_rows` rows. Leaves the file at its start, to be stored.
    """
    name = PurePath(uploaded_file.name or "").name
    extension = file_extension(name)
    if extension not in EXTENSIONS:
        raise ValidationError({"file": _("Upload an Excel workbook (.xlsx) or a CSV file (.csv).")})
    if uploaded_file.size > max_bytes:
        raise ValidationError(
            {
                "file": _("The file is larger than %(mb)d MB; split it into smaller files.")
                % {"mb": max_bytes // (1024 * 1024)}
            }
        )
    try:  # size cap, content matching the name, a workbook's unpacked size (portal/uploads.py)
        upload_check(uploaded_file, kinds=SPREADSHEET, max_bytes=max_bytes)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    try:
        rows = read_sheet(uploaded_file, filename=name, columns=columns, max_rows=max_rows)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    uploaded_file.seek(0)
    return Upload(name, extension, rows, f"{secrets.token_hex(12)}{extension}")


def read_sheet(fileobj, *, filename: str, columns, max_rows: int | None = None) -> list[SheetRow]:
    """Rows of an .xlsx (first sheet) or .csv file in `columns`' layout; ValidationError for a
    file that won't do (unreadable, no header row, a column twice or missing, no rows, more
    than `max_rows` rows)."""
    extension = file_extension(filename)
    if extension == ".xlsx":
        raw = _xlsx_rows(fileobj)
    elif extension == ".csv":
        raw = _csv_rows(fileobj)
    else:
        raise ValidationError(
            _("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."), code="extension"
        )
    with contextlib.closing(raw):
        return _rows_from(raw, max_rows=max_rows, columns=columns)


def _xlsx_rows(fileobj) -> Iterator[tuple[int, tuple]]:
    from openpyxl import load_workbook

    xlsx_check(fileobj)  # entries and unpacked size, before openpyxl unpacks anything
    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs write wrong dimensions; read what is there
    except Exception:  # openpyxl raises zip, XML and key errors for files it cannot read
        raise ValidationError(
            _("This file cannot be read as an Excel workbook (.xlsx)."), code="unreadable"
        ) from None
    try:
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


def _csv_rows(fileobj) -> Iterator[tuple[int, list[str]]]:
    data = fileobj.read()
    if isinstance(data, bytes):
        # Excel saves "CSV UTF-8" with a BOM, and plain "CSV" in the system code page (GB18030).
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                data = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError(
                _("This CSV file is neither UTF-8 nor GB18030 text."), code="encoding"
            )
    try:
        yield from enumerate(csv.reader(io.StringIO(data, newline="")), start=1)
    except csv.Error:
        raise ValidationError(_("This file cannot be read as CSV."), code="unreadable") from None


def _header(value) -> str:
    return re.sub(r"[\s*＊]", "", str(value)) if value is not None else ""


def _rows_from(
    raw: Iterable[tuple[int, Iterable]], *, max_rows: int | None, columns
) -> list[SheetRow]:
    index: dict[int, str] | None = None
    rows: list[SheetRow] = []
    for number, cells in raw:
        cells = tuple(cells)
        if index is None:
            if number > HEADER_SEARCH_ROWS:
                break
            index = _header_index(cells, columns)
            continue
        values = {key: cells[i] for i, key in index.items() if i < len(cells)}
        if all(_blank(v) for v in values.values()):
            continue
        rows.append(SheetRow(number, values))
        if max_rows is not None and len(rows) > max_rows:
            raise ValidationError(
                _("The file has more than %(max)d rows; split it into smaller files.")
                % {"max": max_rows},
                code="too_many_rows",
            )
    if index is None:
        raise ValidationError(
            _("No header row found: the first rows must hold the template's headers (%(h)s).")
            % {"h": "、".join(c.header for c in columns if c.required)},
            code="no_header",
        )
    if not rows:
        raise ValidationError(_("The file has no rows below the headers."), code="empty")
    return rows


def _header_index(cells: tuple, columns) -> dict[int, str] | None:
    """Column position → key, when `cells` is the header row; None for a row above it."""
    header_keys = {c.header: c.key for c in columns}
    headers = {c.key: c.header for c in columns}
    found = [(i, header_keys[h]) for i, c in enumerate(cells) if (h := _header(c)) in header_keys]
    if len(found) < 2:
        return None
    keys = [key for _i, key in found]
    twice = sorted({headers[k] for k in keys if keys.count(k) > 1})
    if twice:
        raise ValidationError(
            _("These columns appear more than once: %(h)s.") % {"h": "、".join(twice)},
            code="duplicate_header",
        )
    missing = [c.header for c in columns if c.required and c.key not in keys]
    if missing:
        raise ValidationError(
            _("The file lacks these columns: %(h)s.") % {"h": "、".join(missing)},
            code="missing_header",
        )
    return dict(found)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value) -> str:
    """A cell as text: numbers without a spurious '.0', dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def chunks(values: Iterable, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    """`values` in lists of `size`: one IN (...) lookup each, however long the file."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- Row errors and the check -----------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """A bad cell: row number as the spreadsheet shows it, column header, reason."""

    row: int
    column: str
    message: str
    code: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "code": self.code}


class SheetCheck:
    """The base of a layout's check: errors by row and column, and reading cells.

    A row is any object with `number` (as the spreadsheet shows it) and `bad_keys` (a set: the
    columns found bad, so later steps skip them). Every reader records its own error and
    returns None for a bad or empty cell.
    """

    def __init__(self, *, columns, errors: list[RowError]):
        self.columns = columns
        self.headers = {c.key: c.header for c in columns}
        self.errors = errors

    def error(self, row, key: str, message, code: str) -> None:
        row.bad_keys.add(key)
        self.errors.append(RowError(row.number, self.headers[key], str(message), code))

    def cells(self, sheet_row: SheetRow) -> dict[str, str]:
        """Every column of the layout as text ("" for a column the file lacks)."""
        return {c.key: cell_text(sheet_row.values.get(c.key)) for c in self.columns}

    def require_filled(self, row, cells: dict[str, str]) -> None:
        for column in self.columns:
            if column.required and not cells[column.key]:
                self.error(row, column.key, _("This column must be filled in."), "required")

    def choice(self, row, key: str, value: str, words: dict, choices) -> str | None:
        """The stored choice for a word people type (the model's codes are accepted too)."""
        if not value:
            return None
        found = words.get(value) or words.get(value.lower())
        if found is None and value.lower() in choices.values:
            found = value.lower()
        if found is None:
            allowed = "、".join(dict.fromkeys(k for k in words if not k.isascii()))
            self.error(row, key, _("Write one of: %(allowed)s.") % {"allowed": allowed}, "choice")
        return found

    def yes_no(self, row, key: str, value: str) -> bool | None:
        if not value:
            return None
        answer = YES_NO.get(value.lower())
        if answer is None:
            self.error(row, key, _("Write 是 or 否."), "choice")
        return answer

    def date(self, row, key: str, value: str, *, message) -> datetime.date | None:
        """A date in one of the ways people write one (Excel dates arrive as YYYY-MM-DD)."""
        if not value:
            return None
        for fmt in DATE_FORMATS:
            try:
                return datetime.datetime.strptime(value, fmt).date()
            except ValueError:
                continue
        self.error(row, key, message, "date")
        return None

    def too_long(self, row, key: str, value: str, limit: int) -> bool:
        if len(value) <= limit:
            return False
        self.error(
            row,
            key,
            ngettext("At most %(n)d character.", "At most %(n)d characters.", limit) % {"n": limit},
            "too_long",
        )
        return True

    def bad_id_number(self, row, key: str, *, raw, exc: ValidationError, code: str) -> None:
        """An ID number that fails its check; Excel's damage to one is explained."""
        if isinstance(raw, int | float):
            message = _(
                "Excel stored this ID number as a number and dropped its last digits: "
                "format the column as text and type the number again."
            )
        else:
            message = exc.messages[0]
        self.error(row, key, message, code)


# --- The report -------------------------------------------------------------------------


def error_report(errors: list[RowError], *, columns, limit: int) -> dict:
    """The errors part of a dry run's report: in row and column order, the first `limit` of
    them, how many there are and on how many rows."""
    order = {c.header: i for i, c in enumerate(columns)}
    errors = sorted(errors, key=lambda e: (e.row, order.get(e.column, len(order))))
    return {
        "error_count": len(errors),
        "bad_rows": len({e.row for e in errors}),
        "errors": [e.as_dict() for e in errors[:limit]],
    }


# --- The template download --------------------------------------------------------------


def template_workbook(*, columns, text_keys: tuple, title: str) -> bytes:
    """An .xlsx with the headers and one example row; the `text_keys` columns are text (codes
    and ID numbers, which Excel would otherwise turn into numbers). A second sheet describes
    the columns (only the first sheet is read)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(safe_row(c.header for c in columns))
    sheet.append(safe_row(c.example for c in columns))
    for position, column in enumerate(columns, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = max(10, len(column.example) * 1.3 + 2)
        header = sheet.cell(row=1, column=position)
        header.font = Font(bold=True, color="C00000" if column.required else "000000")
        if column.key in text_keys:
            for row in range(2, 1001):  # so Excel keeps what is typed there as text
                sheet.cell(row=row, column=position).number_format = "@"
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("填写说明")
    notes.append(safe_row([_("Header"), _("Required"), _("Format"), _("Example")]))
    for column in columns:
        notes.append(
            safe_row([column.header, column.required_text, str(column.format), column.example])
        )
    notes.column_dimensions["C"].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- The pages --------------------------------------------------------------------------


def upload_page(
    request, form, *, create: Callable[[dict], object], detail: str, template: str, **context
):
    """The upload page: a valid POST stores and checks the file (`create(cleaned_data)`, a
    write that raises ValidationError for a file that won't do) and goes to its report, the
    `detail` URL name; a refused file is shown on the form again, with status 400."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                job = create(form.cleaned_data)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                return redirect(detail, pk=job.pk)
        status = 400
    return render(request, template, {"form": form, **context}, status=status)


def report_errors_page(request, report: dict):
    """The requested page of a report's bad rows (portal/_import_errors.html shows it)."""
    return paginate(request, report.get("errors", []), per_page=REPORT_ERRORS_PER_PAGE)


# A cell starting with one of these is a formula (or becomes one) in Excel, WPS and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Text a spreadsheet will show, never run: a leading = + - @ tab or CR gets a quote."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def safe_value(value):
    """A cell for an export: text through `safe_cell`; numbers, dates and empty cells as they
    are (a negative amount stays a number the reader can add up)."""
    if isinstance(value, str):
        return safe_cell(value)
    if value is None or isinstance(value, int | float | decimal.Decimal | datetime.date):
        return value
    return safe_cell(value)  # lazy translations, model objects: their text


def safe_row(values) -> list:
    """Every cell of a row through `safe_value`."""
    return [safe_value(value) for value in values]


def workbook_response(content: bytes, *, filename: str) -> HttpResponse:
    """An .xlsx download."""
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def layout_views(
    *,
    gate: Callable,
    workbook: Callable[[], bytes],
    filename: str,
    columns,
    title,
    guidance: Iterable = (),
    upload: str,
    download: str,
):
    """The two pages an import offers beside its upload page, for those `gate(user)` lets
    import: the template workbook to download (`workbook()`, saved as `filename`) and the
    layout's help page for the user (portal/import_layout.html, in the portal and in the
    user's language): the `columns` with header, required, format and example, under
    `title` and the `guidance` paragraphs; `upload` and `download` are the URL names of the
    upload page and of the template download."""

    @login_required
    def template(request):
        gate(request.user)
        return workbook_response(workbook(), filename=filename)

    @login_required
    def layout(request):
        gate(request.user)
        context = {
            "title": title,
            "guidance": guidance,
            "columns": columns,
            "upload_url": reverse(upload),
            "template_url": reverse(download),
        }
        return render(request, "portal/import_layout.html", context)

    return template, layout
