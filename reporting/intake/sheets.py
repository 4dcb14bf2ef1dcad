"""A department's spreadsheet read as a form: its field labels, taken from the header row (a
form laid out across) or from the first column (a form laid out down), whichever holds more
labels. A title row above is skipped, and so are the standard header and footer (填报单位,
填报人, 联系电话, 报送日期 ...) and the layout's own column heads (序号, 指标, 数值 ...).

Uses the spreadsheet kit (portal/spreadsheets.py) for the file's type and the cells' text; the
kit's column-layout reader does not apply (a department's form has no fixed columns).
"""

import csv
import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.spreadsheets import EXTENSIONS, cell_text, file_extension
from portal.uploads import SPREADSHEET, upload_check

# The standard header and footer of a form are never fields (shared README).
HEADER_FOOTER = ("填报单位", "填报人", "联系电话", "报送日期", "填报日期", "审核人", "单位负责人")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 300
MAX_COLUMNS = 60
LAYOUT_WORDS = {"序号", "编号", "项目", "指标", "指标名称", "名称", "数值", "数量", "单位", "计量单位", "备注", "内容", "填报内容", "说明", "社区", "社区名称", "单位名称", "网格"}  # fmt: skip


def _grid(uploaded_file) -> list[list[str]]:
    extension = file_extension(uploaded_file.name)
    if extension not in EXTENSIONS:
        raise ValidationError({"file": _("Upload an Excel workbook (.xlsx) or a CSV file (.csv).")})
    if uploaded_file.size > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 2 MB.")})
    try:  # content matching the name, a workbook's unpacked size (portal/uploads.py)
        upload_check(uploaded_file, kinds=SPREADSHEET, max_bytes=MAX_BYTES)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    if extension == ".xlsx":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(uploaded_file, read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()
            rows = [
                [cell_text(v) for v in row[:MAX_COLUMNS]]
                for _n, row in zip(range(MAX_ROWS), sheet.iter_rows(values_only=True), strict=False)
            ]
            workbook.close()
        except Exception:  # openpyxl raises zip, XML and key errors for files it cannot read
            raise ValidationError(
                {"file": _("This file cannot be read as an Excel workbook (.xlsx).")}
            ) from None
        return rows
    data = uploaded_file.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError({"file": _("This CSV file is neither UTF-8 nor GB18030 text.")})
    try:
        return [
            [cell_text(v) for v in row[:MAX_COLUMNS]]
            for _n, row in zip(
                range(MAX_ROWS), csv.reader(io.StringIO(text, newline="")), strict=False
            )
        ]
    except csv.Error:
        raise ValidationError({"file": _("This file cannot be read as CSV.")}) from None


def is_header_footer(label: str) -> bool:
    return "".join((label or "").split()).rstrip(":：") in HEADER_FOOTER


def _is_label(text: str) -> bool:
    if not text or is_header_footer(text):
        return False
    if "".join(text.split()).rstrip(":：") in LAYOUT_WORDS:
        return False
    try:
        float(text.replace(",", ""))
    except ValueError:
        return True
    return False  # a number is a value, not a label


def read_labels(uploaded_file) -> tuple[list[str], str]:
    """(labels in order, layout "columns" or "rows"); ValidationError on `file` when the file
    won't do or holds no labels."""
    rows = [row for row in _grid(uploaded_file) if any(cell.strip() for cell in row)]
    titled = bool(rows) and sum(1 for c in rows[0] if c.strip()) == 1  # a title row above
    body = rows[1:] if titled else rows
    header = next((row for row in body if sum(1 for c in row if c.strip()) >= 2), [])
    across = [c.strip() for c in header if _is_label(c.strip())]
    down = [row[0].strip() for row in body if row and _is_label(row[0].strip())]
    if len(across) > len(down):
        labels, layout = across, "columns"
    else:
        labels, layout = down, "rows"
    if not labels:
        raise ValidationError(
            {"file": _("No field labels found in the header row or the first column.")}
        )
    return labels, layout
