from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Services for the elderly, children and people in hardship")

    def ready(self):
        from portal.hooks import demo_data_register
        from portal.roles import Role, role_permissions_register

        role_permissions_register(
            {
                Role.STREET_ADMIN: [
                    "services.view_partner",
                    "services.add_partner",
                    "services.change_partner",
                ],
                Role.STREET_CADRE: [
                    "services.view_partner",
                    "services.add_partner",
                    "services.change_partner",
                ],
                Role.PARTNER_STAFF: ["services.view_partner"],
            }
        )
        demo_data_register(30, "services", _load_demo)


def _load_demo(ctx):
    from services.demo import load

    load(ctx)
