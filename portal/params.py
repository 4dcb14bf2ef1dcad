"""Reading the request: query parameters, path ids and redirect targets, parsed in one place.

Whatever a client sends in a query string or a path — `abc`, `²` (Python's `str.isdigit()`
accepts it), `-1`, a number no column holds (`99999999999999999999999` overflows SQLite and
PostgreSQL's bigint), a month `9999-12` whose next month has no date — is parsed here before it
reaches the database or a date:

- pages: `id_param()`, `year_param()`, `month_param()`, `date_param()` give None for a bad
  value (the page shows its default or an empty list), `id_or_404()` a 404;
- the API: `id_required()`, `year_optional()`, `month_required()`, `date_required()` raise
  Django's ValidationError on the field, which `portal.api.errors` answers as a 400 with the field's message;
- path ids: the `<id:pk>` converter (`portal.converters`) uses the same bound, so a huge id is
  a 404 before the view runs; list filters get the same bounds from `bound_filters()`;
- `safe_next(request, default)`: a `next` taken from the request only if it stays on this host.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

# Primary keys are BigAutoField (settings.DEFAULT_AUTO_FIELD) on every model of the portal:
# PostgreSQL's bigint and SQLite's integer hold up to 2**63 - 1 (SQLite raises OverflowError
# above it, PostgreSQL a DataError or a numeric comparison).
MAX_ID = 2**63 - 1
# An integer column (PositiveIntegerField, and the keys of Django's own auth tables) holds up
# to 2**31 - 1: `id_param(value, maximum=MAX_INT)` for those.
MAX_INT = 2**31 - 1
MAX_ID_DIGITS = len(str(MAX_ID))
# The years a filter or a period may name (as `portal.ui.year_filter`): a date outside is not
# a street office's record, and a year 0 or 99999 has no datetime.
YEAR_MIN, YEAR_MAX = 2000, 2100

_DIGITS = re.compile(r"[0-9]+\Z")  # ASCII only: `²`, `٣` and full-width digits are refused
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")

BAD_ID = _("Give the id as a whole number.")
BAD_YEAR = _("Give a year between %(min)s and %(max)s.")
BAD_MONTH = _("Give the month as YYYY-MM, between %(min)s and %(max)s.")
BAD_DATE = _("Give the date as YYYY-MM-DD, between %(min)s and %(max)s.")


def _text(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def ascii_int(value, *, minimum: int, maximum: int) -> int | None:
    """ASCII digits only, within [minimum, maximum]; else None (never OverflowError)."""
    text = _text(value)
    if not _DIGITS.match(text) or len(text) > MAX_ID_DIGITS:
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


# --- Pages: a bad value is None (the default), or a 404 -----------------------------------------


def id_param(value, *, maximum: int = MAX_ID) -> int | None:
    """A row id from a query parameter, or None for anything else (empty, `abc`, `²`, `-1`, `0`,
    a number no column holds) — the page then shows its default, never a 500."""
    return ascii_int(value, minimum=1, maximum=maximum)


def id_or_404(value, *, maximum: int = MAX_ID) -> int:
    """A row id the page cannot do without: anything else is a 404 like a missing row."""
    number = id_param(value, maximum=maximum)
    if number is None:
        raise Http404
    return number


def year_param(value) -> int | None:
    """A calendar year YEAR_MIN..YEAR_MAX, or None."""
    return ascii_int(value, minimum=YEAR_MIN, maximum=YEAR_MAX)


def month_param(value) -> tuple[int, int] | None:
    """`YYYY-MM` within YEAR_MIN-01..YEAR_MAX-12 as (year, month), or None."""
    found = _MONTH.match(_text(value))
    if found is None:
        return None
    year, month = int(found[1]), int(found[2])
    if not (YEAR_MIN <= year <= YEAR_MAX and 1 <= month <= 12):
        return None
    return year, month


def date_param(value) -> datetime.date | None:
    """`YYYY-MM-DD` (a real day) within the years YEAR_MIN..YEAR_MAX, or None."""
    text = _text(value)
    if not _DATE.match(text):
        return None
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return None
    return day if YEAR_MIN <= day.year <= YEAR_MAX else None


# --- The API: a bad value is a field error (400) ------------------------------------------------


def _field_error(field: str, message) -> ValidationError:
    return ValidationError({field: [message]}, code="invalid")


def id_required(value, field: str, *, maximum: int = MAX_ID) -> int:
    number = id_param(value, maximum=maximum)
    if number is None:
        raise _field_error(field, BAD_ID)
    return number


def year_optional(value, field: str = "year") -> int | None:
    """None for an absent or empty value, the year for a good one, a field error otherwise."""
    if value in (None, ""):
        return None
    year = year_param(value)
    if year is None:
        raise _field_error(field, BAD_YEAR % {"min": YEAR_MIN, "max": YEAR_MAX})
    return year


def month_required(value, field: str = "month") -> tuple[int, int]:
    month = month_param(value)
    if month is None:
        raise _field_error(field, BAD_MONTH % {"min": f"{YEAR_MIN}-01", "max": f"{YEAR_MAX}-12"})
    return month


def date_required(value, field: str) -> datetime.date:
    day = date_param(value)
    if day is None:
        raise _field_error(
            field, BAD_DATE % {"min": f"{YEAR_MIN}-01-01", "max": f"{YEAR_MAX}-12-31"}
        )
    return day


# --- List filters (django-filter): ids and numbers bounded --------------------------------------


def bound_filters(filterset) -> None:
    """Bound the number filters of a FilterSet instance before its form is built.

    A NumberFilter (a DecimalField) on an id or a relation takes 1..MAX_ID; on anything else
    ±MAX_ID (an integer column would otherwise turn `1e999999` into a number of a million
    digits, and SQLite overflows above 2**63 - 1). A bad value is then the filter's field
    error: an empty list on a page (`portal.ui.filtered_page`), a 400 in the API. Model choices
    (ModelChoiceFilter) need nothing: Django answers an id no column holds as "not a valid
    choice".
    """
    import django_filters
    from django_filters.utils import get_model_field

    model = getattr(filterset._meta, "model", None)
    for filter_ in filterset.filters.values():
        if not isinstance(filter_, django_filters.NumberFilter) or isinstance(
            filter_, django_filters.filters.BaseCSVFilter
        ):
            continue
        target = get_model_field(model, filter_.field_name) if model else None
        is_id = (
            target is not None
            and (target.is_relation or target.primary_key)
            and filter_.lookup_expr == "exact"
        )
        filter_.extra.setdefault("min_value", 1 if is_id else -MAX_ID)
        filter_.extra.setdefault("max_value", MAX_ID)
        filter_.__dict__.pop("_field", None)  # a field built before (the schema) is built again


# --- Redirect targets -----------------------------------------------------------------------------


def safe_next(request, default, *, field: str = "next") -> str:
    """The `next` of the request (POST, then GET) if it stays on this host (and on https when
    the request is); else `default` (a URL or a URL name, as `resolve_url` takes)."""
    candidate = request.POST.get(field) or request.GET.get(field) or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(default)
