from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Services for the elderly, children and people in hardship")

    def ready(self):
        from portal.hooks import home_cards_register
        from portal.roles import Role, role_permissions_register
        from services.catalogue.querysets import partner_scope_watch
        from services.dashboards import home

        def perms(actions, models):
            return [f"services.{a}_{m}" for a in actions for m in models]

        catalogue = ["partner", "serviceitem"]
        everything = [
            *catalogue, "referral", "followuptask", "delivery", "meallog", "mealimport",
            "familydoctorcontract", "funder", "aidbundle", "aidbundleline", "aidcase",
            "disbursement", "activity",
        ]  # fmt: skip
        # A referral's history is read with the referral (ReferralEvent.objects.visible_to
        # decides which steps); nobody writes it but the referral's own transitions.
        history = perms(["view"], ["referralevent"])
        local = (
            history
            + perms(["view"], [*catalogue, "delivery", "meallog", "familydoctorcontract"])
            + perms(["view"], ["funder", "aidbundle", "aidbundleline", "aidcase", "disbursement"])
            + perms(["view", "add", "change"], ["referral", "followuptask", "activity"])
        )
        role_permissions_register(
            {
                Role.STREET_ADMIN: perms(["view", "add", "change"], everything) + history,
                Role.STREET_CADRE: perms(["view", "add", "change"], everything) + history,
                # The community applies for aid for its households; the street pays it out.
                Role.COMMUNITY_CADRE: local + perms(["add", "change"], ["aidcase"]),
                Role.GRID_LEADER: local,
                Role.GRID_WORKER: local,
                # Partners log what they delivered, clinics sign contracts, teams record
                # their activities; they see nothing of aid.
                Role.PARTNER_STAFF: history
                + perms(["view"], catalogue)
                + perms(["view", "change"], ["referral"])
                + perms(["view", "add"], ["delivery", "meallog", "mealimport"])
                + perms(["view", "add", "change"], ["familydoctorcontract", "activity"]),
            }
        )
        home_cards_register(home.cards)
        _file_sections_register()
        partner_scope_watch()  # a partner grant given or revoked changes partners_of at once

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
        periodic_schedule_register(
            PeriodicSchedule(
                name="services: family-doctor contracts",
                task="services.family_doctor_contracts_daily",
                crontab={"minute": "30", "hour": "6"},
                description="Lapses contracts whose term ended, then reminds clinics and grid "
                "workers of contracts ending within 30 days; once a day.",
            )
        )
        periodic_schedule_register(
            PeriodicSchedule(
                name="services: partner agreements",
                task="services.partner_agreements_daily",
                crontab={"minute": "40", "hour": "6"},
                description="Reminds the street and each partner's staff of agreements ending "
                "within 60 days (after that day no new referrals or contracts); once a day.",
            )
        )
        periodic_schedule_register(
            PeriodicSchedule(
                name="services: deadline and follow-up reminders",
                task="services.reminders_send",
                crontab={"minute": "17", "hour": "*"},
                description="Reminds who must act before a referral's stage deadline, and "
                "the grid worker of follow-ups due; each once per subject and date.",
            )
        )

        from services import figures  # noqa: F401  (the catalogue's figures register)


def _file_sections_register():
    """Each room's cards on a resident's and a household's file (一人一档), read through its
    own selectors with the reader's scope (portal/hooks.py)."""
    from portal.hooks import file_sections_register
    from services.activities.selectors import activity_file_section
    from services.aid.selectors import aid_household_file_section, aid_resident_file_section
    from services.contracts.selectors import contract_file_section
    from services.deliveries.selectors import delivery_file_section
    from services.referrals.selectors import referral_file_section

    file_sections_register("resident", "referrals", referral_file_section)
    file_sections_register("resident", "deliveries", delivery_file_section)
    file_sections_register("resident", "contracts", contract_file_section)
    file_sections_register("resident", "aid", aid_resident_file_section)
    file_sections_register("resident", "activities", activity_file_section)
    file_sections_register("household", "aid", aid_household_file_section)
