"""The alliance gates, once each with the named people.

The co-building alliance led by branch A has three member units: branch A, branch B and a
hospital. `party_cadre` (granted branch A) and `secretary` (of branch A) act for branch A; the
officer and the street act for every member; a plain member, a community cadre without the
grant, grid and partner staff act for none.
"""

import pytest

from partybuilding.alliances import policy
from portal.policy import allowed as may
from tests.partybuilding.factories import AllianceItemFactory


def test_alliance_list_needs_the_view_permission(party_officer, member, grid_worker):
    assert may(policy.access_alliance_list, party_officer)
    assert may(policy.access_alliance_list, member)  # scope empties it, not the gate
    assert not may(policy.access_alliance_list, grid_worker)


@pytest.mark.parametrize(
    "gate",
    [
        policy.access_alliance_create,
        policy.access_alliance_update,
        policy.access_alliance_member_add,
        policy.access_alliance_member_update,
        policy.access_alliance_agreement_create,
        policy.access_alliance_agreement_update,
        policy.access_circle_create,
        policy.access_circle_update,
    ],
)
def test_only_the_street_and_the_officer_run_alliances(
    gate, alliance, party_officer, street_cadre, party_cadre, secretary, community_cadre
):
    assert may(gate, None, alliance)  # the demo loader
    assert may(gate, party_officer, alliance)
    assert may(gate, street_cadre, alliance)
    assert not may(gate, party_cadre, alliance)
    assert not may(gate, secretary, alliance)
    assert not may(gate, community_cadre, alliance)


def test_posting_needs_to_act_for_a_member(
    alliance, unit_a, party_officer, party_cadre, secretary, member, community_cadre, grid_worker
):
    gate = policy.access_alliance_item_post
    assert may(gate, party_officer, alliance)
    assert may(gate, party_cadre, alliance)
    assert may(gate, secretary, alliance)
    assert not may(gate, member, alliance)
    assert not may(gate, community_cadre, alliance)
    assert not may(gate, grid_worker, alliance)


def test_a_member_without_its_org_in_the_alliance_may_not_post(alliance, secretary):
    # No unit of branch A in the alliance (only the lead_org): nothing to act for.
    assert not may(policy.access_alliance_item_post, secretary, alliance)


def test_claiming_needs_a_member_other_than_the_poster(
    need, alliance, unit_a, party_officer, party_cadre, secretary, member
):
    gate = policy.access_alliance_item_claim
    assert may(gate, party_officer, need)
    assert may(gate, party_cadre, need)
    assert may(gate, secretary, need)
    assert not may(gate, member, need)
    own = AllianceItemFactory(alliance=alliance, posted_by=unit_a)
    assert not may(gate, secretary, own)  # branch A's own item: branch A cannot claim it


def test_start_and_complete_are_the_claimers(claimed_by_a, party_officer, secretary, party_cadre):
    other_secretary_user = _secretary_of_b(claimed_by_a)
    for gate in (policy.access_alliance_item_start, policy.access_alliance_item_complete):
        assert may(gate, party_officer, claimed_by_a)
        assert may(gate, secretary, claimed_by_a)
        assert may(gate, party_cadre, claimed_by_a)
        assert not may(gate, other_secretary_user, claimed_by_a)


def _secretary_of_b(item):
    from partybuilding.models import PartyOrg
    from tests.partybuilding.factories import PartyMemberFactory, PartyMemberUserFactory

    branch_b = PartyOrg.objects.get(name="阁巷社区党支部")
    user = PartyMemberUserFactory(username="t_secretary_b")
    branch_b.secretary = PartyMemberFactory(org=branch_b, user=user)
    branch_b.save(update_fields=["secretary"])
    return user


def test_withdraw_is_the_posters(need, alliance, unit_a, party_officer, secretary):
    assert may(policy.access_alliance_item_withdraw, party_officer, need)
    assert not may(policy.access_alliance_item_withdraw, secretary, need)  # the hospital's
    own = AllianceItemFactory(alliance=alliance, posted_by=unit_a)
    assert may(policy.access_alliance_item_withdraw, secretary, own)


def test_circle_posts_are_by_its_organisations(
    circle, party_officer, party_cadre, secretary, member, community_cadre
):
    gate = policy.access_circle_post_create
    assert may(gate, party_officer, circle)
    assert may(gate, party_cadre, circle)
    assert may(gate, secretary, circle)
    assert not may(gate, member, circle)
    assert not may(gate, community_cadre, circle)
    assert may(policy.access_circle_list, member)
