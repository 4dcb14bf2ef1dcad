"""The Party side of the little street of tests/conftest.py.

street committee ── branch A (community A) ── building group A (a building of community A)
                └─ branch B (community B)

member (t_member): a party_member login, a serving member of branch A
secretary (t_secretary): a party_member login, branch A's secretary
party_cadre (t_party_cadre): a community cadre of community A granted `partybuilding.party_work`
  on branch A (so branch A's subtree); `community_cadre` of tests/conftest.py has no such grant.
"""

import pytest

from grids import writes as grid_writes
from partybuilding.models import AllianceItem, PartyOrg
from portal.grants import jurisdiction_grant
from portal.roles import Role
from tests.partybuilding.factories import (
    AllianceFactory,
    AllianceItemFactory,
    AllianceMemberFactory,
    BranchFactory,
    BuildingGroupFactory,
    ExchangeCircleFactory,
    PartyMemberFactory,
    PartyMemberUserFactory,
    PartyOrgAllianceMemberFactory,
    PartyOrgFactory,
)
from tests.portal.factories import UserFactory


@pytest.fixture
def street_committee(street):
    return PartyOrgFactory(name="南滨街道党工委", kind=PartyOrg.Kind.COMMITTEE)


@pytest.fixture
def branch_a(street_committee, community_a):
    return BranchFactory(name="江滨社区党支部", parent=street_committee, community=community_a)


@pytest.fixture
def group_a(branch_a):
    return BuildingGroupFactory(name="江滨1幢党小组", parent=branch_a)


@pytest.fixture
def branch_b(street_committee, community_b):
    return BranchFactory(name="阁巷社区党支部", parent=street_committee, community=community_b)


@pytest.fixture
def member(branch_a):
    """A party_member login whose own record is a plain member of branch A."""
    user = PartyMemberUserFactory(username="t_member", full_name="党员甲")
    PartyMemberFactory(name="党员甲", org=branch_a, user=user)
    return user


@pytest.fixture
def secretary(branch_a):
    """A party_member login who is branch A's secretary."""
    user = PartyMemberUserFactory(username="t_secretary", full_name="支部书记")
    record = PartyMemberFactory(name="支部书记", org=branch_a, user=user)
    branch_a.secretary = record
    branch_a.save(update_fields=["secretary"])
    return user


@pytest.fixture
def party_cadre(community_a, branch_a):
    """A community cadre of community A holding the Party-work grant on branch A."""
    user = UserFactory(
        username="t_party_cadre", role=Role.COMMUNITY_CADRE, full_name="社区党建干部"
    )
    grid_writes.region_staff_grant(actor=None, person=user, region=community_a)
    jurisdiction_grant(actor=None, user=user, perm="partybuilding.party_work", obj=branch_a)
    return user


# --- Alliances: a co-building alliance led by branch A; member units branch A, branch B and a
# hospital (tests/partybuilding/test_alliances_*.py).


@pytest.fixture
def alliance(branch_a):
    return AllianceFactory(name="滨江共建联盟", lead_org=branch_a)


@pytest.fixture
def unit_a(alliance, branch_a):
    return PartyOrgAllianceMemberFactory(alliance=alliance, party_org=branch_a)


@pytest.fixture
def unit_b(alliance, branch_b):
    return PartyOrgAllianceMemberFactory(alliance=alliance, party_org=branch_b)


@pytest.fixture
def hospital(alliance):
    return AllianceMemberFactory(alliance=alliance, name="市人民医院")


@pytest.fixture
def need(alliance, hospital, unit_a, unit_b):
    """An open need posted by the hospital (every unit exists)."""
    return AllianceItemFactory(alliance=alliance, posted_by=hospital, title="义诊场地")


@pytest.fixture
def claimed_by_a(need, unit_a):
    AllianceItem.objects.filter(pk=need.pk).update(
        status=AllianceItem.Status.CLAIMED, claimed_by=unit_a, claimed_at=need.created_at
    )
    need.refresh_from_db()
    return need


@pytest.fixture
def circle(branch_a, branch_b):
    return ExchangeCircleFactory(name="滨江交流圈", orgs=[branch_a, branch_b])
