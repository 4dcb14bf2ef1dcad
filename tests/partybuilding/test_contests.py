"""Contests (擂台赛): the organiser's sheet and transitions, the judge's own scores, the frozen
contest, the published results and the 领头雁 enrolment — writes, API and pages."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from partybuilding.contests import writes
from partybuilding.contests.models import Contest, ContestResult, LeadGooseEnrolment, Score
from portal.models import AuditEvent
from tests.helpers import (
    Call,
    assert_access_matrix,
    assert_answer_documented,
    assert_constant_queries,
    login,
    page_call,
)
from tests.partybuilding.factories import (
    ContestantFactory,
    ContestAspectFactory,
    ContestFactory,
    ContestIndicatorFactory,
    ContestJudgeFactory,
    PartyMemberFactory,
    PartyMemberUserFactory,
    ScoreFactory,
)

D = Decimal


@pytest.fixture
def judge_a(branch_a):
    return PartyMemberUserFactory(username="t_judge_a", full_name="评委甲")


@pytest.fixture
def judge_b(branch_a):
    return PartyMemberUserFactory(username="t_judge_b", full_name="评委乙")


@pytest.fixture
def contest(branch_a, judge_a, judge_b):
    """An open contest: two indicators, two contestants of branch A, judges A and B."""
    contest = ContestFactory(title="领头雁擂台赛", trim_min_judges=3)
    aspect = ContestAspectFactory(contest=contest, name="抓党建")
    ContestIndicatorFactory(aspect=aspect, name="组织建设", weight=D("0.6"))
    ContestIndicatorFactory(aspect=aspect, name="服务群众", weight=D("0.4"))
    for name in ("书记甲", "书记乙"):
        ContestantFactory(contest=contest, member=PartyMemberFactory(name=name, org=branch_a))
    ContestJudgeFactory(contest=contest, user=judge_a)
    ContestJudgeFactory(contest=contest, user=judge_b)
    return contest


def _indicators(contest):
    return list(contest.aspects.get().indicators.order_by("pk"))


def _contestants(contest):
    return list(contest.contestants.order_by("pk"))


def _score(contest, judge, contestant, *values):
    return writes.contest_scores_set(
        actor=judge,
        contest=contest,
        contestant=contestant,
        values=dict(zip(_indicators(contest), values, strict=True)),
    )


# --- Writes ---------------------------------------------------------------------------------------


def test_a_judge_sets_and_edits_only_their_own_scores(contest, judge_a, judge_b):
    first = _contestants(contest)[0]
    _score(contest, judge_a, first, D("8"), D("7"))
    _score(contest, judge_b, first, D("6"), D("5"))
    _score(contest, judge_a, first, D("9"), None)  # edit one, clear the other
    mine = Score.objects.filter(judge__user=judge_a).values_list("value", flat=True)
    assert list(mine) == [D("9")]
    assert sorted(Score.objects.filter(judge__user=judge_b).values_list("value", flat=True)) == [
        D("5"),
        D("6"),
    ]
    assert AuditEvent.objects.filter(action="contest.scores_set").count() == 3


def test_a_score_above_the_indicator_maximum_is_refused_and_nothing_is_written(contest, judge_a):
    first = _contestants(contest)[0]
    with pytest.raises(ValidationError) as exc:
        _score(contest, judge_a, first, D("8"), D("11"))
    assert list(exc.value.message_dict) == [f"indicator_{_indicators(contest)[1].pk}"]
    assert not Score.objects.exists()


def test_someone_who_is_not_a_judge_may_not_score(contest, secretary):
    with pytest.raises(PermissionDenied):
        _score(contest, secretary, _contestants(contest)[0], D("8"), D("7"))


def test_a_judge_editing_after_close_is_refused(contest, judge_a, party_officer):
    first = _contestants(contest)[0]
    _score(contest, judge_a, first, D("8"), D("7"))
    writes.contest_close(actor=party_officer, contest=contest)
    with (
        translation.override("en"),
        pytest.raises(writes.ContestConflict, match="scores can no longer be changed"),
    ):
        _score(contest, judge_a, first, D("1"), D("1"))
    assert sorted(Score.objects.values_list("value", flat=True)) == [D("7"), D("8")]


def test_closing_freezes_the_sheet(contest, party_officer, branch_a):
    writes.contest_close(actor=party_officer, contest=contest)
    with pytest.raises(writes.ContestConflict):
        writes.contestant_add(actor=party_officer, contest=contest, name="迟到者")
    with pytest.raises(writes.ContestConflict):
        writes.contest_aspect_add(actor=party_officer, contest=contest, name="促治理")
    with pytest.raises(writes.ContestConflict):
        writes.contest_close(actor=party_officer, contest=contest)


def test_indicators_are_fixed_once_the_contest_opens(contest, party_officer):
    with pytest.raises(writes.ContestConflict):
        writes.contest_indicator_add(
            actor=party_officer, aspect=contest.aspects.get(), name="新指标", weight=D("1")
        )


def test_the_organiser_builds_opens_closes_and_publishes(party_officer, judge_a, branch_a):
    contest = writes.contest_create(
        actor=party_officer, title="擂台赛", held_on=date(2026, 9, 1), trim_min_judges=5
    )
    with pytest.raises(ValidationError):
        writes.contest_open(actor=party_officer, contest=contest)  # nothing on the sheet yet
    aspect = writes.contest_aspect_add(actor=party_officer, contest=contest, name="抓党建")
    writes.contest_indicator_add(actor=party_officer, aspect=aspect, name="组织", weight=D("2"))
    member = PartyMemberFactory(name="书记丙", org=branch_a)
    contestant = writes.contestant_add(actor=party_officer, contest=contest, member=member)
    assert (contestant.name, contestant.org) == ("书记丙", branch_a)
    writes.contest_judge_add(actor=party_officer, contest=contest, user=judge_a)
    writes.contest_open(actor=party_officer, contest=contest)
    _score(contest, judge_a, contestant, D("7.5"))
    with pytest.raises(writes.ContestConflict):
        writes.contest_publish(actor=party_officer, contest=contest)  # not closed yet
    writes.contest_close(actor=party_officer, contest=contest)
    writes.contest_publish(actor=party_officer, contest=contest)
    contest.refresh_from_db()
    assert contest.status == Contest.Status.CLOSED and contest.published_at
    result = ContestResult.objects.get()
    assert (result.total, result.rank, result.tie) == (D("7.500"), 1, False)
    assert judge_a.notifications.filter(dedup_key=f"contest-judge:{contest.pk}").exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"contest.create", "contest.open", "contest.close", "contest.publish"} <= actions


def test_only_the_top_places_enter_the_lead_goose_programme(contest, judge_a, party_officer):
    contest.leaders_count = 1
    contest.save(update_fields=["leaders_count"])
    first, second = _contestants(contest)
    _score(contest, judge_a, first, D("9"), D("9"))
    _score(contest, judge_a, second, D("5"), D("5"))
    with pytest.raises(ValidationError):  # not closed yet
        writes.lead_goose_enrol(
            actor=party_officer, contestant=first, track="lead_goose", started_on=date(2026, 10, 1)
        )
    writes.contest_close(actor=party_officer, contest=contest)
    enrolment = writes.lead_goose_enrol(
        actor=party_officer,
        contestant=first,
        track=LeadGooseEnrolment.Track.LEAD_GOOSE,
        mentor="街道书记",
        plan="牵头一个共建项目",
        started_on=date(2026, 10, 1),
    )
    assert enrolment.member == first.member and enrolment.contest == contest
    with pytest.raises(ValidationError) as exc:
        writes.lead_goose_enrol(
            actor=party_officer,
            contestant=second,
            track=LeadGooseEnrolment.Track.LEAD_GOOSE,
            started_on=date(2026, 10, 1),
        )
    assert "track" in exc.value.message_dict
    writes.lead_goose_enrol(
        actor=party_officer,
        contestant=second,
        track=LeadGooseEnrolment.Track.RESERVE_CADRE,
        started_on=date(2026, 10, 1),
    )
    milestone = writes.lead_goose_milestone_add(
        actor=party_officer, enrolment=enrolment, title="季度述职", due_on=date(2026, 12, 31)
    )
    writes.lead_goose_milestone_done(
        actor=party_officer, milestone=milestone, done_on=date(2026, 12, 1)
    )
    milestone.refresh_from_db()
    assert milestone.done_on == date(2026, 12, 1)


# --- Gates ----------------------------------------------------------------------------------------


# --- API ------------------------------------------------------------------------------------------


def _api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_access_matrix(request, contest):
    url = f"/api/v1/contests/{contest.pk}/"
    assert_access_matrix(
        request,
        {
            "list": Call("get", "/api/v1/contests/"),
            "detail": Call("get", url),
            "create": Call(
                "post", "/api/v1/contests/", {"title": "新擂台", "held_on": "2026-09-01"}
            ),
            "close": Call("post", url + "close/"),
            "scores": Call("get", url + "scores/"),
            "results": Call("get", url + "results/"),
        },
        """
                          list  detail  create  close  scores  results
        street_admin      200   200     201     200    200     404
        party_officer     200   200     201     200    200     404
        # granted on branch A, whose members contest: sees it, may not run it
        party_cadre       200   200     403     403    200     404
        secretary         200   200     403     403    200     404
        judge_a           200   200     403     403    200     404
        # not a contestant, not a judge: the contest is not theirs
        member            200   404     403     404    404     404
        community_cadre   200   404     403     404    404     404
        grid_worker       403   404     403     404    404     404
        partner_staff     403   404     403     404    404     404
        anonymous         401   401     401     401    401     401
        """,
    )


def test_api_a_judge_scores_reads_own_and_another_judges_score_is_404_while_open(
    contest, judge_a, judge_b
):
    first = _contestants(contest)[0]
    one, two = _indicators(contest)
    url = f"/api/v1/contests/{contest.pk}/scores/"
    body = {"contestant": first.pk, "scores": [{"indicator": one.pk, "value": "8.5"}]}
    response = _api(judge_a).post(url, body, format="json")
    assert response.status_code == 200, response.content
    assert [row["value"] for row in response.json()] == ["8.50"]
    assert_answer_documented(response, "/api/v1/contests/{id}/scores/", "post")
    assert_answer_documented(_api(judge_a).get(url), "/api/v1/contests/{id}/scores/")
    other = _score(contest, judge_b, first, D("3"), D("4"))[0]
    assert _api(judge_a).get(f"{url}{other.pk}/").status_code == 404
    assert _api(judge_b).get(f"{url}{other.pk}/").status_code == 200
    assert [row["value"] for row in _api(judge_a).get(url).json()] == ["8.50"]
    # A value out of range: 400 with the field, nothing written.
    bad = {"contestant": first.pk, "scores": [{"indicator": two.pk, "value": "12"}]}
    response = _api(judge_a).post(url, bad, format="json")
    assert response.status_code == 400
    assert f"indicator_{two.pk}" in response.json()


def test_api_a_score_after_close_answers_409(contest, judge_a, party_officer):
    first = _contestants(contest)[0]
    writes.contest_close(actor=party_officer, contest=contest)
    body = {
        "contestant": first.pk,
        "scores": [{"indicator": _indicators(contest)[0].pk, "value": "9"}],
    }
    response = _api(judge_a).post(
        f"/api/v1/contests/{contest.pk}/scores/", body, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert "can no longer be changed" in response.json()["detail"]
    assert not Score.objects.exists()
    # Closing twice: a stale transition, 409 too.
    assert _api(party_officer).post(f"/api/v1/contests/{contest.pk}/close/").status_code == 409


def test_api_results_after_publication_with_the_scoring_sheet(
    contest, judge_a, judge_b, party_officer, secretary
):
    first, second = _contestants(contest)
    _score(contest, judge_a, first, D("8"), D("8"))
    _score(contest, judge_b, first, D("6"), D("6"))
    _score(contest, judge_a, second, D("7"), D("7"))
    writes.contest_close(actor=party_officer, contest=contest)
    url = f"/api/v1/contests/{contest.pk}/results/"
    assert _api(secretary).get(url).status_code == 404  # closed, not yet published
    assert _api(party_officer).get(url).status_code == 200  # the organiser checks first
    writes.contest_publish(actor=party_officer, contest=contest)
    response = _api(secretary).get(url)
    assert_answer_documented(response, "/api/v1/contests/{id}/results/")
    data = response.json()
    rows = {r["name"]: r for r in data["results"]}
    assert {name: (r["total"], r["rank"], r["tie"]) for name, r in rows.items()} == {
        "书记甲": ("7.000", 1, True),
        "书记乙": ("7.000", 1, True),
    }
    sheet = rows["书记甲"]["indicators"][0]["scores"]
    assert [s["value"] for s in sheet] == ["8.00", "6.00"]


def test_api_contest_list_queries_are_constant(party_officer, street):
    def add_rows(n):
        for _ in range(n):
            contest = ContestFactory()
            ContestIndicatorFactory(aspect=ContestAspectFactory(contest=contest))
            ContestantFactory(contest=contest)
            ContestJudgeFactory(contest=contest)

    client = _api(party_officer)
    # 1 count (pagination), 2 contests with their counts, 3 aspects, 4 indicators,
    # 5 contestants (member, org), 6 judges (user)
    assert_constant_queries(
        add_rows=add_rows,
        fetch=lambda: client.get("/api/v1/contests/"),
        expected=6,
    )


# --- Pages ----------------------------------------------------------------------------------------


def test_pages_access_matrix(request, contest):
    first = _contestants(contest)[0]
    assert_access_matrix(
        request,
        {
            "list": Call("get", reverse("partybuilding:contest-list")),
            "detail": Call("get", reverse("partybuilding:contest-detail", args=[contest.pk])),
            "judge": Call("get", reverse("partybuilding:contest-judge", args=[contest.pk])),
            "score": Call(
                "get", reverse("partybuilding:contest-judge-score", args=[contest.pk, first.pk])
            ),
            "create": Call("get", reverse("partybuilding:contest-create")),
        },
        """
                          list  detail  judge  score  create
        street_admin      200   200     404    404    200
        party_officer     200   200     404    404    200
        party_cadre       200   200     404    404    403
        secretary         200   200     404    404    403
        judge_a           200   200     200    200    403
        member            200   404     404    404    403
        community_cadre   200   404     404    404    403
        grid_worker       403   404     404    404    403
        partner_staff     403   404     404    404    403
        anonymous         302   302     302    302    302
        """,
        perform=page_call,
    )


def test_a_judge_scores_on_the_phone_page_and_gets_409_after_close(
    client, contest, judge_a, party_officer
):
    first = _contestants(contest)[0]
    one, two = _indicators(contest)
    login(client, judge_a)
    url = reverse("partybuilding:contest-judge-score", args=[contest.pk, first.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert f'name="indicator_{one.pk}"' in page.content.decode()
    response = client.post(url, {f"indicator_{one.pk}": "8", f"indicator_{two.pk}": "7.5"})
    assert response.status_code == 302
    assert sorted(Score.objects.values_list("value", flat=True)) == [D("7.5"), D("8")]
    writes.contest_close(actor=party_officer, contest=contest)
    response = client.post(url, {f"indicator_{one.pk}": "1", f"indicator_{two.pk}": "1"})
    assert response.status_code == 409
    assert sorted(Score.objects.values_list("value", flat=True)) == [D("7.5"), D("8")]


def test_organiser_pages_close_publish_and_enrol(client, contest, judge_a, party_officer):
    first = _contestants(contest)[0]
    _score(contest, judge_a, first, D("9"), D("9"))
    login(client, party_officer)
    detail = reverse("partybuilding:contest-detail", args=[contest.pk])
    assert 'data-testid="close-button"' in client.get(detail).content.decode()
    client.post(reverse("partybuilding:contest-transition", args=[contest.pk, "close"]))
    client.post(reverse("partybuilding:contest-transition", args=[contest.pk, "publish"]))
    results = client.get(reverse("partybuilding:contest-results", args=[contest.pk]))
    assert results.status_code == 200
    assert results.content.decode().count('data-testid="result-row"') == 2
    enrol = reverse("partybuilding:contest-enrol", args=[contest.pk, first.pk])
    response = client.post(
        enrol,
        {"track": "lead_goose", "mentor": "街道书记", "plan": "计划", "started_on": "2026-10-01"},
    )
    enrolment = LeadGooseEnrolment.objects.get()
    assert response.status_code == 302
    detail = reverse("partybuilding:lead-goose-detail", args=[enrolment.pk])
    response = client.post(detail, {"title": "季度述职", "due_on": "2026-12-31"})
    assert response.status_code == 302
    assert enrolment.milestones.count() == 1
    page = client.get(detail)
    assert page.content.decode().count('data-testid="milestone-row"') == 1
    milestone = enrolment.milestones.get()
    done = reverse("partybuilding:lead-goose-milestone-done", args=[enrolment.pk, milestone.pk])
    client.post(done)
    milestone.refresh_from_db()
    assert milestone.done_on is not None


def test_contest_list_page_queries_are_constant(client, party_officer, street):
    login(client, party_officer)
    url = reverse("partybuilding:contest-list")
    assert_constant_queries(
        add_rows=lambda n: [ContestantFactory(contest=ContestFactory()) for _ in range(n)],
        fetch=lambda: client.get(url),
    )


def test_enrolment_list_page_queries_are_constant(client, party_officer, street):
    from tests.partybuilding.factories import LeadGooseEnrolmentFactory, LeadGooseMilestoneFactory

    login(client, party_officer)
    url = reverse("partybuilding:lead-goose-list")
    assert_constant_queries(
        add_rows=lambda n: [
            LeadGooseMilestoneFactory(enrolment=LeadGooseEnrolmentFactory()) for _ in range(n)
        ],
        fetch=lambda: client.get(url),
    )


def test_results_page_is_404_before_publication_for_others(
    client, contest, secretary, party_officer
):
    writes.contest_close(actor=party_officer, contest=contest)
    login(client, secretary)
    assert (
        client.get(reverse("partybuilding:contest-results", args=[contest.pk])).status_code == 404
    )


def test_scores_are_never_listed_for_another_judge_on_the_page(client, contest, judge_a, judge_b):
    first = _contestants(contest)[0]
    ScoreFactory(
        judge=contest.judges.get(user=judge_b),
        contestant=first,
        indicator=_indicators(contest)[0],
        value=D("3.3"),
    )
    login(client, judge_a)
    page = client.get(reverse("partybuilding:contest-judge-score", args=[contest.pk, first.pk]))
    assert "3.3" not in page.content.decode()


def test_api_the_organiser_builds_a_contest_and_the_judge_scores(
    party_officer, judge_a, branch_a, secretary
):
    client = _api(party_officer)
    contest = client.post(
        "/api/v1/contests/", {"title": "擂台赛", "held_on": "2026-09-01", "trim_min_judges": 5}
    ).json()
    url = f"/api/v1/contests/{contest['id']}/"
    aspect = client.post(url + "aspects/", {"name": "抓党建"}).json()["aspects"][0]
    response = client.post(
        url + "indicators/", {"aspect": aspect["id"], "name": "组织建设", "weight": "0.5"}
    )
    assert response.status_code == 201, response.content
    member = PartyMemberFactory(org=branch_a)
    assert client.post(url + "contestants/", {"member": member.pk}).status_code == 201
    assert client.post(url + "judges/", {"user": judge_a.pk}).status_code == 201
    # A judge or a secretary does not build the sheet: 403 before their input is read.
    assert _api(judge_a).post(url + "contestants/", {"name": ""}).status_code == 403
    assert client.post(url + "open/").status_code == 200
    # Indicators are fixed once open: 409.
    response = client.post(
        url + "indicators/", {"aspect": aspect["id"], "name": "x", "weight": "1"}
    )
    assert response.status_code == 409
    data = client.get(url).json()
    assert data["status"] == "open"
    assert [c["name"] for c in data["contestants"]] == [member.name]
    assert [j["user"] for j in data["judges"]] == [judge_a.pk]
