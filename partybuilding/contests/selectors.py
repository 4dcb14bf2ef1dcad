"""Reads of contests (擂台赛), scores, results and the 领头雁 programme: each starts from
`visible_to(actor)` and owns its joins, so a list costs the same queries for 1 row or 20.

The scoring rule itself is `contest_standings` below, a pure function (the formula is in its
docstring); closing a contest stores its output as ContestResult rows, the results page and the
API read those rows and show the sheet the function worked from.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce

from partybuilding.contests.models import (
    Contest,
    Contestant,
    ContestIndicator,
    ContestJudge,
    ContestResult,
    LeadGooseEnrolment,
    LeadGooseMilestone,
    Score,
)
from partybuilding.organisations.models import PartyMember
from portal.roles import Role, role_has_perm

TOTAL_PLACES = Decimal("0.001")  # ContestResult.total has three decimal places


@dataclass(frozen=True)
class IndicatorAverage:
    """One indicator of one contestant: the judges' scores, which were dropped, the average."""

    indicator_id: int
    scores: tuple[Decimal, ...]
    trimmed: bool
    dropped: tuple[Decimal, ...]
    average: Fraction


@dataclass(frozen=True)
class Standing:
    """One contestant's line: the total (rounded as stored), rank, tie flag, per indicator."""

    contestant_id: int
    total: Decimal
    rank: int = 0
    tie: bool = False
    indicators: dict[int, IndicatorAverage] = field(default_factory=dict)


def indicator_average(scores: Iterable[Decimal], *, trim_min_judges: int) -> IndicatorAverage:
    """The average of one indicator's scores; with at least `trim_min_judges` scores, one
    highest and one lowest are dropped first. No score at all: 0."""
    values = tuple(sorted(Decimal(s) for s in scores))
    trimmed = len(values) >= trim_min_judges
    kept = values[1:-1] if trimmed else values
    dropped = (values[0], values[-1]) if trimmed else ()
    average = sum((Fraction(v) for v in kept), Fraction(0)) / len(kept) if kept else Fraction(0)
    return IndicatorAverage(0, values, trimmed, dropped, average)


def round_total(value: Fraction) -> Decimal:
    """A total as stored and shown: three decimal places, halves rounded up."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(TOTAL_PLACES, rounding=ROUND_HALF_UP)


def contest_standings(
    *,
    contestant_ids: Iterable[int],
    weights: Mapping[int, Decimal],
    scores: Mapping[tuple[int, int], Iterable[Decimal]],
    trim_min_judges: int,
) -> list[Standing]:
    """Every contestant's weighted total and rank — the one place the scoring rule lives.

    Inputs: the contestants; `weights` {indicator id: weight > 0}; `scores`
    {(contestant id, indicator id): the judges' scores}; `trim_min_judges` (the contest's N).

    For contestant c and indicator i, with the n scores s_1 ≤ … ≤ s_n the judges gave:

        a(c, i) = (s_2 + … + s_{n-1}) / (n − 2)    when n ≥ N (one highest, one lowest dropped)
        a(c, i) = (s_1 + … + s_n) / n              when 0 < n < N (plain average)
        a(c, i) = 0                                when nobody scored it

    Weights are relative shares, not required to sum to 1 (a street may write 30/30/40 or
    0.3/0.3/0.4): they are normalised by W = Σ_i w_i over all the contest's indicators, so

        total(c) = Σ_i (w_i / W) × a(c, i)

    stays on the score scale (all indicators out of 10 → a total out of 10). The sum is exact
    (fractions) and rounded once, to three decimal places, halves up: the total stored in
    ContestResult and shown everywhere.

    Ranking (standard competition ranking): by rounded total, highest first; equal totals share
    a rank and the next rank skips (10, 10, 9 → 1, 1, 3); every contestant whose total equals
    another's has `tie` set. Tied contestants are listed by id (their order means nothing).
    """
    weight_sum = sum((Fraction(w) for w in weights.values()), Fraction(0))
    lines = []
    for contestant_id in contestant_ids:
        exact = Fraction(0)
        per_indicator = {}
        for indicator_id, weight in weights.items():
            result = indicator_average(
                scores.get((contestant_id, indicator_id), ()), trim_min_judges=trim_min_judges
            )
            result = IndicatorAverage(
                indicator_id, result.scores, result.trimmed, result.dropped, result.average
            )
            per_indicator[indicator_id] = result
            if weight_sum:
                exact += Fraction(weight) / weight_sum * result.average
        lines.append((contestant_id, round_total(exact), per_indicator))
    lines.sort(key=lambda line: (-line[1], line[0]))
    counts: dict[Decimal, int] = {}
    for _, total, _ in lines:
        counts[total] = counts.get(total, 0) + 1
    standings, rank, previous = [], 0, None
    for position, (contestant_id, total, per_indicator) in enumerate(lines, start=1):
        if total != previous:
            rank, previous = position, total
        standings.append(Standing(contestant_id, total, rank, counts[total] > 1, per_indicator))
    return standings


# --- Contests -------------------------------------------------------------------------------------


def _count(model, path: str):
    """A correlated COUNT of `model` rows whose `path` is the outer contest (0 when none)."""
    counted = (
        model.objects.filter(**{path: OuterRef("pk")})
        .order_by()
        .values(path)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def contest_list(*, actor, action: str = "view"):
    """Contests the actor may see, with the number of contestants and judges (3 subqueries,
    no query per row)."""
    return (
        Contest.objects.visible_to(actor, action)
        .annotate(
            contestant_count=_count(Contestant, "contest"),
            judge_count=_count(ContestJudge, "contest"),
            indicator_count=_count(ContestIndicator, "aspect__contest"),
        )
        .order_by("-held_on", "-pk")
    )


def contest_detail_list(*, actor):
    """Contests with their whole sheet prefetched: aspects → indicators, contestants (member,
    organisation), judges (user). For the detail page and the API."""
    return contest_list(actor=actor).prefetch_related(
        "aspects__indicators",
        Prefetch("contestants", queryset=Contestant.objects.select_related("member", "org")),
        Prefetch("judges", queryset=ContestJudge.objects.select_related("user")),
    )


def contest_indicators(*, contest):
    """The contest's indicators in sheet order (aspect, then indicator), with their aspect."""
    return (
        ContestIndicator.objects.filter(aspect__contest=contest)
        .select_related("aspect")
        .order_by("aspect__order", "aspect__pk", "order", "pk")
    )


def contest_judged_list(*, actor):
    """The contests the actor judges (the judge's start page), newest first."""
    judged = ContestJudge.objects.filter(user=actor).values("contest")
    return contest_list(actor=actor).filter(pk__in=judged)


def judge_of(*, actor, contest):
    """The actor's ContestJudge row in `contest`, or None."""
    if actor is None or not actor.is_authenticated:
        return None
    return ContestJudge.objects.filter(contest=contest, user=actor).first()


def judge_contestants(*, actor, contest):
    """The contest's contestants as its judge sees them: with how many indicators the actor has
    scored for each (one subquery)."""
    mine = (
        Score.objects.filter(contestant=OuterRef("pk"), judge__user=actor)
        .order_by()
        .values("contestant")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Contestant.objects.visible_to(actor)
        .filter(contest=contest)
        .select_related("org")
        .annotate(scored=Coalesce(Subquery(mine, output_field=IntegerField()), Value(0)))
        .order_by("name", "pk")
    )


def judge_scores(*, actor, contest):
    """The actor's own scores in `contest` — never another judge's, even for the organiser."""
    return (
        Score.objects.visible_to(actor)
        .filter(judge__contest=contest, judge__user=actor)
        .select_related("contestant", "indicator__aspect")
        .order_by("contestant__name", "indicator__aspect__order", "indicator__order", "pk")
    )


def judge_candidates(*, actor=None):
    """People who may be named judges: active users whose role may score (a contest's judge
    must be able to reach the scoring pages)."""
    roles = [role for role in Role.values if role_has_perm(role, "partybuilding.change_score")]
    return (
        get_user_model()
        .objects.filter(is_active=True, role__in=roles)
        .order_by("full_name", "username")
    )


def contestant_member_choices(*, actor):
    """Members the actor may name as contestants (or enrol): those in their scope."""
    return PartyMember.objects.visible_to(actor).select_related("org").order_by("name", "pk")


# --- Scoring and results -------------------------------------------------------------------------


def contest_standings_compute(*, contest) -> list[Standing]:
    """The standings of `contest` from its scores as they are now (the close write stores them).

    Three queries: contestants, indicators, scores — whatever the size of the sheet.
    """
    contestant_ids = list(contest.contestants.order_by("pk").values_list("pk", flat=True))
    weights = dict(
        ContestIndicator.objects.filter(aspect__contest=contest).values_list("pk", "weight")
    )
    scores: dict[tuple[int, int], list[Decimal]] = defaultdict(list)
    for contestant_id, indicator_id, value in Score.objects.filter(
        judge__contest=contest
    ).values_list("contestant_id", "indicator_id", "value"):
        scores[(contestant_id, indicator_id)].append(value)
    return contest_standings(
        contestant_ids=contestant_ids,
        weights=weights,
        scores=scores,
        trim_min_judges=contest.trim_min_judges,
    )


def results_visible(*, actor, contest) -> bool:
    """Results (and the sheet) are shown once published; the organisers see them on closing."""
    if not contest.is_frozen:
        return False
    if contest.published_at is not None:
        return True
    return Contest.objects.visible_to(actor, "change").filter(pk=contest.pk).exists()


def contest_results(*, actor, contest):
    """The stored results of `contest` the actor may see, by rank."""
    return (
        ContestResult.objects.visible_to(actor)
        .filter(contest=contest)
        .select_related("contestant__org", "contestant__member")
        .order_by("rank", "contestant__name", "pk")
    )


@dataclass
class SheetRow:
    """One contestant on the published scoring sheet: result and, per indicator, each judge's
    score (None: not scored), what was dropped, and the average that counted."""

    result: ContestResult
    cells: list[dict]


def contest_result_sheet(*, actor, contest) -> dict:
    """The full scoring sheet behind the results: indicators, judges and, per contestant, every
    judge's score with the dropped ones marked. Empty when the actor may not see results yet.

    Five queries: results, indicators, judges, scores (and the contest the caller holds).
    """
    if not results_visible(actor=actor, contest=contest):
        return {"indicators": [], "judges": [], "rows": []}
    results = list(contest_results(actor=actor, contest=contest))
    indicators = list(contest_indicators(contest=contest))
    judges = list(contest.judges.select_related("user").order_by("pk"))
    by_cell: dict[tuple[int, int], dict[int, Decimal]] = defaultdict(dict)
    for score in Score.objects.filter(judge__contest=contest).values(
        "contestant_id", "indicator_id", "judge_id", "value"
    ):
        by_cell[(score["contestant_id"], score["indicator_id"])][score["judge_id"]] = score["value"]
    rows = []
    for result in results:
        cells = []
        for indicator in indicators:
            given = by_cell.get((result.contestant_id, indicator.pk), {})
            summary = indicator_average(given.values(), trim_min_judges=contest.trim_min_judges)
            dropped = list(summary.dropped)
            marks = []
            for judge in judges:
                value = given.get(judge.pk)
                is_dropped = value is not None and value in dropped
                if is_dropped:
                    dropped.remove(value)  # one highest and one lowest: mark one of each
                marks.append({"judge": judge, "value": value, "dropped": is_dropped})
            cells.append(
                {
                    "indicator": indicator,
                    "scores": marks,
                    "trimmed": summary.trimmed,
                    "average": round_total(summary.average),
                }
            )
        rows.append(SheetRow(result=result, cells=cells))
    return {"indicators": indicators, "judges": judges, "rows": rows}


# --- The 领头雁 programme --------------------------------------------------------------------------


def enrolment_list(*, actor, action: str = "view"):
    """Enrolments in the lead-goose programme and the reserve pool, with the milestone counts."""
    done = (
        LeadGooseMilestone.objects.filter(enrolment=OuterRef("pk"), done_on__isnull=False)
        .order_by()
        .values("enrolment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        LeadGooseEnrolment.objects.visible_to(actor, action)
        .select_related("member__org", "contestant", "contest")
        .annotate(
            milestone_count=_count(LeadGooseMilestone, "enrolment"),
            milestones_done=Coalesce(Subquery(done, output_field=IntegerField()), Value(0)),
        )
        .order_by("-started_on", "-pk")
    )


def enrolment_api_list(*, actor):
    """Enrolments with their milestones prefetched (the API nests them)."""
    return enrolment_list(actor=actor).prefetch_related(
        Prefetch("milestones", queryset=LeadGooseMilestone.objects.order_by("due_on", "pk"))
    )


def enrolment_milestones(*, actor, enrolment):
    return LeadGooseMilestone.objects.visible_to(actor).filter(enrolment=enrolment)


def leaders_of(*, contest) -> Iterable[ContestResult]:
    """The results that earn a place in the 领头雁 programme: rank ≤ the contest's places (ties
    at the last place all get in)."""
    return (
        ContestResult.objects.filter(contest=contest, rank__lte=contest.leaders_count)
        .select_related("contestant")
        .order_by("rank", "pk")
    )


def enrolled_contestants(*, contest) -> set[int]:
    return set(
        LeadGooseEnrolment.objects.filter(contest=contest).values_list("contestant_id", flat=True)
    )
