"""Who is asking and from where, for the audit trail of code that has no request at hand."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    ip_address: str | None = None
    user_agent: str = ""


_NO_REQUEST = RequestMeta()
_current: ContextVar[RequestMeta | None] = ContextVar("portal_request_meta", default=None)


def current_request_meta() -> RequestMeta:
    return _current.get() or _NO_REQUEST


def request_meta_from(request) -> RequestMeta:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a proxy rewrites it,
    # and the production proxy (docs/operations.md) sets REMOTE_ADDR through gunicorn.
    return RequestMeta(
        ip_address=request.META.get("REMOTE_ADDR") or None,
        user_agent=(request.META.get("HTTP_USER_AGENT") or "")[:256],
    )


def set_request_meta(meta: RequestMeta):
    return _current.set(meta)


def reset_request_meta(token) -> None:
    _current.reset(token)
