"""The contest's arithmetic (selectors.contest_standings), and the results closing stores."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partybuilding.contests import writes
from partybuilding.contests.models import ContestResult
from partybuilding.contests.selectors import contest_standings
from tests.partybuilding.factories import (
    ContestantFactory,
    ContestAspectFactory,
    ContestFactory,
    ContestIndicatorFactory,
    ContestJudgeFactory,
    ScoreFactory,
)

D = Decimal

scores_st = st.decimals(min_value=0, max_value=10, places=2, allow_nan=False, allow_infinity=False)
weights_st = st.decimals(min_value=D("0.01"), max_value=100, places=2)


def _direct_total(judge_scores, weights, trim_min_judges):
    """The rule written out again, the long way: sort, drop the first and last when there are
    enough judges, average, weigh by w / Σw, round to 3 places half up."""
    weight_sum = sum(Fraction(w) for w in weights)
    total = Fraction(0)
    for column, weight in enumerate(weights):
        given_scores = sorted(
            Fraction(row[column]) for row in judge_scores if row[column] is not None
        )
        if len(given_scores) >= trim_min_judges:
            given_scores = given_scores[1:-1]
        average = sum(given_scores) / len(given_scores) if given_scores else Fraction(0)
        total += Fraction(weight) / weight_sum * average
    return (D(total.numerator) / D(total.denominator)).quantize(
        D("0.001"), rounding="ROUND_HALF_UP"
    )


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    judges=st.integers(min_value=0, max_value=9),
    weights=st.lists(weights_st, min_size=1, max_size=6),
    trim_min_judges=st.integers(min_value=3, max_value=7),
)
def test_trimmed_weighted_total_equals_a_direct_recomputation(
    data, judges, weights, trim_min_judges
):
    """judges × indicators scores (some missing), any weights: the same total either way."""
    judge_scores = [
        data.draw(
            st.lists(st.one_of(st.none(), scores_st), min_size=len(weights), max_size=len(weights))
        )
        for _ in range(judges)
    ]
    weight_map = dict(enumerate(weights, start=1))
    scores = {}
    for row in judge_scores:
        for column, value in enumerate(row, start=1):
            if value is not None:
                scores.setdefault((7, column), []).append(value)
    [standing] = contest_standings(
        contestant_ids=[7], weights=weight_map, scores=scores, trim_min_judges=trim_min_judges
    )
    assert standing.total == _direct_total(judge_scores, weights, trim_min_judges)
    assert standing.rank == 1
    assert standing.tie is False


def test_five_judges_drop_the_highest_and_the_lowest():
    # 9, 8, 7, 6, 1 → drop 9 and 1 → (8 + 7 + 6) / 3 = 7
    [standing] = contest_standings(
        contestant_ids=[1],
        weights={10: D("1")},
        scores={(1, 10): [D(9), D(8), D(7), D(6), D(1)]},
        trim_min_judges=5,
    )
    assert standing.total == D("7.000")
    cell = standing.indicators[10]
    assert cell.trimmed and cell.dropped == (D(1), D(9))


def test_fewer_judges_than_the_threshold_take_the_plain_average():
    # 4 judges < 5: nothing dropped → (9 + 8 + 7 + 1) / 4 = 6.25
    [standing] = contest_standings(
        contestant_ids=[1],
        weights={10: D("1")},
        scores={(1, 10): [D(9), D(8), D(7), D(1)]},
        trim_min_judges=5,
    )
    assert standing.total == D("6.250")
    assert not standing.indicators[10].trimmed
    assert standing.indicators[10].dropped == ()


def test_weights_are_normalised_to_sum_to_one():
    # weights 30 and 70 → 0.3 × 10 + 0.7 × 5 = 6.5, on the score scale
    [standing] = contest_standings(
        contestant_ids=[1],
        weights={1: D("30"), 2: D("70")},
        scores={(1, 1): [D(10)], (1, 2): [D(5)]},
        trim_min_judges=5,
    )
    assert standing.total == D("6.500")


def test_ties_share_a_rank_and_the_next_rank_skips():
    standings = contest_standings(
        contestant_ids=[1, 2, 3, 4],
        weights={10: D("1")},
        scores={(1, 10): [D(8)], (2, 10): [D(9)], (3, 10): [D(9)], (4, 10): [D(7)]},
        trim_min_judges=5,
    )
    assert [(s.contestant_id, s.rank, s.tie) for s in standings] == [
        (2, 1, True),
        (3, 1, True),
        (1, 3, False),
        (4, 4, False),
    ]


def test_an_unscored_contestant_totals_zero_and_ranks_last():
    standings = contest_standings(
        contestant_ids=[1, 2],
        weights={10: D("1")},
        scores={(1, 10): [D(3)]},
        trim_min_judges=5,
    )
    assert [(s.contestant_id, s.total, s.rank) for s in standings] == [
        (1, D("3.000"), 1),
        (2, D("0.000"), 2),
    ]


@pytest.mark.django_db
def test_closing_stores_the_standings_with_ties(street):
    contest = ContestFactory(trim_min_judges=3)
    indicator = ContestIndicatorFactory(aspect=ContestAspectFactory(contest=contest))
    a, b, c = (ContestantFactory(contest=contest) for _ in range(3))
    judges = [ContestJudgeFactory(contest=contest) for _ in range(3)]
    table = {a: [9, 9, 9], b: [1, 9, 10], c: [2, 9, 8]}  # b: drop 1, 10 → 9; c: drop 2, 9 → 8
    for contestant, values in table.items():
        for judge, value in zip(judges, values, strict=True):
            ScoreFactory(judge=judge, contestant=contestant, indicator=indicator, value=D(value))
    writes.contest_close(actor=None, contest=contest)
    results = {r.contestant_id: (r.total, r.rank, r.tie) for r in ContestResult.objects.all()}
    assert results == {
        a.pk: (D("9.000"), 1, True),
        b.pk: (D("9.000"), 1, True),
        c.pk: (D("8.000"), 3, False),
    }
