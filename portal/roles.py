"""Roles of DOMAIN.md and the model permissions each role carries.

A user has exactly one role. What a role may *do* to a kind of object (view, add, change,
delete) is declared here by each app in its AppConfig.ready(); *which* objects it may touch is
decided by the model's `visible_to()` (see portal/querysets.py). The role is the single source
of truth: no groups to keep in sync.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STREET_ADMIN = "street_admin", _("Street administrator")
    STREET_CADRE = "street_cadre", _("Street cadre")
    COMMUNITY_CADRE = "community_cadre", _("Community cadre")
    GRID_LEADER = "grid_leader", _("Grid leader")
    GRID_WORKER = "grid_worker", _("Grid worker")
    PARTNER_STAFF = "partner_staff", _("Partner staff")
    PARTY_OFFICER = "party_officer", _("Party-work officer")
    PARTY_MEMBER = "party_member", _("Party member")
    INTEGRATION = "integration", _("District integration (API client)")


STREET_ROLES = frozenset({Role.STREET_ADMIN, Role.STREET_CADRE})
GRID_ROLES = frozenset({Role.GRID_LEADER, Role.GRID_WORKER})
# People at a browser or a phone: every role but the district's API clients.
PERSON_ROLES = frozenset(Role) - {Role.INTEGRATION}

_role_permissions: dict[str, set[str]] = defaultdict(set)


def role_permissions_register(table: dict[str, Iterable[str]]) -> None:
    """Add `app_label.codename` permissions to roles; apps call this from ready()."""
    for role, perms in table.items():
        if role not in Role.values:
            raise ValueError(f"unknown role {role!r}")
        _role_permissions[role].update(perms)


def role_permissions(role: str) -> frozenset[str]:
    return frozenset(_role_permissions.get(role, ()))


def role_has_perm(role: str, perm: str) -> bool:
    return perm in _role_permissions.get(role, ())
