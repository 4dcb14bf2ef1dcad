"""Who may run a contest (擂台赛), score it and run the 领头雁 programme — one gate per action,
one condition per line.

- create, change the sheet, open, close, publish: the Party-work roles' permission on contests
  (party officer, street staff) and the contest in their change scope;
- score: the actor is one of the contest's judges and their role may score. Whether the contest
  is still open is not a permission but a state: the write answers a closed contest with
  ContestConflict (409) after locking it;
- enrol in the 领头雁 programme or the reserve-cadre pool, plan milestones and mark them done:
  the Party-work roles' permission on enrolments, the enrolment in their change scope.

`actor=None` (the demo loader) passes the sheet and programme gates: the system sets up a
contest the way an officer would. It never scores: a score is a judge's own.
"""

from django.utils.translation import gettext_lazy as _

from portal.policy import deny_unless, require_active, require_in_scope, require_perm

MAY_NOT_RUN = _("You may not run contests.")
NOT_A_JUDGE = _("You are not a judge of this contest.")
MAY_NOT_ENROL = _("You may not enrol people in the lead goose programme.")


def _contest_models():
    from partybuilding.contests.models import Contest, ContestJudge, LeadGooseEnrolment

    return Contest, ContestJudge, LeadGooseEnrolment


# --- Reads ------------------------------------------------------------------------------------


def access_contest_list(actor, obj=None) -> None:
    require_perm(actor, "partybuilding.view_contest")


def access_lead_goose_list(actor, obj=None) -> None:
    require_perm(actor, "partybuilding.view_leadgooseenrolment")


# --- The organiser ------------------------------------------------------------------------------


def access_contest_create(actor, obj=None) -> None:
    if actor is None:
        return  # the demo loader sets up a contest
    require_active(actor)
    deny_unless(actor.has_perm("partybuilding.add_contest"), MAY_NOT_RUN)


def _require_organiser(actor, contest) -> None:
    if actor is None:
        return  # the demo loader
    Contest, _judge, _enrolment = _contest_models()
    require_active(actor)
    deny_unless(actor.has_perm("partybuilding.change_contest"), MAY_NOT_RUN)
    require_in_scope(actor, Contest.objects, contest, "change")


def access_contest_sheet_change(actor, contest) -> None:
    """Aspects, indicators, contestants and judges (the write refuses a closed contest)."""
    _require_organiser(actor, contest)


def access_contest_indicator_change(actor, indicator) -> None:
    """Edit an indicator (name, weight, highest score, aspect, order); the write refuses it once
    the contest opened (the scores refer to it) or closed."""
    _require_organiser(actor, indicator.aspect.contest)


def access_contestant_change(actor, contestant) -> None:
    """Correct a contestant's name or organisation; the write refuses a closed contest."""
    _require_organiser(actor, contestant.contest)


def access_contest_judge_remove(actor, judge) -> None:
    """Take a judge off the panel (before they scored); the write refuses a closed contest."""
    _require_organiser(actor, judge.contest)


def access_contest_open(actor, contest) -> None:
    _require_organiser(actor, contest)


def access_contest_close(actor, contest) -> None:
    _require_organiser(actor, contest)


def access_contest_publish(actor, contest) -> None:
    _require_organiser(actor, contest)


# --- The judge ----------------------------------------------------------------------------------


def access_contest_score(actor, contest) -> None:
    """A judge of this contest, whose role may score; only their own scores are ever touched."""
    _contest, ContestJudge, _enrolment = _contest_models()
    require_active(actor)
    deny_unless(actor.has_perm("partybuilding.change_score"), NOT_A_JUDGE)
    deny_unless(ContestJudge.objects.filter(contest=contest, user=actor).exists(), NOT_A_JUDGE)


# --- The 领头雁 programme ----------------------------------------------------------------------


def access_lead_goose_enrol(actor, obj=None) -> None:
    if actor is None:
        return  # the demo loader
    deny_unless(actor.is_active, MAY_NOT_ENROL)
    deny_unless(actor.has_perm("partybuilding.add_leadgooseenrolment"), MAY_NOT_ENROL)


def access_lead_goose_change(actor, enrolment) -> None:
    """Plan milestones, mark them done, end the enrolment."""
    if actor is None:
        return  # the demo loader
    _contest, _judge, LeadGooseEnrolment = _contest_models()
    require_perm(actor, "partybuilding.change_leadgooseenrolment")
    require_in_scope(actor, LeadGooseEnrolment.objects, enrolment, "change")
