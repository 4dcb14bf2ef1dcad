"""The registry of the catalogue's computable data elements (数据元).

The foundation imports no module. Each module registers, in its AppConfig.ready(), the
selectors that compute the elements it owns, keyed by the catalogue's element id
(`DE001`...). The reporting module asks `figure_compute()` and never imports the owners.

A computation is called as `fn(*, span, area, reader)` and returns
- a `Decimal` or an `int` for a count or a sum,
- a `Decimal` percentage (0–100, two places) or `None` (empty denominator) for a rate,
- a `FigureList` for a list element (its columns named in the element's definition).

`span` is the reporting period: a stock is taken as of `span.end`, a flow counts
`span.start <= day <= span.end`. `area` is `None` for the whole street, or a community
`Region`, or a `Grid`. `reader` is the user who will read a list (masking follows what they
may see); `None` is the system, which gets masked lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Span:
    """A reporting period, both ends inclusive."""

    start: date
    end: date

    def __post_init__(self):
        if self.start > self.end:
            raise ValueError("a span's start is after its end")


@dataclass
class FigureList:
    """A list element's answer: column labels (as the catalogue names them) and rows."""

    columns: list[str]
    rows: list[dict] = field(default_factory=list)

    def __len__(self):
        return len(self.rows)


_computations: dict[str, Callable] = {}


def figure(element_id: str):
    """Decorator: register `fn` as the computation of `element_id`."""

    def register(fn: Callable) -> Callable:
        existing = _computations.get(element_id)
        if existing is not None and existing is not fn:
            raise ValueError(f"{element_id} is already computed by {existing.__qualname__}")
        _computations[element_id] = fn
        return fn

    return register


def figure_ids() -> set[str]:
    """The element ids some module computes."""
    return set(_computations)


def figure_compute(element_id: str, *, span: Span, area=None, reader=None):
    """Compute one element for a period and an area; KeyError if no module computes it."""
    return _computations[element_id](span=span, area=area, reader=reader)
