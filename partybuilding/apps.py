from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartybuildingConfig(AppConfig):
    """Party building (党建引领): organisations, members, meetings, training, contests."""

    name = "partybuilding"
    verbose_name = _("Party building")

    def ready(self):
        from portal.roles import Role, role_permissions_register

        def perms(actions, models):
            return [f"partybuilding.{a}_{m}" for a in actions for m in models]

        organisations = ["partyorg", "partymember", "membertransfer"]
        serving = ["communityneed", "servicehours"]
        settings_ = ["pointrule", "meetingrequirement", "trainingthreshold"]
        alliances = [
            "alliance", "allianceagreement", "alliancemember", "allianceitem",
            "exchangecircle", "exchangecirclepost",
        ]  # fmt: skip
        orglife = ["orglifemeeting", "meetingattendance"]
        training = ["trainingcourse", "trainingrecord"]
        sheet = ["contest", "contestaspect", "contestindicator", "contestant", "contestjudge"]
        contests = [*sheet, "score", "contestresult", "leadgooseenrolment", "leadgoosemilestone"]
        everything = [
            *organisations, *serving, *settings_, *alliances, *orglife, *training, *contests
        ]  # fmt: skip
        party_work = perms(["view", "add", "change"], everything)
        # A member's own login: what they read is narrowed to their own records by scope (a
        # secretary's to the organisations they lead); what they may do to a row is the gate's.
        # They log hours and claim needs; a secretary also approves hours and records meetings;
        # a judge scores.
        member = (
            perms(["view"], [*organisations, *serving, *settings_, *orglife, *training, *contests])
            + perms(["add", "change"], ["servicehours", *orglife, "score"])
            + perms(["change"], ["communityneed"])
            # A secretary acting for an organisation that is a member of an alliance or an
            # exchange circle posts and claims its list items and shares posts (the gates in
            # partybuilding/alliances/policy.py say whom for; scope stops a plain member).
            + perms(["view"], alliances)
            + perms(["add", "change"], ["allianceitem", "exchangecirclepost"])
        )
        role_permissions_register(
            {
                Role.PARTY_OFFICER: party_work,
                Role.STREET_ADMIN: party_work,
                Role.STREET_CADRE: party_work,
                # Only inside the organisations granted to them (partybuilding.party_work on a
                # PartyOrg): without a grant their scope is empty, so every row is a 404.
                Role.COMMUNITY_CADRE: perms(["view"], everything)
                + perms(["add", "change"], [*serving, *orglife])
                + perms(["add", "change"], ["allianceitem", "exchangecirclepost"]),
                Role.PARTY_MEMBER: member,
                # Grid staff, partner staff and integrations: no Party permission at all.
            }
        )

        from partybuilding.dashboards import home as dashboard_home
        from portal.hooks import PeriodicSchedule, home_cards_register, periodic_schedule_register

        home_cards_register(dashboard_home.cards)

        periodic_schedule_register(
            PeriodicSchedule(
                name="partybuilding: organisational-life gaps",
                task="partybuilding.orglife_gaps_remind",
                crontab={"minute": "40", "hour": "7"},
                description="Reminds a branch's secretary (else the Party-work officers) of a "
                "required meeting missing in the month or quarter that just ended; once per "
                "organisation, kind and period.",
            )
        )
        periodic_schedule_register(
            PeriodicSchedule(
                name="partybuilding: training hours below the yearly threshold",
                task="partybuilding.training_shortfalls_notify",
                crontab={"minute": "20", "hour": "8", "day_of_month": "1-7", "month_of_year": "1"},
                description="In the first week of January, sends each organisation's secretary "
                "last year's list of its members below their yearly training hours; once per "
                "organisation and year.",
            )
        )

        from partybuilding import figures  # noqa: F401  (the catalogue's figures register)
