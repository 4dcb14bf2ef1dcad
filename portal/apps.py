from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal foundation")

    def ready(self):
        from portal import signals  # noqa: F401 - connects the login audit receivers
        from portal.converters import converters_register

        converters_register()  # `<id:pk>` in every URLconf (a huge id is a 404)
        from portal.hooks import PeriodicSchedule, periodic_schedule_register
        from portal.outbox import outbox_connect
        from portal.roles import PERSON_ROLES, Role, role_permissions_register

        role_permissions_register({role: ["portal.view_notification"] for role in PERSON_ROLES})
        role_permissions_register(
            {Role.STREET_ADMIN: ["portal.view_auditevent", "portal.export_unmasked"]}
        )
        # The street administrator resets a colleague's lost two-factor device in the admin.
        role_permissions_register(
            {
                Role.STREET_ADMIN: [
                    "otp_totp.view_totpdevice",
                    "otp_totp.delete_totpdevice",
                    "otp_static.view_staticdevice",
                    "otp_static.delete_staticdevice",
                ]
            }
        )
        registry_roles = [
            Role.STREET_ADMIN,
            Role.STREET_CADRE,
            Role.COMMUNITY_CADRE,
            Role.GRID_LEADER,
            Role.GRID_WORKER,
        ]
        role_permissions_register({role: ["portal.reveal_sensitive"] for role in registry_roles})

        periodic_schedule_register(
            PeriodicSchedule(
                name="portal: clear expired sessions",
                task="portal.sessions_clear_expired",
                crontab={"minute": "17", "hour": "*"},
                description="Deletes expired login sessions every hour.",
            )
        )
        periodic_schedule_register(
            PeriodicSchedule(
                name="portal: API tokens expiring",
                task="portal.api_tokens_remind_expiring",
                crontab={"minute": "5", "hour": "8"},
                description="Reminds street administrators of integration tokens that expire soon.",
            )
        )
        periodic_schedule_register(
            PeriodicSchedule(
                name="portal: audit archive",
                task="portal.audit_archive",
                crontab={"minute": "40", "hour": "2"},
                description="Moves audit events older than the retention period (at least six "
                "months) into verified, compressed archive files; never deletes one unarchived.",
            )
        )
        # District integrations manage their own webhook subscriptions (docs/api.md).
        webhook_perms = [
            f"portal.{verb}_webhooksubscription" for verb in ("view", "add", "change", "delete")
        ]
        role_permissions_register(
            {Role.INTEGRATION: webhook_perms, Role.STREET_ADMIN: webhook_perms}
        )
        outbox_connect()
        periodic_schedule_register(
            PeriodicSchedule(
                name="portal: webhooks sweep",
                task="portal.webhooks_sweep",
                crontab={"minute": "*", "hour": "*"},
                description="Dispatches outbox events and retries webhook deliveries that are due.",
            )
        )
        periodic_schedule_register(
            PeriodicSchedule(
                name="portal: idempotency keys purge",
                task="portal.idempotency_keys_purge",
                crontab={"minute": "41", "hour": "*"},
                description="Forgets the stored answers of expired Idempotency-Keys.",
            )
        )
        post_migrate.connect(_install_schedules, sender=self)


def _install_schedules(**kwargs):
    from portal.schedules import periodic_schedules_install

    periodic_schedules_install()
