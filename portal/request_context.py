"""Who is asking and from where, for the audit trail of code that has no request at hand."""

import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RequestMeta:
    ip_address: str | None = None
    user_agent: str = ""


_NO_REQUEST = RequestMeta()
_current: ContextVar[RequestMeta | None] = ContextVar("portal_request_meta", default=None)


def current_request_meta() -> RequestMeta:
    return _current.get() or _NO_REQUEST


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry our own proxies added.

    X-Forwarded-For is written by the client too, so only the last FORWARDED_PROXY_COUNT
    entries (appended by the reverse proxies we run) are trusted; 0 means no proxy.
    """
    address = request.META.get("REMOTE_ADDR") or None
    proxies = settings.FORWARDED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def request_meta_from(request) -> RequestMeta:
    return RequestMeta(
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT") or "")[:256],
    )


def set_request_meta(meta: RequestMeta):
    return _current.set(meta)


def reset_request_meta(token) -> None:
    _current.reset(token)
