"""Authentication backend that answers model-level permission checks from the user's role."""

from portal.roles import role_has_perm, role_permissions


class RolePermissionBackend:
    """Grants the permissions of the user's role (portal/roles.py); never authenticates."""

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
        return role_has_perm(user_obj.role, perm)

    def has_module_perms(self, user_obj, app_label):
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        return any(p.startswith(f"{app_label}.") for p in role_permissions(user_obj.role))
