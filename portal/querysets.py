"""Scope in one place: `Model.objects.visible_to(user, action)`.

Every page, API viewset, list, search, export, dashboard count and task starts from this
method, so an object outside the user's scope is simply not in the queryset — a 404, exactly
like a missing one.

Two questions, answered in order:
1. May the user's role do `action` to this kind of object at all? (portal/roles.py)
2. Which rows are in the user's jurisdiction? (`scoped_for`, defined by each model)

Object-level grants (a worker on a grid, a partner user on an organisation, one case shared
with one person) are django-guardian object permissions with direct foreign keys, read by
`objects_granted`. The hot scopes resolve them once per request into id lists
(`grids.querysets.registry_scope`, `services.catalogue.querysets.partners_of`, memoised by
portal/scope_cache.py), so that the planner sees `grid_id = ANY(…)` on an indexed column
rather than nested grant subqueries it cannot estimate; never one row or one query per resident.
"""

from functools import cache

from django.db import models
from guardian.models import UserObjectPermissionBase
from guardian.utils import get_user_obj_perms_model

ACTIONS = ("view", "add", "change", "delete")


def model_perm(model, action: str) -> str:
    opts = model._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


def objects_granted(user, perm: str, model) -> models.QuerySet:
    """Primary keys of `model` rows on which `user` holds the object permission `perm`.

    A lazy queryset meant for `pk__in=` / `fk__in=`: it becomes a subquery of the caller's SQL
    (no query of its own, no content-type lookups). Only direct grants count — no groups, no
    global permissions, no superuser shortcut — and the model must have a guardian
    direct-foreign-key permission table (e.g. GridUserObjectPermission).
    """
    app_label, codename = perm.split(".", 1)
    return (
        _direct_grants_model(model)
        .objects.filter(
            user=user,
            permission__codename=codename,
            permission__content_type__app_label=app_label,
        )
        .values("content_object")
    )


def jurisdiction_holds(*, user, perm: str, obj) -> bool:
    """Whether `user` holds the object permission `perm` on `obj` itself (no superuser shortcut)."""
    codename = perm.split(".", 1)[-1]
    grants = get_user_obj_perms_model(obj).objects.filter(user=user, permission__codename=codename)
    return grants.filter(content_object=obj).exists()


@cache
def _direct_grants_model(model):
    """The guardian direct-foreign-key table of `model`, found from the model's relations."""
    for relation in model._meta.related_objects:
        related = relation.related_model
        if (
            issubclass(related, UserObjectPermissionBase)
            and relation.field.name == "content_object"
        ):
            return related
    raise TypeError(f"{model.__name__} needs a direct-foreign-key UserObjectPermission model")


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
