"""The contest gates (partybuilding/contests/policy.py), once each with the named people."""

import pytest

from partybuilding.contests import policy
from portal.policy import allowed
from tests.partybuilding.factories import (
    ContestantFactory,
    ContestFactory,
    ContestJudgeFactory,
    LeadGooseEnrolmentFactory,
    PartyMemberFactory,
)


@pytest.fixture
def contest(branch_a, secretary):
    contest = ContestFactory()
    ContestantFactory(contest=contest, member=PartyMemberFactory(org=branch_a))
    ContestJudgeFactory(contest=contest, user=secretary)  # the secretary judges
    return contest


def test_list_gates(party_officer, member, grid_worker, partner_staff):
    assert allowed(policy.access_contest_list, party_officer)
    assert allowed(policy.access_contest_list, member)
    assert not allowed(policy.access_contest_list, grid_worker)
    assert allowed(policy.access_lead_goose_list, party_officer)
    assert not allowed(policy.access_lead_goose_list, partner_staff)


def test_create(party_officer, street_admin, party_cadre, secretary, grid_worker):
    assert allowed(policy.access_contest_create, None)  # the demo loader
    assert allowed(policy.access_contest_create, party_officer)
    assert allowed(policy.access_contest_create, street_admin)
    assert not allowed(policy.access_contest_create, party_cadre)
    assert not allowed(policy.access_contest_create, secretary)
    assert not allowed(policy.access_contest_create, grid_worker)


@pytest.mark.parametrize(
    "gate",
    [
        policy.access_contest_sheet_change,
        policy.access_contest_open,
        policy.access_contest_close,
        policy.access_contest_publish,
    ],
)
def test_the_organiser_gates(gate, contest, party_officer, street_cadre, party_cadre, secretary):
    assert allowed(gate, party_officer, contest)
    assert allowed(gate, street_cadre, contest)
    assert not allowed(gate, party_cadre, contest)  # sees it through branch A, may not run it
    assert not allowed(gate, secretary, contest)  # a judge is no organiser


def test_score_only_the_contests_judges(contest, secretary, member, party_officer, grid_worker):
    assert allowed(policy.access_contest_score, secretary, contest)
    assert not allowed(policy.access_contest_score, member, contest)
    assert not allowed(policy.access_contest_score, party_officer, contest)  # not a judge
    assert not allowed(policy.access_contest_score, grid_worker, contest)
    assert not allowed(policy.access_contest_score, None, contest)  # the system never scores


def test_lead_goose_gates(party_officer, party_cadre, secretary, branch_a):
    enrolment = LeadGooseEnrolmentFactory(member=PartyMemberFactory(org=branch_a))
    assert allowed(policy.access_lead_goose_enrol, party_officer)
    assert not allowed(policy.access_lead_goose_enrol, party_cadre)
    assert not allowed(policy.access_lead_goose_enrol, secretary)
    assert allowed(policy.access_lead_goose_change, party_officer, enrolment)
    assert not allowed(policy.access_lead_goose_change, party_cadre, enrolment)
    assert not allowed(policy.access_lead_goose_change, secretary, enrolment)
