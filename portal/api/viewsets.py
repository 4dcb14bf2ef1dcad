"""Viewsets that always start from `visible_to(user)`.

- An object outside the user's scope, or a kind of object the role may not view, is a 404
  on every detail route, exactly like a missing one.
- An object the user may see but not change or delete is a 403.
- Listing or creating a kind of object the role has no permission for is a 403; the list
  itself only ever contains visible rows.
"""

from rest_framework import permissions, viewsets
from rest_framework.exceptions import PermissionDenied

from portal.querysets import model_perm

ACTION_PERMS = {
    "list": "view",
    "retrieve": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


class RoleActionPermission(permissions.BasePermission):
    """Collection routes (list, create, extra list actions) need the role's model permission."""

    def has_permission(self, request, view):
        if getattr(view, "detail", False):
            return True  # detail routes: decided by the scoped queryset and get_object
        action = ACTION_PERMS.get(view.action) or view.extra_action_perms.get(view.action, "view")
        return request.user.has_perm(model_perm(view.queryset_model(), action))


class ScopedViewSetMixin:
    """Use with any GenericViewSet; subclasses set `queryset` (the unscoped base) as usual."""

    permission_classes = [permissions.IsAuthenticated, RoleActionPermission]
    # Extra actions (@action) map to a model action here, e.g. {"accept": "change"}.
    extra_action_perms: dict[str, str] = {}

    def queryset_model(self):
        return self.queryset.model

    def scope_action(self) -> str:
        return ACTION_PERMS.get(self.action) or self.extra_action_perms.get(self.action, "view")

    # The read path: the app's selector, `(*, actor) -> QuerySet`, already built on
    # `visible_to(actor)` with its joins — scope applied once, in the selector. Set it as
    # `selector = staticmethod(selectors.household_list)`. `queryset` only names the model
    # (router basename, schema, the role permission of collection routes).
    selector = None

    def get_queryset(self):
        if self.selector is not None:
            return self.selector(actor=self.request.user)
        # TRANSITIONAL (issue 8): viewsets not yet given a selector.
        return self.selector_queryset().visible_to(self.request.user, "view")

    def selector_queryset(self):
        return self.queryset.all()

    def get_object(self):
        obj = super().get_object()
        action = self.scope_action()
        if action != "view":
            allowed = self.queryset.model._default_manager.visible_to(self.request.user, action)
            if not allowed.filter(pk=obj.pk).exists():
                raise PermissionDenied()
        return obj


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class ScopedReadOnlyModelViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
