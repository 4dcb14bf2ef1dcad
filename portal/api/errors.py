"""Errors as JSON with field messages, including validation raised inside services."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from portal.middleware import out_of_range_error

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    """Services raise Django's ValidationError; the API answers it as a 400 with fields.

    `{"field": ["message"]}` for field errors, `{"non_field_errors": [...]}` otherwise —
    the same shape DRF's serializers produce.

    The safety net under `portal.params`: a number out of a column's range that still reached
    the database (SQLite's OverflowError, PostgreSQL's "out of range" DataError) is a 400, and
    is logged as a bug — the parameter should have been parsed before.
    """
    if out_of_range_error(exc):
        request = context.get("request")
        logger.error(
            "Unparsed input out of range reached the database: %s %s",
            getattr(request, "method", ""),
            request.get_full_path() if request is not None else "",
            exc_info=exc,
        )
        exc = exceptions.ValidationError(
            {"non_field_errors": [_("A number in the request is out of range.")]}
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {
                ("non_field_errors" if field == "__all__" else field): messages
                for field, messages in exc.message_dict.items()
            }
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)
