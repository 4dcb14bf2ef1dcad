"""`?updated_since=<ISO 8601>` on every list: incremental sync for district systems.

Lists of models with an `updated_at` return the rows changed at or after the given time,
ordered by (`updated_at`, `id`) so a client can page through and remember the last time it
saw. Other lists answer 400 (they cannot say what changed), as does a malformed time.
"""

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

PARAM = "updated_since"


def supports_updated_since(model) -> bool:
    try:
        model._meta.get_field("updated_at")
    except FieldDoesNotExist:
        return False
    return True


def parse_updated_since(raw: str):
    # An unencoded "+08:00" arrives as " 08:00": take the space back for a plus.
    value = raw.strip()
    if "T" in value and " " in value:
        value = value.replace(" ", "+")
    try:
        parsed = parse_datetime(value)
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise exceptions.ValidationError(
            {PARAM: [_("Give a date and time such as 2026-01-31T08:00:00+08:00.")]}
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def updated_since_filter(request, queryset):
    raw = request.query_params.get(PARAM)
    if raw is None:
        return queryset
    if not supports_updated_since(queryset.model):
        raise exceptions.ValidationError(
            {PARAM: [_("This list cannot be filtered by update time.")]}
        )
    since = parse_updated_since(raw)
    return queryset.filter(updated_at__gte=since).order_by("updated_at", "pk")
