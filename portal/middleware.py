"""Request-wide context for the audit trail, the portal's language choice, the two-factor and
password gates."""

import logging
import sys

from django.conf import settings
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.signals import got_request_exception
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.locale import LocaleMiddleware
from django.template import loader
from django.urls import Resolver404, get_resolver
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found

from portal.password_change import password_change_gate
from portal.request_context import request_meta_from, reset_request_meta, set_request_meta
from portal.two_factor import two_factor_gate

logger = logging.getLogger(__name__)
NUMERIC_OUT_OF_RANGE = "22003"  # PostgreSQL's SQLSTATE numeric_value_out_of_range


class RequestContextMiddleware:
    """Makes the client's IP and user agent available to services writing audit events."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_request_meta(request_meta_from(request))
        try:
            return self.get_response(request)
        finally:
            reset_request_meta(token)


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Pages are Chinese unless the user chose English with the language switch (a cookie).

    A browser's Accept-Language is not followed for pages: office computers and phones often
    ship with English system settings, and the portal is Chinese first. API clients, which
    have no switch, may still ask for English with Accept-Language.
    """

    def process_request(self, request):
        if request.path_info.startswith("/api/"):
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class TwoFactorMiddleware:
    """Administrators who have not given their second factor see only the two-factor pages.

    After django_otp's OTPMiddleware, which tells whether the session is verified; the policy
    itself is portal.two_factor.two_factor_gate.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return two_factor_gate(request) or self.get_response(request)


class PasswordChangeMiddleware:
    """A person whose password someone else chose sees only the page to choose their own.

    After TwoFactorMiddleware (first prove who you are); the rule itself is
    portal.password_change.password_change_gate.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return password_change_gate(request) or self.get_response(request)


DATABASE_RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    """A request that failed because the database could not be reached answers 503 with
    Retry-After and a short message (JSON under /api/), not the generic 500 page.

    A database restart or failover makes every request of those seconds fail; a 503 tells
    people and district systems to try again, and writes nothing itself. Django turns an
    exception raised anywhere (a view, the session, the authentication) into a 500 response
    before it reaches an outer middleware, so the exception is noted on the request by the
    `got_request_exception` signal and the 500 replaced here. Right after SecurityMiddleware,
    which still adds its headers. Recovery needs no restart: connections are health-checked
    (`conn_health_checks`) at the next request.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(
            _note_database_unavailable, dispatch_uid="portal.database_unavailable"
        )

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "database_unavailable", False):
            return _database_unavailable_response(request)
        return response


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a session the database could not save answers 503 (try again)
    rather than Django's 400 "session interrupted": the request was not a bad one, and a
    district system does not retry a 400."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except SessionInterrupted as exc:
            cause = exc.__context__
            while cause is not None and not isinstance(cause, OperationalError | InterfaceError):
                cause = cause.__context__
            if cause is None:
                raise
            return _database_unavailable_response(request)


def _note_database_unavailable(sender, request=None, **kwargs):
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, OperationalError | InterfaceError):
        request.database_unavailable = True


def _database_unavailable_response(request) -> HttpResponse:
    message = _("The service is briefly unavailable. Please try again in a moment.")
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        # No template: base.html would ask the database for the user and the menus.
        response = HttpResponse(
            f'<!doctype html><html lang="{translation.get_language()}"><meta charset="utf-8">'
            f"<title>503</title><p>{escape(message)}</p></html>",
            status=503,
        )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # The inner middleware that would add it did not run for this response.
    response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    return response


class OutOfRangeInputMiddleware:
    """The safety net under `portal.params`: a number out of a column's range that still
    reached the database from a page (SQLite's OverflowError, PostgreSQL's "out of range"
    DataError) is a 404 like a missing row, not a 500 — and is logged as a bug, because the
    parameter should have been parsed before (the API's net is portal/api/errors.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not out_of_range_error(exception):
            return None
        logger.error(
            "Unparsed input out of range reached the database: %s %s",
            request.method,
            request.get_full_path(),
            exc_info=exception,
        )
        return page_not_found(request, Http404())


class PortalErrorPagesMiddleware:
    """Under DEBUG (`make run`), the portal's own Chinese 404 and 500 pages instead of Django's
    English technical pages, so a user trying the demo sees what production shows (403 already
    uses templates/403.html under DEBUG). Developers get the technical pages back with
    DEBUG_TECHNICAL_PAGES=1; the 500's traceback is logged to the console either way. Off
    DEBUG this does nothing: Django renders templates/404.html and 500.html itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._active() and not self._resolves(request):
            return self._page(request, "404.html", 404)  # an unknown address
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not self._active():
            return None
        if isinstance(exception, Http404):
            return self._page(request, "404.html", 404)
        if _handled_by_django(exception):
            return None  # 400, 403 and the like: Django renders the portal's page itself
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exception,
            extra={"status_code": 500},
        )
        return self._page(request, "500.html", 500)

    @staticmethod
    def _active() -> bool:
        return settings.DEBUG and not getattr(settings, "DEBUG_TECHNICAL_PAGES", False)

    @staticmethod
    def _resolves(request) -> bool:
        try:
            get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
        except Resolver404:
            return False
        return True

    @staticmethod
    def _page(request, template: str, status: int) -> HttpResponse:
        return HttpResponse(loader.render_to_string(template, request=request), status=status)


def _handled_by_django(exception) -> bool:
    """The exceptions Django answers with a 4xx page of the portal's templates under DEBUG too."""
    return isinstance(
        exception, BadRequest | PermissionDenied | SuspiciousOperation | MultiPartParserError
    )


def out_of_range_error(exception) -> bool:
    """SQLite's OverflowError, or PostgreSQL's numeric_value_out_of_range (SQLSTATE 22003)."""
    if isinstance(exception, OverflowError):
        return True
    if isinstance(exception, DataError):
        cause = exception.__cause__
        return getattr(cause, "pgcode", None) == NUMERIC_OUT_OF_RANGE or (
            "out of range" in str(exception)
        )
    return False
