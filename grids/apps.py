from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Grids and households")

    def ready(self):
        from grids import home
        from portal.hooks import demo_data_register, home_cards_register
        from portal.roles import Role, role_permissions_register

        def perms(actions, models):
            return [f"grids.{a}_{m}" for a in actions for m in models]

        registry = [
            "region",
            "grid",
            "microgrid",
            "gridassignment",
            "building",
            "dwelling",
            "household",
            "resident",
            "residenttag",
            "tagdef",
            "visit",
            "visitneed",
        ]
        people = ["household", "dwelling", "resident", "residenttag", "visit", "visitneed"]
        role_permissions_register(
            {
                Role.STREET_ADMIN: perms(
                    ["view", "add", "change", "delete"], [*registry, "importjob"]
                ),
                Role.STREET_CADRE: perms(["view", "add", "change"], [*registry, "importjob"]),
                Role.COMMUNITY_CADRE: perms(["view"], [*registry, "importjob"])
                + perms(["add", "change"], [*people, "building", "microgrid", "importjob"]),
                Role.GRID_LEADER: perms(["view"], registry) + perms(["add", "change"], people),
                Role.GRID_WORKER: perms(["view"], registry) + perms(["add", "change"], people),
                Role.INTEGRATION: perms(["view"], registry),
            }
        )
        home_cards_register(home.cards)
        demo_data_register(20, "grids", _load_demo)


def _load_demo(ctx):
    # Imported when the demo command runs, not at every start-up.
    from grids.demo import load

    load(ctx)
