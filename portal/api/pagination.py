"""The API's pagination (docs/api.md, "Pagination"): page numbers, or keyset cursors for the
clients that ask for them.

- **Page numbers** (`?page=2&page_size=50`, the default): `count`, `next`, `previous`,
  `results`. The count stops at `settings.LIST_COUNT_CAP` rows (10,000,
  `portal.paginator.CappedPaginator`): exact up to there, and beyond it `count` is the cap,
  `count_capped: true` is added and page numbers stop at the cap — a count never walks the district.
- **Cursors** (`?cursor=`: empty for the first page, then the `next` or `previous` link as
  given): DRF's CursorPagination, so no count and no OFFSET — on an indexed order a page deep
  in the district costs what the first one does. DRF keeps the value of the first ordering field as the
  position, plus an offset among rows of equal value; that skips or repeats rows when rows of
  that value come or go between two pages, and gives up past `offset_cutoff` (an import gives
  thousands of rows one `updated_at`). Here the order always ends with `id`, the position is
  the whole key, and the filter compares all of it (`_beyond`), so every row has a position
  of its own and DRF's offsets are never needed.

The order of a cursor walk is the list's own order (its `?ordering=`, the `updated_at, id`
of `?updated_since=`, or its default) with `id` appended; a list ordered through related rows
(`resident__name`) or by an expression is walked by `id`, and an explicit `?ordering=` that
cannot be walked is a 400.
"""

import datetime
import json
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, FieldError, ValidationError
from django.db import connections
from django.db.models import Field, Q, QuerySet
from django.utils import timezone
from django.utils.duration import duration_iso_string
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings

from portal.paginator import CappedPaginator

PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
CURSOR_PARAM = "cursor"
PAGE_SIZE_PARAM = "page_size"

INVALID_CURSOR = _(
    "This cursor is not valid. Start again with an empty cursor (?cursor=) and follow the "
    "next and previous links as given."
)
CURSOR_FOR_ANOTHER_ORDER = _(
    "This cursor was made for another order of the list. Keep the query of the link you "
    "followed, or start again with an empty cursor."
)
ORDERING_NOT_FOR_CURSOR = _(
    "This ordering cannot be paged with a cursor: order by the list's own fields, or use page "
    "numbers."
)
# The links of a cursor page as the schema shows them: after, and before, the row of id 486.
EXAMPLE_URL = "https://portal.example/api/v1/households/"
CURSOR_EXAMPLES = {
    "next": "cD0lN0IlMjJpZCUyMiUzQTQ4NiU3RA%3D%3D",
    "previous": "cj0xJnA9JTdCJTIyaWQlMjIlM0E0ODYlN0Q%3D",
}
NOTHING = Q(pk__in=[])  # a condition no row meets


@dataclass(frozen=True)
class Key:
    """One column of a cursor's order: `name` as given to order_by() and filter(), `attr` where
    the value sits on a row (a model instance or a `.values()` dict), `field` to parse it."""

    name: str
    attr: str
    field: Field
    descending: bool
    nullable: bool

    @property
    def order(self) -> str:
        return f"-{self.name}" if self.descending else self.name

    def value_of(self, row):
        return row[self.attr] if isinstance(row, dict) else getattr(row, self.attr)


def _key(queryset: QuerySet, entry) -> Key | None:
    """The Key for one entry of the queryset's order_by, or None when a keyset cannot follow
    it: an expression, a path through related rows, or a relation (Django orders a relation by
    the related model's own ordering)."""
    if not isinstance(entry, str) or entry == "?":
        return None
    descending = entry.startswith("-")
    name = entry.removeprefix("-")
    if not name or "__" in name:
        return None
    opts = queryset.model._meta
    if name == "pk":
        name = opts.pk.name
    if name in queryset.query.annotations:
        try:
            field = queryset.query.annotations[name].output_field
        except FieldError:
            return None
        return Key(name, name, field, descending, nullable=True)
    try:
        field = opts.get_field(name)
    except FieldDoesNotExist:
        field = next((f for f in opts.concrete_fields if f.attname == name), None)
        if field is None or not field.is_relation:
            return None
        # `grid_id`: the column itself, its values those of the related primary key.
        return Key(name, name, field.target_field, descending, nullable=field.null)
    if not field.concrete or field.is_relation:
        return None
    return Key(name, field.attname, field, descending, nullable=field.null)


def cursor_keys(queryset: QuerySet, *, ordering_requested: bool) -> list[Key]:
    """The unique order a cursor walks: the queryset's order up to and including its primary
    key, with the primary key appended when it is not there."""
    query = queryset.query
    if query.order_by:
        entries = list(query.order_by)
    elif query.default_ordering:
        entries = list(queryset.model._meta.ordering)
    else:
        entries = []
    keys: list[Key] = []
    pk_name = queryset.model._meta.pk.name
    for entry in entries:
        key = _key(queryset, entry)
        if key is None:
            if ordering_requested:
                raise exceptions.ValidationError({"ordering": [ORDERING_NOT_FOR_CURSOR]})
            keys = []  # the list's order cannot be walked: walk it by id
            break
        keys.append(key)
        if key.name == pk_name:
            return keys  # unique already: anything after the primary key orders nothing
    pk = queryset.model._meta.pk
    return [*keys, Key(pk_name, pk.attname, pk, descending=False, nullable=False)]


def cursor_columns(queryset: QuerySet) -> list[str]:
    """Where a cursor's key sits on a row: what a list paged from `.values()` rows must select
    so that each row's position can be read."""
    return [key.attr for key in cursor_keys(queryset, ordering_requested=False)]


def _encode(value):
    """A key value as JSON: exactly, so that the position compares equal to the row's value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()  # microseconds kept (DjangoJSONEncoder drops them)
    return str(value)  # Decimal, UUID


def _decode(key: Key, raw):
    """A position value back into the key's Python type; a forged one is a 400, never a query
    the database refuses (out of range, a NUL byte, a naive time)."""
    if raw is None:
        if not key.nullable:
            raise exceptions.ValidationError({CURSOR_PARAM: [INVALID_CURSOR]})
        return None
    if not isinstance(raw, str | int | float) or (isinstance(raw, str) and "\x00" in raw):
        raise exceptions.ValidationError({CURSOR_PARAM: [INVALID_CURSOR]})
    try:
        value = key.field.to_python(raw)
        key.field.run_validators(value)  # an integer column's range, a CharField's length
    except (ValidationError, TypeError, ValueError, OverflowError, AttributeError):
        raise exceptions.ValidationError({CURSOR_PARAM: [INVALID_CURSOR]}) from None
    if isinstance(value, datetime.datetime) and timezone.is_naive(value):
        raise exceptions.ValidationError({CURSOR_PARAM: [INVALID_CURSOR]})
    return value


def _strictly_beyond(key: Key, value, *, forward: bool, nulls_largest: bool) -> Q:
    """Rows whose `key` lies strictly beyond `value` in the walk. NULL sorts as the largest
    value on PostgreSQL (`nulls_order_largest`) and as the smallest on SQLite, whichever the
    direction: that decides on which side the NULLs lie."""
    larger = forward != key.descending  # the walk goes towards larger values of this key
    if value is None:
        return Q(**{f"{key.name}__isnull": False}) if larger != nulls_largest else NOTHING
    beyond = Q(**{f"{key.name}__{'gt' if larger else 'lt'}": value})
    if key.nullable and larger == nulls_largest:
        beyond |= Q(**{f"{key.name}__isnull": True})
    return beyond


def _equal(key: Key, value) -> Q:
    if value is None:
        return Q(**{f"{key.name}__isnull": True})
    return Q(**{key.name: value})


def _beyond(keys: list[Key], values: list, *, forward: bool, nulls_largest: bool) -> Q:
    """Rows after the position (before it, walking back): (k1, k2, …) > (v1, v2, …) spelt out
    as k1 > v1 OR (k1 = v1 AND (k2 > v2 OR …)), with `k1 >= v1` in front so that PostgreSQL
    reads the first key's index from the position on instead of filtering the whole list."""
    condition = None
    for key, value in reversed(list(zip(keys, values, strict=True))):
        beyond = _strictly_beyond(key, value, forward=forward, nulls_largest=nulls_largest)
        condition = beyond if condition is None else beyond | (_equal(key, value) & condition)
    first, start = keys[0], values[0]
    larger = forward != first.descending
    if start is not None and not (first.nullable and larger == nulls_largest):
        condition &= Q(**{f"{first.name}__{'gte' if larger else 'lte'}": start})
    return condition


class KeysetCursorPagination(CursorPagination):
    """DRF's CursorPagination with the whole key as the position (see the module docstring).

    DRF decodes and encodes the cursor, builds the next and previous links, walks back for
    `previous` and describes itself in the schema. Two things differ: the position is a JSON
    object of the key's values (`_get_position_from_instance`), and the rows beyond it are
    found here (`paginate_queryset`, `_beyond`) before DRF takes the page, so DRF is handed a
    cursor without a position and is told afterwards where the page started.
    """

    page_size = PAGE_SIZE
    page_size_query_param = PAGE_SIZE_PARAM
    max_page_size = MAX_PAGE_SIZE
    cursor_query_param = CURSOR_PARAM
    cursor_query_description = _(
        "Keyset pagination: send an empty cursor for the first page, then follow the next "
        "and previous links as given. The answer carries no count."
    )
    invalid_cursor_message = INVALID_CURSOR
    ordering = ("pk",)  # replaced per list by cursor_keys()

    def paginate_queryset(self, queryset, request, view=None):
        ordering_requested = bool(request.query_params.get(api_settings.ORDERING_PARAM))
        self.keys = cursor_keys(queryset, ordering_requested=ordering_requested)
        given = self._given_cursor(request)
        position = None if given is None else self._position_values(given.position)
        if position is not None:
            nulls_largest = connections[queryset.db].features.nulls_order_largest
            forward = not given.reverse
            queryset = queryset.filter(
                _beyond(self.keys, position, forward=forward, nulls_largest=nulls_largest)
            )
        page = super().paginate_queryset(queryset, request, view)  # DRF: cursor without position
        if position is not None:
            # The filter above did what DRF does with a position: tell DRF where this page
            # started, for the link back (or forward, when walking back).
            start = self._position_text(
                {key.name: value for key, value in zip(self.keys, position, strict=True)}
            )
            if given.reverse:
                self.has_next, self.next_position = True, start
            else:
                self.has_previous, self.previous_position = True, start
            self.display_page_controls = self.template is not None
        return page

    def get_ordering(self, request, queryset, view):
        return tuple(key.order for key in self.keys)

    def decode_cursor(self, request):
        """The cursor DRF works with: the given one without its position (see the class)."""
        given = self._given_cursor(request)
        return None if given is None else given._replace(position=None)

    def _given_cursor(self, request) -> Cursor | None:
        """DRF's decoding of `?cursor=`; a bad cursor is a 400 on `cursor` (DRF: a 404)."""
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({CURSOR_PARAM: [INVALID_CURSOR]}) from None
        if cursor is not None and cursor.offset:
            # Positions here are unique, so the links never carry an offset.
            raise exceptions.ValidationError({CURSOR_PARAM: [INVALID_CURSOR]})
        return cursor

    def _position_values(self, text: str | None) -> list | None:
        """The key's values from a position (JSON: {key name: value}), checked and parsed."""
        if text is None:
            return None
        try:
            given = json.loads(text)
        except ValueError:
            raise exceptions.ValidationError({CURSOR_PARAM: [INVALID_CURSOR]}) from None
        if not isinstance(given, dict):
            raise exceptions.ValidationError({CURSOR_PARAM: [INVALID_CURSOR]})
        if set(given) != {key.name for key in self.keys}:
            raise exceptions.ValidationError({CURSOR_PARAM: [CURSOR_FOR_ANOTHER_ORDER]})
        return [_decode(key, given[key.name]) for key in self.keys]

    @staticmethod
    def _position_text(values: dict) -> str:
        encoded = {name: _encode(value) for name, value in values.items()}
        return json.dumps(encoded, ensure_ascii=False, separators=(",", ":"))

    def _get_position_from_instance(self, instance, ordering):
        return self._position_text({key.name: key.value_of(instance) for key in self.keys})


class PortalPagination(PageNumberPagination):
    """20 rows a page by default; clients may ask for up to 200 with `page_size`; the count
    stops at the cap (then `count_capped: true`). A request with `?cursor=` is paged by
    KeysetCursorPagination instead (no count)."""

    django_paginator_class = CappedPaginator
    invalid_page_message = _("Invalid page {page_number}: {message}")
    page_size = PAGE_SIZE
    page_size_query_param = PAGE_SIZE_PARAM
    max_page_size = MAX_PAGE_SIZE

    cursor_pagination: KeysetCursorPagination | None = None

    def paginate_queryset(self, queryset, request, view=None):
        if CURSOR_PARAM not in request.query_params:
            self.cursor_pagination = None
            return super().paginate_queryset(queryset, request, view)
        self.cursor_pagination = KeysetCursorPagination()
        page = self.cursor_pagination.paginate_queryset(queryset, request, view)
        self.display_page_controls = self.cursor_pagination.display_page_controls
        return page

    def get_paginated_response(self, data):
        if self.cursor_pagination is not None:
            return self.cursor_pagination.get_paginated_response(data)
        paginator = self.page.paginator
        body = {"count": paginator.count}
        if paginator.capped:
            body["count_capped"] = True  # only then: an uncapped page keeps DRF's shape
        body.update(next=self.get_next_link(), previous=self.get_previous_link(), results=data)
        return Response(body)

    def get_html_context(self):
        if self.cursor_pagination is not None:
            return self.cursor_pagination.get_html_context()
        return super().get_html_context()

    def to_html(self):
        if self.cursor_pagination is not None:
            return self.cursor_pagination.to_html()
        return super().to_html()

    def get_schema_operation_parameters(self, view):
        cursor = KeysetCursorPagination().get_schema_operation_parameters(view)
        return [
            *super().get_schema_operation_parameters(view),
            *(p for p in cursor if p["name"] == CURSOR_PARAM),
        ]

    def get_paginated_response_schema(self, schema):
        """One of two shapes: the page-number page (with `count`), or, with `?cursor=`, the
        cursor page (no `count`; nothing else either, so that exactly one shape matches)."""
        page = super().get_paginated_response_schema(schema)
        page["properties"] = {
            "count": {
                **page["properties"]["count"],
                "description": "Rows in the list, counted up to the cap (10,000 by default).",
            },
            "count_capped": {
                "type": "boolean",
                "example": True,
                "description": (
                    "Present (true) only when the list has more rows than `count`: page "
                    "numbers reach the first `count` rows; walk further with `?cursor=`."
                ),
            },
            **{k: v for k, v in page["properties"].items() if k != "count"},
        }
        by_cursor = KeysetCursorPagination().get_paginated_response_schema(schema)
        by_cursor["additionalProperties"] = False
        for link, cursor in CURSOR_EXAMPLES.items():
            by_cursor["properties"][link]["example"] = f"{EXAMPLE_URL}?{CURSOR_PARAM}={cursor}"
        return {"oneOf": [page, by_cursor]}
