"""Scope in one place: `Model.objects.visible_to(user, action)`.

Every page, API viewset, list, search, export, dashboard count and task starts from this
method, so an object outside the user's scope is simply not in the queryset — a 404, exactly
like a missing one.

Two questions, answered in order:
1. May the user's role do `action` to this kind of object at all? (portal/roles.py)
2. Which rows are in the user's jurisdiction? (`scoped_for`, defined by each model)

Object-level grants (a worker on a grid, a partner user on an organisation, one case shared
with one person) are django-guardian object permissions with direct foreign keys; they enter
the query as a subquery (`objects_granted`), never as one row or one query per resident.
"""

from django.db import models
from guardian.shortcuts import get_objects_for_user

ACTIONS = ("view", "add", "change", "delete")


def model_perm(model, action: str) -> str:
    opts = model._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


def objects_granted(user, perm: str, model) -> models.QuerySet:
    """Primary keys of `model` rows on which `user` holds the object permission `perm`.

    A lazy queryset meant for `pk__in=` / `fk__in=`: it is a subquery of the SQL, not a list.
    Only direct grants count (no groups, no global permissions, no superuser shortcut): roles
    are not Django groups here.
    """
    return get_objects_for_user(
        user, perm, klass=model, use_groups=False, with_superuser=False, accept_global_perms=False
    ).values("pk")


class ScopedQuerySet(models.QuerySet):
    """Base queryset of every model with personal or scoped data."""

    def visible_to(self, user, action: str = "view"):
        """Rows `user` may act on with `action`; nothing for anonymous or inactive users."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        if not user.has_perm(model_perm(self.model, action)):
            return self.none()
        return self.scoped_for(user)

    def scoped_for(self, user):
        """Rows in the user's jurisdiction. Deny by default: each model says who sees what."""
        return self.none()
