from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    """Burden reduction (基层减负): reporting tasks checked against what the portal knows."""

    name = "reporting"
    verbose_name = _("Burden reduction")

    def ready(self):
        from portal.roles import Role, role_permissions_register

        def perms(actions, models):
            return [f"reporting.{a}_{m}" for a in actions for m in models]

        catalogue = ["department", "dutyitem", "dataelement", "indicatoralias"]
        intake = ["reporttemplate", "templatefield", "fieldreview", "templateduplicate"]
        flow = ["reporttask", "taskevent", "reportassignment", "assignmentvalue", "fielddelegation"]
        everything = [*catalogue, *intake, *flow]
        street = perms(["view", "add", "change"], everything)
        role_permissions_register(
            {
                Role.STREET_ADMIN: street,
                Role.STREET_CADRE: street,
                # Their own communities' assignments (scope: reporting/flow/querysets.py): fill,
                # delegate a field to a grid worker, review and submit.
                Role.COMMUNITY_CADRE: perms(["view"], ["reporttemplate", "templatefield"])
                + perms(["view"], ["reporttask", "taskevent"])
                + perms(["view", "change"], ["reportassignment", "assignmentvalue"])
                + perms(["view", "add"], ["fielddelegation"]),
                # Only the fields delegated to them.
                Role.GRID_WORKER: perms(["view"], ["fielddelegation"])
                + perms(["view", "change"], ["assignmentvalue"]),
                Role.GRID_LEADER: perms(["view"], ["fielddelegation"])
                + perms(["view", "change"], ["assignmentvalue"]),
                # The district's platform sends forms and periods and reads its own answers;
                # it reads the catalogue to cite duty items.
                Role.INTEGRATION: perms(["view"], ["dutyitem", "dataelement"])
                + perms(["view", "add"], ["reporttemplate", "reporttask"])
                + perms(["view"], ["templatefield", "fieldreview", "templateduplicate"]),
                # Partners and Party roles: nothing at all.
            }
        )

        from portal.hooks import PeriodicSchedule, periodic_schedule_register

        periodic_schedule_register(
            PeriodicSchedule(
                name="reporting: deadlines coming",
                task="reporting.reminders_send",
                crontab={"minute": "25", "hour": "8"},
                description="Reminds whoever holds a reporting task (the community cadres of "
                "assignments not submitted, the street cadres of tasks awaiting review) two "
                "days before its deadline and on the day; once per task, holder and deadline.",
            )
        )

        from reporting.dashboards.home import register as dashboards_register

        dashboards_register()
