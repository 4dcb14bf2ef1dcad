"""Request-wide context for the audit trail, the portal's language choice, two-factor gate."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from portal.request_context import request_meta_from, reset_request_meta, set_request_meta
from portal.two_factor import two_factor_gate


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
