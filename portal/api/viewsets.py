"""Viewsets that read through their app's selector and write through its gated writes.

- `get_queryset()` is the selector (`selector = staticmethod(selectors.household_list)`),
  built on `visible_to(user)`: an object outside the user's scope, or of a kind the role may
  not view, is a 404 on every detail route, exactly like a missing one.
- Listing or creating a kind of object the role has no permission for at all is a 403 (the
  role's model permission, declared per route below); the list only ever contains visible rows.
- Whether the user may change, delete or move *this* object is the write's gate
  (`policy.access_<entity>_<verb>`), called on the write's first line; its PermissionDenied is
  a 403. The viewset decides nothing more.

For district integrations every route also gets, here and nowhere else (docs/api.md):
`Idempotency-Key` on POST (portal/api/idempotency.py), `ETag` / `If-Match` on detail reads
and updates (conditional.py), the API token's scopes (scopes.py) and `?updated_since=` on
lists (sync.py).
"""

from rest_framework import permissions, viewsets

from portal.api import conditional, idempotency, sync
from portal.api.scopes import TokenScopePermission
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
            return True  # detail routes: the selector (404) and the write's gate (403)
        action = ACTION_PERMS.get(view.action) or view.extra_action_perms.get(view.action, "view")
        return request.user.has_perm(model_perm(view.queryset_model(), action))


class ScopedViewSetMixin:
    """Use with any GenericViewSet; subclasses set `selector` (the read) and `queryset` (the
    model, for the router and the schema)."""

    permission_classes = [permissions.IsAuthenticated, TokenScopePermission, RoleActionPermission]
    # Extra actions (@action) map to a model action here, e.g. {"accept": "change"}.
    extra_action_perms: dict[str, str] = {}

    def queryset_model(self):
        return self.queryset.model

    # The read path: the app's selector, `(*, actor) -> QuerySet`, already built on
    # `visible_to(actor)` with its joins — scope applied once, in the selector. Set it as
    # `selector = staticmethod(selectors.household_list)`. `queryset` only names the model
    # (router basename, schema, the role permission of collection routes).
    selector = None

    def get_queryset(self):
        return self.selector(actor=self.request.user)

    # --- Integrations: idempotent POSTs, conditional updates, incremental lists -------------

    def initial(self, request, *args, **kwargs):
        """After authentication, permissions and throttles: wrap this request's handler."""
        super().initial(request, *args, **kwargs)
        self._idempotency_record = None
        name = request.method.lower()
        handler = getattr(self, name, None)
        if handler is None:
            return  # 405 follows
        if request.method == "POST":
            setattr(self, name, idempotency.guard(self, request, handler))
        elif request.method in conditional.CONDITIONAL_METHODS:
            setattr(self, name, conditional.guard(self, request, handler))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        idempotency.finish(self, response)
        conditional.tag_response(self, request, response)
        return response

    def etag_representation(self, obj):
        """What the ETag hashes: the detail read of `obj`. A viewset whose `retrieve` answers
        something else overrides this to match it."""
        return self.get_serializer(obj).data

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if getattr(self, "action", None) == "list":
            queryset = sync.updated_since_filter(self.request, queryset)
        return queryset


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class ScopedReadOnlyModelViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
