"""Authentication backend that answers model-level permission checks from the user's role."""

from django.core.exceptions import PermissionDenied

from portal.roles import role_has_perm, role_permissions


class RolePermissionBackend:
    """Grants the permissions of the user's role (portal/roles.py); never authenticates.

    The role is the one source of model-level permissions (the admin offers no groups and no
    per-user permissions): a permission the role lacks is refused here, with PermissionDenied,
    which ends Django's walk through the backends. Without it every page whose menu asks about
    something the role may not do sent ModelBackend to the database twice (its user and group
    permissions, always empty). Object-level checks (`obj` given) pass on to guardian.
    """

    def authenticate(self, request, **credentials):
        return None

    def get_user(self, user_id):
        return None

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return set()
        return set(role_permissions(user_obj.role))

    def has_perm(self, user_obj, perm, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return False
        if role_has_perm(user_obj.role, perm):
            return True
        raise PermissionDenied

    def has_module_perms(self, user_obj, app_label):
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        if any(p.startswith(f"{app_label}.") for p in role_permissions(user_obj.role)):
            return True
        raise PermissionDenied
