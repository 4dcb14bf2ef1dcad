from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Services for the elderly, children and people in hardship")

    def ready(self):
        from portal.hooks import demo_data_register
        from portal.roles import Role, role_permissions_register

        def perms(actions, models):
            return [f"services.{a}_{m}" for a in actions for m in models]

        role_permissions_register(
            {
                Role.STREET_ADMIN: perms(
                    ["view", "add", "change"], ["partner", "serviceitem", "referral"]
                ),
                Role.STREET_CADRE: perms(
                    ["view", "add", "change"], ["partner", "serviceitem", "referral"]
                ),
                Role.COMMUNITY_CADRE: perms(["view"], ["partner", "serviceitem"])
                + perms(["view", "add", "change"], ["referral"]),
                Role.GRID_LEADER: perms(["view"], ["partner", "serviceitem"])
                + perms(["view", "add", "change"], ["referral"]),
                Role.GRID_WORKER: perms(["view"], ["partner", "serviceitem"])
                + perms(["view", "add", "change"], ["referral"]),
                Role.PARTNER_STAFF: perms(["view"], ["partner", "serviceitem"])
                + perms(["view", "change"], ["referral"]),
            }
        )
        demo_data_register(30, "services", _load_demo)

        from portal.hooks import PeriodicSchedule, periodic_schedule_register

        periodic_schedule_register(
            PeriodicSchedule(
                name="services: overdue referrals",
                task="services.referrals_escalate_overdue",
                crontab={"minute": "13", "hour": "*"},
                description="Escalates referrals whose stage deadline passed back to the "
                "street; each once.",
            )
        )


def _load_demo(ctx):
    from services.demo import load

    load(ctx)
