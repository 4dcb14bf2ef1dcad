"""Values from the data: a field's figure for a period and an area, computed through the
registry of portal/figures.py from the mapping in force (FieldReview) — or NOT_COMPUTED.

- same: the element for the form's own span (a stock as of its end, a flow over it);
- derivable, from the engine's derivation:
  - window: the same flow over another span (本年累计 → 1 January to the end, 上年同期 → the
    span a year earlier, 上月 / 上季度 / 上半年 ...);
  - date: the same stock at another date (上月末, 上年末 / 年初, 期初 ...);
  - change: the stock at the end minus the stock at the reference date (较上月增减 ...);
  - scale: an amount in 元 asked in 万元 (an exact decimal shift);
  - ratio, sum, difference: arithmetic on the elements at the form's span (a ratio is a
    percentage when the label says 率 / 比例 / 占比 / %, else a quotient), two places;
- anything else (分月 lists, 月均 of a stock, an unknown window, a computation no module
  registers, a list where a number is asked): NOT_COMPUTED — the field is then asked of the
  communities, never filled with a guess.
"""

from __future__ import annotations

import calendar
import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from portal.figures import FigureList, Span, figure_compute, figure_ids


class _NotComputed:
    def __repr__(self):
        return "NOT_COMPUTED"

    def __bool__(self):
        return False


NOT_COMPUTED = _NotComputed()
TWO_PLACES = Decimal("0.01")
PERCENT_WORDS = re.compile(r"率|比例|占比|比重|百分比|%|％")


# --- Dates ------------------------------------------------------------------------------------


def month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def previous_month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=1) - datetime.timedelta(days=1)


def quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def previous_quarter_end(day: datetime.date) -> datetime.date:
    return quarter_start(day) - datetime.timedelta(days=1)


def year_back(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def window_span(said: str, span: Span) -> Span | None:
    """The span a window word means, relative to the form's span; None when it is not one
    value over one span (分月, 各月, 月均 ...)."""
    said = (said or "").strip()
    end = span.end
    if re.fullmatch(r"1-(\d+)月(?:累计)?|1至(\d+)月", said):
        month = int(re.findall(r"\d+", said)[-1])
        if 1 <= month <= 12 and month_end(end.year, month) <= end:
            return Span(datetime.date(end.year, 1, 1), month_end(end.year, month))
        return None
    if said in (
        "本年累计", "本年度累计", "年度累计", "全年累计", "1-本月累计", "1月至本月", "年初至今",
        "累计至本月", "本年以来", "今年以来", "本年", "本年度", "当年", "年度", "全年",
    ):  # fmt: skip
        return Span(datetime.date(end.year, 1, 1), end)
    if said in ("上年同期", "去年同期", "同期"):
        return Span(year_back(span.start), year_back(span.end))
    if said == "上月":
        last = previous_month_end(end)
        return Span(last.replace(day=1), last)
    if said in ("上季度", "上季"):
        last = previous_quarter_end(end)
        return Span(quarter_start(last), last)
    if said == "上半年":
        return Span(datetime.date(end.year, 1, 1), datetime.date(end.year, 6, 30))
    if said == "下半年":
        return Span(datetime.date(end.year, 7, 1), datetime.date(end.year, 12, 31))
    return None


def reference_date(said: str, span: Span) -> datetime.date | None:
    """The date a date word (or the reference of a change word) means; None if unknown."""
    said = (said or "").strip()
    end = span.end
    if said in ("上月末", "较上月增减", "比上月增减", "环比增减", "上月"):
        return previous_month_end(end)
    if said in ("上季末", "上季度末", "较上季度增减", "较上季增减"):
        return previous_quarter_end(end)
    if said in ("上年末", "去年末", "年初", "较上年增减", "较上年末增减", "比上年增减"):
        return datetime.date(end.year - 1, 12, 31)
    if said in (
        "期初",
        "上期末",
        "增减",
        "净增",
        "净增减",
        "增减量",
        "增减数",
        "增减变化",
        "增减情况",
    ):
        return span.start - datetime.timedelta(days=1)
    if said == "月末":
        return month_end(end.year, end.month)
    if said == "季末":
        start = quarter_start(end)
        return month_end(start.year, start.month + 2)
    if said == "年末":
        return datetime.date(end.year, 12, 31)
    return None


# --- Values -----------------------------------------------------------------------------------


def _number(value):
    """A count, sum or rate as a Decimal; NOT_COMPUTED for a list or an empty rate."""
    if value is None or isinstance(value, FigureList | bool):
        return NOT_COMPUTED
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return NOT_COMPUTED


def _compute(code: str, span: Span, area, reader):
    if code not in figure_ids():
        return NOT_COMPUTED
    return figure_compute(code, span=span, area=area, reader=reader)


def _stock_at(code: str, day: datetime.date, area, reader):
    return _compute(code, Span(day, day), area, reader)


def field_value(
    *,
    element,
    relation: str,
    derivation: dict | None,
    label: str,
    span: Span,
    area=None,
    reader=None,
):
    """The field's value for `span` and `area`, or NOT_COMPUTED (see the module's docstring).
    `element` is the DataElement in force; `derivation` the engine's, as stored."""
    if element is None or not element.computable:
        return NOT_COMPUTED
    if relation == "same":
        return _compute(element.code, span, area, reader)
    if relation != "derivable" or not derivation:
        return NOT_COMPUTED
    kind = derivation.get("kind")
    codes = list(derivation.get("elements") or []) or [element.code]
    said = derivation.get("window") or ""
    if kind == "window":
        if element.period != "flow":
            return NOT_COMPUTED
        other = window_span(said, span)
        return NOT_COMPUTED if other is None else _compute(element.code, other, area, reader)
    if kind == "date":
        day = reference_date(said, span)
        if day is None or element.period != "stock":
            return NOT_COMPUTED
        return _stock_at(element.code, day, area, reader)
    if kind == "change":
        day = reference_date(said, span)
        if day is None or element.period != "stock":
            return NOT_COMPUTED
        now = _number(_compute(element.code, span, area, reader))
        then = _number(_stock_at(element.code, day, area, reader))
        if now is NOT_COMPUTED or then is NOT_COMPUTED:
            return NOT_COMPUTED
        return now - then
    if kind == "scale":  # 万元 for an element in 元: an exact decimal shift
        value = _number(_compute(element.code, span, area, reader))
        if value is NOT_COMPUTED or element.unit != "元" or "万元" not in (label or ""):
            return NOT_COMPUTED
        return value / 10000
    if kind in ("ratio", "sum", "difference"):
        values = [_number(_compute(code, span, area, reader)) for code in codes]
        if any(v is NOT_COMPUTED for v in values) or len(values) < 2:
            return NOT_COMPUTED
        if kind == "sum":
            return sum(values, Decimal(0))
        if kind == "difference":
            return values[0] - sum(values[1:], Decimal(0))
        if len(values) != 2 or values[1] == 0:
            return NOT_COMPUTED
        quotient = values[0] / values[1]
        if PERCENT_WORDS.search(label or ""):
            quotient *= 100
        return quotient.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return NOT_COMPUTED


def to_json(value):
    """A computed value as the answer's JSON: whole numbers as integers, other numbers as they
    were computed (rates come with two places), a list as {columns, rows} with its cells as text."""
    if isinstance(value, FigureList):
        return {
            "columns": list(value.columns),
            "rows": [
                {
                    key: cell if isinstance(cell, int | str) or cell is None else str(cell)
                    for key, cell in row.items()
                }
                for row in value.rows
            ],
        }
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    return value


def review_value(review, *, span: Span, area=None, reader=None):
    """`field_value` for a FieldReview (with its field and element loaded)."""
    if not review.mapped:
        return NOT_COMPUTED
    return field_value(
        element=review.element,
        relation=review.relation,
        derivation=review.derivation,
        label=review.field.label,
        span=span,
        area=area,
        reader=reader,
    )
