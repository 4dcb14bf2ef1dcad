"""The spreadsheet kit on its own: reading .xlsx and .csv files, the header row, row errors, the
report, and the template workbook read back by the reader."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import translation
from openpyxl import Workbook, load_workbook

from portal import spreadsheets
from portal.spreadsheets import (
    Column,
    RowError,
    SheetCheck,
    SheetRow,
    cell_text,
    error_report,
    read_sheet,
    read_upload,
    template_workbook,
)

COLUMNS = (
    Column("code", "编号", True, "Up to 8 characters.", "0012"),
    Column("name", "姓名", True, "A name.", "王秀英"),
    Column("colour", "颜色", False, "红 or 蓝.", "红", required_when="When asked"),
    Column("born", "出生日期", False, "YYYY-MM-DD.", "1949-12-31"),
)
HEADERS = [c.header for c in COLUMNS]


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    for cells in rows:
        workbook.active.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv(rows, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def _read(content: bytes, name: str, **kwargs) -> list[SheetRow]:
    return read_sheet(io.BytesIO(content), filename=name, columns=COLUMNS, **kwargs)


def _message(caught) -> str:
    return " ".join(caught.value.messages)


# --- Reading ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda rows: ("t.xlsx", _xlsx(rows)), id="xlsx"),
        pytest.param(lambda rows: ("t.csv", _csv(rows)), id="csv-utf8-bom"),
        pytest.param(lambda rows: ("t.csv", _csv(rows, "utf-8")), id="csv-utf8"),
        pytest.param(lambda rows: ("t.CSV", _csv(rows, "gb18030")), id="csv-gb18030"),
    ],
)
def test_rows_below_a_title_keep_the_numbers_the_user_sees(make):
    name, content = make(
        [
            ["三月名单"],  # a title row above the headers
            ["备注", "姓名 *", "编号"],  # another order, a marked header, a column not ours
            ["x", "王秀英", "0012"],
            ["", "", ""],  # blank: skipped
            ["y", "李建国", "7"],
        ]
    )

    rows = _read(content, name)

    assert [(r.number, cell_text(r.values["name"]), cell_text(r.values["code"])) for r in rows] == [
        (3, "王秀英", "0012"),
        (5, "李建国", "7"),
    ]
    assert set(rows[0].values) == {"name", "code"}  # columns the file lacks are absent


def test_excel_cells_become_text_as_people_typed_them():
    assert cell_text(None) == ""
    assert cell_text(7.0) == "7"
    assert cell_text(7.5) == "7.5"
    assert cell_text(True) == "是"
    assert cell_text(date(1949, 12, 31)) == "1949-12-31"
    assert cell_text(datetime(1949, 12, 31, 8, 30)) == "1949-12-31"
    assert cell_text("  王 ") == "王"


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        ([["姓名", "编号", "姓名"], ["王", "1", "王"]], "duplicate_header"),
        ([["姓名", "颜色"], ["王", "红"]], "missing_header"),
        ([["a", "b"], ["1", "2"]], "no_header"),
        ([HEADERS], "empty"),
        ([HEADERS, ["1", "王"], ["2", "李"], ["3", "张"]], "too_many_rows"),
    ],
)
def test_a_file_that_will_not_do_is_refused_with_a_reason(rows, code):
    with pytest.raises(ValidationError) as caught:
        _read(_csv(rows), "t.csv", max_rows=2)
    assert caught.value.code == code


def test_the_header_must_be_among_the_top_rows():
    rows = [["标题"]] * spreadsheets.HEADER_SEARCH_ROWS + [HEADERS, ["1", "王"]]
    with pytest.raises(ValidationError) as caught:
        _read(_csv(rows), "t.csv")
    assert caught.value.code == "no_header"
    assert _read(_csv(rows[1:]), "t.csv")[0].number == spreadsheets.HEADER_SEARCH_ROWS + 1


def test_the_missing_columns_are_named():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        _read(_csv([["编号", "颜色"], ["1", "红"]]), "t.csv")
    assert "姓名" in _message(caught)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("t.xls", b"\xd0\xcf\x11\xe0", "extension"),
        ("t.xlsx", b"not a zip", "unreadable"),
        ("t.csv", b"\xff\xfe\x00\xd8" * 3, "encoding"),
    ],
)
def test_unreadable_files(name, content, code):
    with pytest.raises(ValidationError) as caught:
        _read(content, name)
    assert caught.value.code == code


# --- Uploads ----------------------------------------------------------------------------


def test_an_upload_is_read_and_left_at_its_start_for_storing():
    content = _csv([HEADERS, ["1", "王"]])
    uploaded = SimpleUploadedFile("../名单.csv", content)

    upload = read_upload(uploaded, columns=COLUMNS, max_bytes=1024, max_rows=10)

    assert (upload.name, upload.extension, len(upload.rows)) == ("名单.csv", ".csv", 1)
    assert upload.storage_name.endswith(".csv") and "名单" not in upload.storage_name
    assert uploaded.read() == content
    uploaded.seek(0)
    again = read_upload(uploaded, columns=COLUMNS, max_bytes=1024, max_rows=10)
    assert again.storage_name != upload.storage_name


@pytest.mark.parametrize(
    ("name", "max_bytes", "max_rows", "part"),
    [
        ("t.txt", 1024, 10, ".xlsx"),
        ("t.csv", 10, 10, "MB"),
        ("t.csv", 1024, 0, "0"),
    ],
)
def test_a_refused_upload_is_an_error_on_the_file_field(name, max_bytes, max_rows, part):
    uploaded = SimpleUploadedFile(name, _csv([HEADERS, ["1", "王"]]))
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        read_upload(uploaded, columns=COLUMNS, max_bytes=max_bytes, max_rows=max_rows)
    assert list(caught.value.message_dict) == ["file"]
    assert part in caught.value.message_dict["file"][0]


# --- Row errors and the report ----------------------------------------------------------


@dataclass
class _Row:
    number: int
    bad_keys: set = field(default_factory=set)


class Colour(models.TextChoices):
    RED = "red", "红"
    BLUE = "blue", "蓝"


def test_the_check_records_each_bad_cell_by_row_and_header():
    errors: list[RowError] = []
    check = SheetCheck(columns=COLUMNS, errors=errors)
    row = _Row(7)
    cells = check.cells(SheetRow(7, {"code": 12.0, "colour": "绿"}))

    assert cells == {"code": "12", "name": "", "colour": "绿", "born": ""}
    check.require_filled(row, cells)
    assert check.choice(row, "colour", cells["colour"], {"红": Colour.RED}, Colour) is None
    assert check.choice(row, "colour", "BLUE", {"红": Colour.RED}, Colour) == "blue"  # a code
    assert check.choice(row, "colour", "红", {"红": Colour.RED}, Colour) == Colour.RED
    assert check.yes_no(row, "colour", "是") is True
    assert check.yes_no(row, "colour", "也许") is None
    assert check.date(row, "born", "1949年12月31日", message="date?") == date(1949, 12, 31)
    assert check.date(row, "born", "1949-02-30", message="date?") is None
    assert check.too_long(row, "code", "123456789", 8) is True
    assert check.too_long(row, "code", "12345678", 8) is False

    assert [(e.row, e.column, e.code) for e in errors] == [
        (7, "姓名", "required"),
        (7, "颜色", "choice"),
        (7, "颜色", "choice"),
        (7, "出生日期", "date"),
        (7, "编号", "too_long"),
    ]
    assert errors[3].message == "date?"
    assert row.bad_keys == {"name", "colour", "born", "code"}


def test_an_id_number_excel_stored_as_a_number_is_explained():
    errors: list[RowError] = []
    check = SheetCheck(columns=COLUMNS, errors=errors)
    exc = ValidationError("bad check character", code="checksum")
    with translation.override("en"):
        check.bad_id_number(_Row(2), "code", raw=110105194912310000.0, exc=exc, code="id")
        check.bad_id_number(_Row(3), "code", raw="11010519491231002Y", exc=exc, code="id")
    assert "Excel" in errors[0].message
    assert errors[1].message == "bad check character"


def test_the_report_lists_errors_in_row_and_column_order_up_to_its_limit():
    errors = [
        RowError(5, "姓名", "b", "x"),
        RowError(3, "出生日期", "c", "x"),
        RowError(3, "编号", "a", "x"),
        RowError(5, "其他", "d", "x"),  # not a column of the layout: last in its row
    ]

    report = error_report(errors, columns=COLUMNS, limit=3)

    assert report["error_count"] == 4
    assert report["bad_rows"] == 2
    assert [e["message"] for e in report["errors"]] == ["a", "c", "b"]
    assert report["errors"][0] == {"row": 3, "column": "编号", "message": "a", "code": "x"}


# --- The template -----------------------------------------------------------------------


def test_the_template_reads_back_as_its_example_row():
    content = template_workbook(columns=COLUMNS, text_keys=("code",), title="示例")

    rows = _read(content, "template.xlsx")

    assert [(r.number, {k: cell_text(v) for k, v in r.values.items()}) for r in rows] == [
        (2, {c.key: c.example for c in COLUMNS})
    ]
    workbook = load_workbook(io.BytesIO(content))
    sheet, notes = workbook.worksheets
    assert sheet.title == "示例"
    assert sheet["A3"].number_format == "@"  # codes stay text where people type them
    assert sheet["B3"].number_format != "@"
    with translation.override("en"):
        assert [c.value for c in notes[4]] == ["颜色", "When asked", "红 or 蓝.", "红"]


def test_downloads():
    response = spreadsheets.workbook_response(b"xlsx", filename="t.xlsx")
    assert response["Content-Type"] == spreadsheets.XLSX_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="t.xlsx"'
