"""The `<id:pk>` path converter: a row id that a column can hold, or no match (a 404).

Django's `<id:pk>` matches any run of digits, so `/grids/residents/99999999999999999999999/`
reached the database (OverflowError on SQLite, a DataError on PostgreSQL for an integer
column). This one takes 1..MAX_ID (portal.params, the bound every query parameter uses);
anything else raises ValueError, which Django's resolver answers as "no match": a 404.
Registered as "id" in portal/apps.py (ready), before any URLconf is read.
"""

from django.urls.converters import REGISTERED_CONVERTERS, register_converter

from portal.params import MAX_ID_DIGITS, id_param


class IdConverter:
    # ASCII digits only (no `²`); the length is bounded here, the value in to_python.
    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        number = id_param(value)
        if number is None:
            raise ValueError(value)
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def converters_register() -> None:
    if "id" not in REGISTERED_CONVERTERS:
        register_converter(IdConverter, "id")
