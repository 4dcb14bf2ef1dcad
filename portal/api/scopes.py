"""Per-token scopes and throttling.

Each API route belongs to one resource group (`portal.models.API_SCOPE_GROUPS`), decided by
the module of its viewset (or the viewset's `token_scope_group`). A token limited to some
groups gets a 403 outside them, and a 403 on any write to a group it may only read. Scopes
limit what a token may *do*; what it *sees* stays the account's scope (`visible_to`).
Session users (people at a browser) are not limited by token scopes.
"""

import logging

from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError
from rest_framework import permissions
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from portal.models import ApiToken

logger = logging.getLogger(__name__)

# The first prefix that matches a viewset's module names its group.
GROUP_BY_MODULE = (
    ("grids.api.visits", "visits"),
    ("grids.", "registry"),
    ("services.deliveries.", "deliveries"),
    ("services.", "services"),
    ("partybuilding.", "partybuilding"),
    ("reporting.", "reporting"),
    ("portal.api.webhooks", "webhooks"),
)


def view_group(view) -> str | None:
    group = getattr(view, "token_scope_group", None)
    if group:
        return group
    module = type(view).__module__
    for prefix, name in GROUP_BY_MODULE:
        if module.startswith(prefix):
            return name
    return None


class TokenScopePermission(permissions.BasePermission):
    """A token's groups and access level (read or write) bound what it may call."""

    message = _("This API token may not use this resource.")

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        write = request.method not in permissions.SAFE_METHODS
        from rest_framework.routers import APIRootView  # not at import: DRF settings load this

        if isinstance(view, APIRootView) and not write:
            return True  # the index of links: nothing in it to limit
        group = view_group(view)
        if group is None:  # a route no group covers: only an unrestricted token
            return token.allows("*", write=write)
        if token.allows(group, write=False) and write and not token.allows(group, write=True):
            self.message = _("This API token may only read this resource.")
        return token.allows(group, write=write)


class _SettingsRateMixin:
    """Read the rate from the settings at each request (tests and deployments change it);
    count in the cache, and let the request through when the cache (Redis) is down."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):  # Redis down: serve unthrottled, never a 500
            logger.warning("throttle %s: cache unavailable, request not counted", self.scope)
            return True


class TokenRateThrottle(_SettingsRateMixin, SimpleRateThrottle):
    """Requests per API token (`DEFAULT_THROTTLE_RATES["token"]`), counted in the cache."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class SessionUserRateThrottle(_SettingsRateMixin, SimpleRateThrottle):
    """Requests per signed-in user at a browser (`DEFAULT_THROTTLE_RATES["user"]`; none by
    default)."""

    scope = "user"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken) or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
