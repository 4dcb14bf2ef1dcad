"""Request-wide context for the audit trail."""

from portal.request_context import request_meta_from, reset_request_meta, set_request_meta


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
