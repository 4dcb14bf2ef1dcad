from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Grids and households")

    def ready(self):
        from grids import home
        from grids.querysets import registry_scope_watch
        from portal.hooks import home_cards_register
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
        registry_scope_watch()  # resolved scopes follow grants, grids and assignments at once

        from portal.hooks import PeriodicSchedule, periodic_schedule_register

        periodic_schedule_register(
            PeriodicSchedule(
                name="grids: overdue-visit reminders",
                task="grids.visit_reminders_send",
                crontab={"minute": "7", "hour": "*"},
                description="Reminds grid workers, then grid leaders, then communities of "
                "overdue visits; each reminder once.",
            )
        )
        periodic_schedule_register(
            PeriodicSchedule(
                name="grids: interrupted imports",
                task="grids.import_jobs_sweep",
                crontab={"minute": "*", "hour": "*"},
                description="Marks failed the import jobs whose worker stopped mid-way (nothing "
                "was written) and queues again those whose step never started.",
            )
        )
        periodic_schedule_register(
            PeriodicSchedule(
                name="grids: age-derived tags",
                task="grids.age_tags_refresh",
                crontab={"minute": "20", "hour": "0"},
                description="Adds and ends the 60+, 80+ and minor tags as residents age; "
                "once a day.",
            )
        )
        periodic_schedule_register(
            PeriodicSchedule(
                name="grids: ended assignments",
                task="grids.grid_assignments_expire",
                crontab={"minute": "5", "hour": "0"},
                description="Takes back the grid access of assignments whose last day has "
                "passed (an end entered ahead of time keeps access until then).",
            )
        )

        from grids import figures  # noqa: F401  (the catalogue's figures register)
