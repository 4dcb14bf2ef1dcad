"""Contests (擂台赛) and the 领头雁 programme: the writes.

    draft → open → closed (→ results published)

The organiser builds the sheet in draft (aspects × indicators with weights and highest scores,
contestants, judges), opens it, and closes it; closing computes the standings
(selectors.contest_standings: trim, weigh, rank with ties) and stores them as ContestResult
rows, and from then on nothing of the contest changes: every sheet or score write answers a
closed contest with ContestConflict (the API's 409). Publishing makes the results and the whole
scoring sheet visible to everyone in the contest's scope.

A judge writes only their own scores (the gate: a judge of this contest), only while the contest
is open; each transition and each score write locks the contest row first, so a score racing
the close either lands before the results are computed or is refused.

Indicators are fixed once the contest opens (the scores already given refer to them): they are
edited in draft only. Contestants and judges may still be added, corrected (a contestant's name
or organisation) and — a judge who has not scored yet — taken off while it is open; once it is
closed nothing changes.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partybuilding.contests import selectors
from partybuilding.contests.models import (
    Contest,
    Contestant,
    ContestAspect,
    ContestIndicator,
    ContestJudge,
    ContestResult,
    LeadGooseEnrolment,
    LeadGooseMilestone,
    Score,
)
from partybuilding.contests.policy import (
    access_contest_close,
    access_contest_create,
    access_contest_indicator_change,
    access_contest_judge_remove,
    access_contest_open,
    access_contest_publish,
    access_contest_score,
    access_contest_sheet_change,
    access_contestant_change,
    access_lead_goose_change,
    access_lead_goose_enrol,
)
from portal.audit import audit_record
from portal.notifications import notification_send

Status = Contest.Status


class ContestConflict(Exception):
    """The contest is no longer in a state that allows this (it opened, closed or was published
    since the page was loaded)."""


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str


# The one table of the contest's states. Publishing is not a state: a closed contest's
# `published_at` is set once (contest_publish).
TRANSITIONS: dict[str, Transition] = {
    "open": Transition(frozenset({Status.DRAFT}), Status.OPEN),
    "close": Transition(frozenset({Status.OPEN}), Status.CLOSED),
}


def _locked(contest: Contest) -> Contest:
    return Contest.objects.select_for_update().get(pk=contest.pk)


def _require_status(contest: Contest, allowed: set[str], message: str) -> None:
    if contest.status not in allowed:
        raise ContestConflict(message % {"status": contest.get_status_display()})


CLOSED_MESSAGE = gettext_lazy("This contest is %(status)s: it can no longer be changed.")


def _saved(obj, *, actor, action: str, details: dict | None = None):
    obj.full_clean()
    obj.save()
    audit_record(actor=actor, action=action, obj=obj, details=details or {})
    return obj


# --- The sheet ---------------------------------------------------------------------------------


def contest_create(
    *,
    actor,
    title: str,
    held_on,
    trim_min_judges: int = 5,
    leaders_count: int = 3,
) -> Contest:
    """Create a contest in draft; the sheet is added next, then it is opened."""
    access_contest_create(actor)
    contest = Contest(
        title=(title or "").strip(),
        held_on=held_on,
        trim_min_judges=trim_min_judges,
        leaders_count=leaders_count,
    )
    with transaction.atomic():
        return _saved(contest, actor=actor, action="contest.create")


def contest_aspect_add(*, actor, contest: Contest, name: str, order: int = 0) -> ContestAspect:
    """Add an aspect (评分维度) to a contest still in draft."""
    access_contest_sheet_change(actor, contest)
    with transaction.atomic():
        locked = _locked(contest)
        _require_status(
            locked, {Status.DRAFT}, _("This contest is %(status)s: its indicators are fixed.")
        )
        aspect = ContestAspect(contest=locked, name=(name or "").strip(), order=order)
        return _saved(aspect, actor=actor, action="contest.aspect_add")


def contest_indicator_add(
    *,
    actor,
    aspect: ContestAspect,
    name: str,
    weight: Decimal,
    max_score: Decimal = Decimal("10"),
    order: int = 0,
) -> ContestIndicator:
    """Add a weighted indicator to an aspect of a contest still in draft."""
    access_contest_sheet_change(actor, aspect.contest)
    with transaction.atomic():
        locked = _locked(aspect.contest)
        _require_status(
            locked, {Status.DRAFT}, _("This contest is %(status)s: its indicators are fixed.")
        )
        indicator = ContestIndicator(
            aspect=aspect,
            name=(name or "").strip(),
            weight=weight,
            max_score=max_score,
            order=order,
        )
        return _saved(
            indicator,
            actor=actor,
            action="contest.indicator_add",
            details={"weight": str(weight), "max_score": str(max_score)},
        )


def contestant_add(*, actor, contest: Contest, member=None, name: str = "", org=None) -> Contestant:
    """Add a contestant — a member (their name and organisation by default) or a name — while
    the contest is not closed. A member must be in the actor's scope."""
    access_contest_sheet_change(actor, contest)
    if member is not None and actor is not None:
        visible = selectors.contestant_member_choices(actor=actor).filter(pk=member.pk)
        if not visible.exists():
            raise ValidationError({"member": [_("Choose a member in your area.")]})
    with transaction.atomic():
        locked = _locked(contest)
        _require_status(locked, {Status.DRAFT, Status.OPEN}, CLOSED_MESSAGE)
        if member is not None and locked.contestants.filter(member=member).exists():
            raise ValidationError({"member": [_("This member already takes part.")]})
        contestant = Contestant(
            contest=locked,
            member=member,
            name=(name or "").strip() or (member.name if member else ""),
            org=org if org is not None else (member.org if member else None),
        )
        return _saved(contestant, actor=actor, action="contest.contestant_add")


def contest_judge_add(*, actor, contest: Contest, user) -> ContestJudge:
    """Name a judge while the contest is not closed; the judge hears of it."""
    access_contest_sheet_change(actor, contest)
    if not selectors.judge_candidates().filter(pk=user.pk).exists():
        raise ValidationError(
            {"user": [_("This person cannot score: give them a Party role first.")]}
        )
    with transaction.atomic():
        locked = _locked(contest)
        _require_status(locked, {Status.DRAFT, Status.OPEN}, CLOSED_MESSAGE)
        if locked.judges.filter(user=user).exists():
            raise ValidationError({"user": [_("This person is already a judge.")]})
        judge = _saved(
            ContestJudge(contest=locked, user=user), actor=actor, action="contest.judge_add"
        )
        notification_send(
            recipient=user,
            title=_("You are a judge of “%(contest)s”") % {"contest": locked.title},
            url=f"/party/contests/{locked.pk}/judge/",
            dedup_key=f"contest-judge:{locked.pk}",
        )
        return judge


INDICATOR_EDITABLE = frozenset({"aspect", "name", "weight", "max_score", "order"})
CONTESTANT_EDITABLE = frozenset({"name", "org"})
INDICATORS_FIXED = gettext_lazy("This contest is %(status)s: its indicators are fixed.")


def _changed(obj, fields: dict, editable: frozenset, what: str) -> list[str]:
    unknown = set(fields) - editable
    if unknown:
        raise TypeError(f"not editable on {what}: {', '.join(sorted(unknown))}")
    changed = []
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def contest_indicator_update(*, actor, indicator: ContestIndicator, **fields) -> ContestIndicator:
    """Edit an indicator while its contest is in draft (its aspect must be of the same contest);
    an open or closed contest answers ContestConflict (409): the scores refer to the sheet."""
    access_contest_indicator_change(actor, indicator)
    with transaction.atomic():
        locked_contest = _locked(indicator.aspect.contest)
        _require_status(locked_contest, {Status.DRAFT}, INDICATORS_FIXED)
        locked = ContestIndicator.objects.select_for_update().get(pk=indicator.pk)
        aspect = fields.get("aspect")
        if aspect is not None and aspect.contest_id != locked_contest.pk:
            raise ValidationError({"aspect": [_("The aspect belongs to another contest.")]})
        changed = _changed(locked, fields, INDICATOR_EDITABLE, "an indicator")
        if not changed:
            return locked
        locked.full_clean()
        locked.save(update_fields=changed)
        audit_record(
            actor=actor,
            action="contest.indicator_update",
            obj=locked,
            details={"contest": locked_contest.pk, "fields": changed},
        )
    return locked


def contestant_update(*, actor, contestant: Contestant, **fields) -> Contestant:
    """Correct a contestant's name or organisation while the contest is not closed (closed:
    ContestConflict, 409). The organisation must be one the actor sees."""
    access_contestant_change(actor, contestant)
    org = fields.get("org")
    if org is not None and actor is not None:
        from partybuilding.organisations.models import PartyOrg

        if not PartyOrg.objects.visible_to(actor).filter(pk=org.pk).exists():
            raise ValidationError({"org": [_("Choose an organisation in your area.")]})
    with transaction.atomic():
        locked_contest = _locked(contestant.contest)
        _require_status(locked_contest, {Status.DRAFT, Status.OPEN}, CLOSED_MESSAGE)
        locked = Contestant.objects.select_for_update().get(pk=contestant.pk)
        changed = _changed(locked, fields, CONTESTANT_EDITABLE, "a contestant")
        if not changed:
            return locked
        locked.full_clean()
        locked.save(update_fields=changed)
        audit_record(
            actor=actor,
            action="contest.contestant_update",
            obj=locked,
            details={"contest": locked_contest.pk, "fields": changed},
        )
    return locked


def contest_judge_remove(*, actor, judge: ContestJudge) -> None:
    """Take a judge off the panel while the contest is not closed (closed: ContestConflict,
    409) and only before they scored: a judge's scores stay theirs (else a field error)."""
    access_contest_judge_remove(actor, judge)
    with transaction.atomic():
        locked_contest = _locked(judge.contest)
        _require_status(locked_contest, {Status.DRAFT, Status.OPEN}, CLOSED_MESSAGE)
        locked = ContestJudge.objects.select_for_update().get(pk=judge.pk)
        if Score.objects.filter(judge=locked).exists():
            raise ValidationError(
                {"user": [_("This judge has scored already and stays on the panel.")]}
            )
        audit_record(
            actor=actor,
            action="contest.judge_remove",
            obj=locked_contest,
            details={"judge": locked.pk, "user": locked.user_id},
        )
        locked.delete()


# --- Transitions -------------------------------------------------------------------------------


def contest_open(*, actor, contest: Contest) -> Contest:
    """Open a draft contest for scoring: it needs indicators, contestants and judges."""
    access_contest_open(actor, contest)
    with transaction.atomic():
        locked = _locked(contest)
        _require_status(
            locked,
            TRANSITIONS["open"].sources,
            _("This contest is %(status)s: it cannot be opened."),
        )
        missing = []
        if not ContestIndicator.objects.filter(aspect__contest=locked).exists():
            missing.append(_("indicators"))
        if not locked.contestants.exists():
            missing.append(_("contestants"))
        if not locked.judges.exists():
            missing.append(_("judges"))
        if missing:
            raise ValidationError(
                _("Add %(missing)s before opening the contest.") % {"missing": "、".join(missing)}
            )
        locked.status = TRANSITIONS["open"].target
        locked.full_clean()
        locked.save(update_fields=["status"])
        audit_record(actor=actor, action="contest.open", obj=locked)
    return locked


def contest_close(*, actor, contest: Contest) -> Contest:
    """Close an open contest: freeze it and store the standings as ContestResult rows."""
    access_contest_close(actor, contest)
    with transaction.atomic():
        locked = _locked(contest)
        _require_status(
            locked,
            TRANSITIONS["close"].sources,
            _("This contest is %(status)s: it cannot be closed."),
        )
        standings = selectors.contest_standings_compute(contest=locked)
        locked.status = TRANSITIONS["close"].target
        locked.closed_at = timezone.now()
        locked.full_clean()
        locked.save(update_fields=["status", "closed_at"])
        ContestResult.objects.bulk_create(
            [
                ContestResult(
                    contest=locked,
                    contestant_id=line.contestant_id,
                    total=line.total,
                    rank=line.rank,
                    tie=line.tie,
                )
                for line in standings
            ]
        )
        audit_record(
            actor=actor,
            action="contest.close",
            obj=locked,
            details={"results": [[s.contestant_id, str(s.total), s.rank] for s in standings]},
        )
    return locked


def contest_publish(*, actor, contest: Contest) -> Contest:
    """Publish a closed contest's results and scoring sheet (once)."""
    access_contest_publish(actor, contest)
    with transaction.atomic():
        locked = _locked(contest)
        if locked.status != Status.CLOSED:
            raise ContestConflict(_("Results are published after the contest closes."))
        if locked.published_at is not None:
            raise ContestConflict(_("The results are already published."))
        locked.published_at = timezone.now()
        locked.full_clean()
        locked.save(update_fields=["published_at"])
        audit_record(actor=actor, action="contest.publish", obj=locked)
    return locked


# --- Scores --------------------------------------------------------------------------------------


def contest_scores_set(
    *, actor, contest: Contest, contestant: Contestant, values: dict
) -> list[Score]:
    """A judge's scores of one contestant: {indicator: value} — a value sets the judge's own
    score, None clears it. Only while the contest is open (else ContestConflict, 409); every
    value between 0 and the indicator's highest score (else field errors, nothing written)."""
    access_contest_score(actor, contest)
    with transaction.atomic():
        locked = _locked(contest)
        if locked.status != Status.OPEN:
            raise ContestConflict(
                _("This contest is %(status)s: scores can no longer be changed.")
                % {"status": locked.get_status_display()}
            )
        if contestant.contest_id != locked.pk:
            raise ValidationError({"contestant": [_("The contestant is in another contest.")]})
        judge = ContestJudge.objects.get(contest=locked, user=actor)
        indicators = {i.pk: i for i in selectors.contest_indicators(contest=locked)}
        existing = {
            s.indicator_id: s for s in Score.objects.filter(judge=judge, contestant=contestant)
        }
        errors: dict[str, list] = {}
        saved, cleared = [], []
        now = timezone.now()
        for indicator, value in values.items():
            key = f"indicator_{indicator.pk}"
            if indicator.pk not in indicators:
                errors[key] = [_("The indicator belongs to another contest.")]
                continue
            indicator = indicators[indicator.pk]
            score = existing.get(indicator.pk)
            if value is None:
                if score is not None:
                    cleared.append(score)
                continue
            if score is None:
                score = Score(judge=judge, contestant=contestant, indicator=indicator)
            elif score.value == value:
                continue
            score.value = value
            score.updated_at = now
            try:
                score.full_clean()
            except ValidationError as exc:
                errors[key] = [m for ms in exc.message_dict.values() for m in ms]
                continue
            saved.append(score)
        if errors:
            raise ValidationError(errors)
        for score in saved:
            score.save()
        if cleared:
            Score.objects.filter(pk__in=[s.pk for s in cleared]).delete()
        if saved or cleared:
            audit_record(
                actor=actor,
                action="contest.scores_set",
                obj=contestant,
                details={
                    "contest": locked.pk,
                    "set": {s.indicator_id: str(s.value) for s in saved},
                    "cleared": [s.indicator_id for s in cleared],
                },
            )
    return saved


# --- The 领头雁 programme -------------------------------------------------------------------------


def lead_goose_enrol(
    *,
    actor,
    track: str,
    started_on,
    contestant: Contestant | None = None,
    member=None,
    mentor: str = "",
    plan: str = "",
) -> LeadGooseEnrolment:
    """Enrol a contestant of a closed contest (or a member) in the lead-goose programme or the
    reserve-cadre pool. The programme takes the contest's top places only (rank ≤ its
    `leaders_count`, ties at the last place included); the reserve pool anyone."""
    access_lead_goose_enrol(actor)
    if (
        member is not None
        and actor is not None
        and not selectors.contestant_member_choices(actor=actor).filter(pk=member.pk).exists()
    ):
        raise ValidationError({"member": [_("Choose a member in your area.")]})
    # Read the contest afresh: the contestant's cached one may predate the close.
    contest = Contest.objects.get(pk=contestant.contest_id) if contestant is not None else None
    if contest is not None:
        if not contest.is_frozen:
            raise ValidationError(
                {"contestant": [_("Enrol contestants once the contest has closed.")]}
            )
        if (
            track == LeadGooseEnrolment.Track.LEAD_GOOSE
            and not selectors.leaders_of(contest=contest).filter(contestant=contestant).exists()
        ):
            raise ValidationError(
                {
                    "track": [
                        _("Only the top %(k)s of the contest enter the lead goose programme.")
                        % {"k": contest.leaders_count}
                    ]
                }
            )
    enrolment = LeadGooseEnrolment(
        track=track,
        contestant=contestant,
        contest=contest,
        member=member,
        mentor=(mentor or "").strip(),
        plan=plan or "",
        started_on=started_on,
    )
    with transaction.atomic():
        if (
            contestant is not None
            and LeadGooseEnrolment.objects.filter(contestant=contestant, track=track).exists()
        ):
            raise ValidationError({"contestant": [_("Already enrolled on this track.")]})
        person = member if member is not None else (contestant.member if contestant else None)
        if (
            person is not None
            and LeadGooseEnrolment.objects.filter(
                member=person, track=track, ended_on__isnull=True
            ).exists()
        ):
            raise ValidationError({"member": [_("Already enrolled on this track.")]})
        return _saved(enrolment, actor=actor, action="lead_goose.enrol", details={"track": track})


def lead_goose_update(*, actor, enrolment: LeadGooseEnrolment, **fields) -> LeadGooseEnrolment:
    """Change the mentor, the plan or the end date of an enrolment."""
    access_lead_goose_change(actor, enrolment)
    unknown = set(fields) - {"mentor", "plan", "ended_on"}
    if unknown:
        raise TypeError(f"not editable on an enrolment: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = LeadGooseEnrolment.objects.select_for_update().get(pk=enrolment.pk)
        changed = [name for name, value in fields.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, fields[name])
        if not changed:
            return locked
        locked.full_clean()
        locked.save(update_fields=changed)
        audit_record(
            actor=actor, action="lead_goose.update", obj=locked, details={"fields": changed}
        )
    return locked


def lead_goose_milestone_add(
    *, actor, enrolment: LeadGooseEnrolment, title: str, due_on
) -> LeadGooseMilestone:
    """Add a milestone (培养节点) to an enrolment's development plan."""
    access_lead_goose_change(actor, enrolment)
    milestone = LeadGooseMilestone(enrolment=enrolment, title=(title or "").strip(), due_on=due_on)
    with transaction.atomic():
        return _saved(milestone, actor=actor, action="lead_goose.milestone_add")


def lead_goose_milestone_done(
    *, actor, milestone: LeadGooseMilestone, done_on
) -> LeadGooseMilestone:
    """Mark a milestone done on a date (None: not done after all)."""
    access_lead_goose_change(actor, milestone.enrolment)
    with transaction.atomic():
        locked = LeadGooseMilestone.objects.select_for_update().get(pk=milestone.pk)
        locked.done_on = done_on
        locked.full_clean()
        locked.save(update_fields=["done_on"])
        audit_record(
            actor=actor,
            action="lead_goose.milestone_done",
            obj=locked,
            details={"done_on": str(done_on) if done_on else None},
        )
    return locked
