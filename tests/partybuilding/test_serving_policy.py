"""The gates of 双报到, once each with the named people."""

from datetime import date

import pytest

from partybuilding.serving import policy
from portal.policy import allowed
from tests.partybuilding.factories import CommunityNeedFactory, PartyMemberFactory, local_dt

pytestmark = pytest.mark.django_db


@pytest.fixture
def serving(member, community_a):
    record = member.party_member
    record.serving = True
    record.reported_community = community_a
    record.reported_on = date(2025, 1, 1)
    record.save()
    return member


PEOPLE = [
    "street_admin", "party_officer", "party_cadre", "community_cadre", "secretary", "serving",
    "grid_worker", "partner_staff", "outsider",
]  # fmt: skip


def _check(request, gate, obj, yes):
    for person in PEOPLE:
        user = request.getfixturevalue(person)
        assert allowed(gate, user, obj) is (person in yes), person


def test_need_create_in_community_a(request, community_a):
    yes = {"street_admin", "party_officer", "party_cadre"}
    _check(request, policy.access_community_need_create, community_a, yes)


def test_need_create_in_community_b(request, community_b):
    _check(
        request, policy.access_community_need_create, community_b, {"street_admin", "party_officer"}
    )


def test_need_update_and_cancel(request, community_a):
    need = CommunityNeedFactory(community=community_a)
    yes = {"street_admin", "party_officer", "party_cadre"}
    _check(request, policy.access_community_need_update, need, yes)
    _check(request, policy.access_community_need_cancel, need, yes)


def test_need_claim(request, serving, community_a, community_b):
    _check(
        request,
        policy.access_community_need_claim,
        CommunityNeedFactory(community=community_a),
        {"serving"},
    )
    _check(
        request,
        policy.access_community_need_claim,
        CommunityNeedFactory(community=community_b),
        set(),
    )


def test_need_start_and_complete_by_the_claimer(request, serving, community_a):
    need = CommunityNeedFactory(
        community=community_a,
        status="claimed",
        claimed_by=serving.party_member,
        claimed_at=local_dt(2025, 6, 1),
    )
    _check(request, policy.access_community_need_start, need, {"serving"})
    _check(request, policy.access_community_need_complete, need, {"serving"})


def test_member_report(request, serving, branch_a):
    _check(
        request,
        policy.access_member_report,
        serving.party_member,
        {"street_admin", "party_officer", "serving"},
    )
    other = PartyMemberFactory(org=branch_a, serving=True)
    _check(request, policy.access_member_report, other, {"street_admin", "party_officer"})
    assert allowed(policy.access_member_report, None, other)  # the demo loader


def test_hours_log(request, serving):
    _check(request, policy.access_service_hours_log, None, {"secretary", "serving"})


def test_feedback_sheet(request):
    _check(request, policy.access_feedback_sheet_view, None, {"street_admin", "party_officer"})


def test_a_transferred_out_member_logs_and_claims_nothing(serving, community_a):
    record = serving.party_member
    record.transferred_out_on = date(2025, 6, 1)
    record.save()
    assert not allowed(policy.access_service_hours_log, serving)
    need = CommunityNeedFactory(community=community_a)
    assert not allowed(policy.access_community_need_claim, serving, need)
