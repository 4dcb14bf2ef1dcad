"""Django admin for administrators: users and roles, API tokens, read-only audit trail."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from portal import writes
from portal.models import ApiToken, AuditEvent, Notification, ScheduledRun, User
from portal.two_factor import two_factor_admin_install

admin.site.site_header = _("Street-office portal administration")
admin.site.site_title = _("Street-office portal")
admin.site.index_title = _("Administration")


class HandedOverPasswordForm(AdminPasswordChangeForm):
    """A password an administrator sets for someone is handed over: its owner chooses their
    own at the next sign-in (portal/password_change.py)."""

    def save(self, commit=True):
        user = super().save(commit=False)
        user.password_change_required = user.has_usable_password()
        if commit:
            user.save()
        return user


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    change_password_form = HandedOverPasswordForm
    list_display = ("username", "full_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "full_name", "email")
    fieldsets = (
        (None, {"fields": ("username", "password", "password_change_required")}),
        (_("Person"), {"fields": ("full_name", "email", "phone")}),
        (_("Role"), {"fields": ("role", "is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "role", "password1", "password2"),
            },
        ),
    )

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if (
            request.method == "POST"
            and response.status_code == 302
            and str(id) == str(request.user.pk)
        ):
            # An administrator who sets their own password here chose it themselves.
            User.objects.filter(pk=request.user.pk).update(password_change_required=False)
        return response

    def save_model(self, request, obj, form, change):
        if not change and obj.has_usable_password():
            obj.password_change_required = True  # chosen by the administrator, handed over
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, never deleted: their audit trail must stay attributable.
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "occurred_at",
        "actor_username",
        "action",
        "object_repr",
        "outcome",
        "ip_address",
    )
    list_filter = ("outcome", "action")
    search_fields = ("actor_username", "object_repr", "action", "ip_address")
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "user",
        "key_prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("revoked_at",)
    readonly_fields = (
        "user",
        "name",
        "key_prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "scopes",
    )
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # issued with `manage.py api_token_issue`, which shows the key once

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            writes.api_token_revoke(actor=request.user, token=token)
        self.message_user(request, _("Tokens revoked."), messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "title", "read_at")
    search_fields = ("title", "recipient__username")
    readonly_fields = (
        "recipient",
        "title",
        "body",
        "url",
        "dedup_key",
        "created_at",
        "read_at",
        "emailed_at",
    )


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    list_display = ("task", "slot", "started_at")
    list_filter = ("task",)
    readonly_fields = ("task", "slot", "started_at", "result")

    def has_add_permission(self, request):
        return False


# Two-factor devices: viewed and reset (never added or edited) here; see portal/two_factor.py.
two_factor_admin_install(admin.site)
