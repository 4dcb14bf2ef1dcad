"""Editing a contest's sheet after creation: indicators (draft only), contestants and judges
(until the contest closes; closing freezes everything) — gates, writes, pages and API."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from partybuilding.contests import policy, writes
from partybuilding.contests.models import Contest, ContestJudge
from portal.models import AuditEvent
from portal.policy import allowed
from tests.helpers import Call, assert_access_matrix, login, page_call
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
pytestmark = pytest.mark.django_db


@pytest.fixture
def judge_a(branch_a):
    return PartyMemberUserFactory(username="t_judge_a", full_name="评委甲")


@pytest.fixture
def draft(branch_a, judge_a):
    """A draft contest with one indicator, a contestant of branch A and judge A."""
    contest = ContestFactory(title="擂台赛草稿", status=Contest.Status.DRAFT)
    aspect = ContestAspectFactory(contest=contest, name="抓党建")
    ContestIndicatorFactory(aspect=aspect, name="组织建设", weight=D("0.6"))
    ContestantFactory(contest=contest, member=PartyMemberFactory(name="书记甲", org=branch_a))
    ContestJudgeFactory(contest=contest, user=judge_a)
    return contest


def _indicator(contest):
    return contest.aspects.get().indicators.get()


def _set_status(contest, status):
    closed_at = timezone.now() if status == Contest.Status.CLOSED else None
    Contest.objects.filter(pk=contest.pk).update(status=status, closed_at=closed_at)
    contest.refresh_from_db()


# --- Gates ----------------------------------------------------------------------------------------


def test_the_editing_gates(draft, party_officer, street_admin, party_cadre, secretary, judge_a):
    indicator = _indicator(draft)
    contestant = draft.contestants.get()
    judge = draft.judges.get()
    for gate, obj in (
        (policy.access_contest_indicator_change, indicator),
        (policy.access_contestant_change, contestant),
        (policy.access_contest_judge_remove, judge),
    ):
        assert allowed(gate, None, obj)  # the demo loader
        assert allowed(gate, party_officer, obj)
        assert allowed(gate, street_admin, obj)
        # they see the contest (a contestant of branch A), do not run it
        assert not allowed(gate, party_cadre, obj)
        assert not allowed(gate, secretary, obj)
        assert not allowed(gate, judge_a, obj)


# --- Writes ---------------------------------------------------------------------------------------


def test_an_indicator_is_edited_in_draft(draft, party_officer):
    indicator = _indicator(draft)
    other = ContestAspectFactory(contest=draft, name="促治理")
    writes.contest_indicator_update(
        actor=party_officer, indicator=indicator, name="组织建设 ", weight=D("0.8"), aspect=other
    )
    indicator.refresh_from_db()
    assert (indicator.name, indicator.weight, indicator.aspect_id) == (
        "组织建设",
        D("0.8"),
        other.pk,
    )
    event = AuditEvent.objects.get(action="contest.indicator_update")
    assert event.details["fields"] == ["weight", "aspect"]


def test_an_indicator_is_fixed_once_open_and_frozen_once_closed(draft, party_officer):
    indicator = _indicator(draft)
    for status in (Contest.Status.OPEN, Contest.Status.CLOSED):
        _set_status(draft, status)
        with pytest.raises(writes.ContestConflict):
            writes.contest_indicator_update(actor=party_officer, indicator=indicator, weight=D("2"))
    indicator.refresh_from_db()
    assert indicator.weight == D("0.6")
    assert not AuditEvent.objects.filter(action="contest.indicator_update").exists()


def test_an_indicator_cannot_move_to_another_contests_aspect(draft, party_officer):
    elsewhere = ContestAspectFactory(contest=ContestFactory(status=Contest.Status.DRAFT))
    with pytest.raises(ValidationError) as exc:
        writes.contest_indicator_update(
            actor=party_officer, indicator=_indicator(draft), aspect=elsewhere
        )
    assert "aspect" in exc.value.message_dict


def test_a_bad_weight_is_a_field_error(draft, party_officer):
    with pytest.raises(ValidationError) as exc:
        writes.contest_indicator_update(
            actor=party_officer, indicator=_indicator(draft), weight=D("0")
        )
    assert "weight" in exc.value.message_dict


def test_a_contestant_is_corrected_until_the_contest_closes(draft, party_officer, branch_b):
    contestant = draft.contestants.get()
    _set_status(draft, Contest.Status.OPEN)
    writes.contestant_update(actor=party_officer, contestant=contestant, name="书记甲（江滨）")
    contestant.refresh_from_db()
    assert contestant.name == "书记甲（江滨）"
    _set_status(draft, Contest.Status.CLOSED)
    with (
        translation.override("en"),
        pytest.raises(writes.ContestConflict, match="can no longer be changed"),
    ):
        writes.contestant_update(actor=party_officer, contestant=contestant, org=branch_b)
    contestant.refresh_from_db()
    assert contestant.org.name == "江滨社区党支部"


def test_a_judge_who_has_not_scored_is_taken_off(draft, party_officer, judge_a):
    judge = draft.judges.get()
    writes.contest_judge_remove(actor=party_officer, judge=judge)
    assert not ContestJudge.objects.filter(pk=judge.pk).exists()
    assert AuditEvent.objects.filter(action="contest.judge_remove").count() == 1


def test_a_judge_who_scored_stays_and_a_closed_panel_is_frozen(draft, party_officer):
    judge = draft.judges.get()
    _set_status(draft, Contest.Status.OPEN)
    ScoreFactory(judge=judge, contestant=draft.contestants.get(), indicator=_indicator(draft))
    with pytest.raises(ValidationError):
        writes.contest_judge_remove(actor=party_officer, judge=judge)
    _set_status(draft, Contest.Status.CLOSED)
    other = ContestJudgeFactory(contest=draft)
    with pytest.raises(writes.ContestConflict):
        writes.contest_judge_remove(actor=party_officer, judge=other)
    assert draft.judges.count() == 2


def test_only_an_organiser_edits(draft, secretary):
    with pytest.raises(PermissionDenied):
        writes.contest_indicator_update(actor=secretary, indicator=_indicator(draft), name="x")
    with pytest.raises(PermissionDenied):
        writes.contestant_update(actor=secretary, contestant=draft.contestants.get(), name="x")
    with pytest.raises(PermissionDenied):
        writes.contest_judge_remove(actor=secretary, judge=draft.judges.get())


# --- API and pages --------------------------------------------------------------------------------


def test_sheet_editing_api_matrix(request, draft):
    url = f"/api/v1/contests/{draft.pk}/"
    indicator, contestant, judge = _indicator(draft), draft.contestants.get(), draft.judges.get()
    actions = {
        "indicator": Call("patch", f"{url}indicators/{indicator.pk}/", {"weight": "0.7"}),
        "contestant": Call("patch", f"{url}contestants/{contestant.pk}/", {"name": "书记甲"}),
        "judge": Call("delete", f"{url}judges/{judge.pk}/"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          indicator  contestant  judge
        party_officer     200        200         204
        street_admin      200        200         204
        # they see the contest (a contestant of branch A) but do not run it
        party_cadre       403        403         403
        secretary         403        403         403
        # out of scope: 404 like missing
        member            404        404         404
        community_cadre   404        404         404
        grid_worker       404        404         404
        partner_staff     404        404         404
        anonymous         401        401         401
        """,
    )


def test_the_api_answers_a_closed_contest_with_409(draft, api_client_for, party_officer):
    _set_status(draft, Contest.Status.CLOSED)
    client = api_client_for(party_officer)
    url = f"/api/v1/contests/{draft.pk}/"
    assert (
        client.patch(
            f"{url}indicators/{_indicator(draft).pk}/", {"weight": "2"}, format="json"
        ).status_code
        == 409
    )
    contestant = draft.contestants.get()
    response = client.patch(f"{url}contestants/{contestant.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 409
    judge = draft.judges.get()
    assert client.delete(f"{url}judges/{judge.pk}/").status_code == 409
    assert _indicator(draft).weight == D("0.6")


def test_sheet_editing_pages_matrix(request, draft):
    indicator, contestant, judge = _indicator(draft), draft.contestants.get(), draft.judges.get()
    base = f"/party/contests/{draft.pk}/"
    actions = {
        "indicator": Call("get", f"{base}indicators/{indicator.pk}/edit/"),
        "contestant": Call("get", f"{base}contestants/{contestant.pk}/edit/"),
        "remove_judge": Call("post", f"{base}judges/{judge.pk}/remove/"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          indicator  contestant  remove_judge
        party_officer     200        200         302
        party_cadre       403        403         403
        secretary         403        403         403
        member            404        404         404
        community_cadre   404        404         404
        grid_worker       404        404         404
        anonymous         302        302         302
        """,
        perform=page_call,
    )


def test_the_officer_edits_an_indicator_on_the_page(draft, client, party_officer):
    login(client, party_officer)
    indicator = _indicator(draft)
    detail = client.get(f"/party/contests/{draft.pk}/")
    assert f"/indicators/{indicator.pk}/edit/" in detail.content.decode()
    response = client.post(
        f"/party/contests/{draft.pk}/indicators/{indicator.pk}/edit/",
        {"aspect": indicator.aspect_id, "name": "组织建设", "weight": "0.9", "max_score": "10",
         "order": "0"},
    )  # fmt: skip
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert indicator.weight == D("0.9")


def test_a_closed_contest_offers_no_editing_and_refuses_a_stale_form(draft, client, party_officer):
    _set_status(draft, Contest.Status.CLOSED)
    login(client, party_officer)
    detail = client.get(f"/party/contests/{draft.pk}/").content.decode()
    assert "/edit/" not in detail and "/remove/" not in detail
    contestant = draft.contestants.get()
    response = client.post(
        f"/party/contests/{draft.pk}/contestants/{contestant.pk}/edit/", {"name": "迟改"}
    )
    assert response.status_code == 302  # back to the contest, with the conflict as a message
    contestant.refresh_from_db()
    assert contestant.name == "书记甲"
