"""The writes of the organisation tree and the register: paths kept by the write (a move
carries its subtree), the secretary, transfers with their history and dates, a member's login;
each write audited, nothing half-written."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from partybuilding.models import MemberTransfer, PartyMember, PartyOrg
from partybuilding.organisations import selectors, writes
from portal.models import AuditEvent
from tests.partybuilding.factories import (
    GridBranchFactory,
    PartyMemberFactory,
)

pytestmark = pytest.mark.django_db


def test_create_sets_the_path_under_the_parent_and_audits(party_officer, street_committee):
    org = writes.party_org_create(
        actor=party_officer,
        name="新支部",
        kind=PartyOrg.Kind.BRANCH,
        parent=street_committee,
    )
    assert org.path == f"{street_committee.path}{org.pk}/"
    assert AuditEvent.objects.filter(action="party_org.create", object_id=str(org.pk)).exists()


def test_a_grid_branch_takes_its_grids_community(party_officer, street_committee, grid_a):
    org = writes.party_org_create(
        actor=party_officer,
        name="网格支部",
        kind=PartyOrg.Kind.GRID_BRANCH,
        parent=street_committee,
        grid=grid_a,
    )
    assert org.community_id == grid_a.community_id


def test_a_grid_branch_without_its_grid_is_refused_and_nothing_is_written(
    party_officer, street_committee
):
    before = PartyOrg.objects.count()
    with pytest.raises(ValidationError) as exc:
        writes.party_org_create(
            actor=party_officer,
            name="网格支部",
            kind=PartyOrg.Kind.GRID_BRANCH,
            parent=street_committee,
        )
    assert "grid" in exc.value.message_dict
    assert PartyOrg.objects.count() == before
    assert not AuditEvent.objects.filter(action="party_org.create").exists()


def test_moving_an_org_moves_its_subtree(party_officer, street_committee, branch_a, group_a):
    general = writes.party_org_create(
        actor=party_officer,
        name="党总支",
        kind=PartyOrg.Kind.GENERAL_BRANCH,
        parent=street_committee,
    )
    writes.party_org_update(actor=party_officer, org=branch_a, parent=general)
    branch_a.refresh_from_db()
    group_a.refresh_from_db()
    assert branch_a.path == f"{general.path}{branch_a.pk}/"
    assert group_a.path == f"{branch_a.path}{group_a.pk}/"
    assert list(PartyOrg.objects.subtree_of(general).order_by("path")) == [
        general,
        branch_a,
        group_a,
    ]
    event = AuditEvent.objects.get(action="party_org.update", object_id=str(branch_a.pk))
    assert event.details["moved"]["to"] == branch_a.path


def test_an_org_cannot_move_under_its_own_subtree(party_officer, branch_a, group_a):
    # A building group may not stand above a branch anyway; a branch under its own group is
    # refused by the tree rule before the kind rule matters.
    with pytest.raises(ValidationError):
        writes.party_org_update(actor=party_officer, org=branch_a, parent=group_a)
    branch_a.refresh_from_db()
    assert branch_a.parent_id != group_a.pk


def test_secretary_must_be_a_current_member_of_the_subtree(party_officer, branch_a, branch_b):
    inside = PartyMemberFactory(org=branch_a)
    outside = PartyMemberFactory(org=branch_b)
    writes.party_org_secretary_set(actor=party_officer, org=branch_a, member=inside)
    assert PartyOrg.objects.get(pk=branch_a.pk).secretary == inside
    with pytest.raises(ValidationError):
        writes.party_org_secretary_set(actor=party_officer, org=branch_a, member=outside)
    assert PartyOrg.objects.get(pk=branch_a.pk).secretary == inside


def test_transfer_out_of_the_street_sets_the_date_and_keeps_history(party_officer, branch_a):
    member = PartyMemberFactory(org=branch_a)
    transfer = writes.party_member_transfer(
        actor=party_officer,
        member=member,
        direction=MemberTransfer.Direction.OUT,
        date=date(2025, 6, 1),
        to_org_name="外市某党支部",
    )
    member.refresh_from_db()
    assert member.transferred_out_on == date(2025, 6, 1)
    assert transfer.from_org == branch_a and transfer.to_display == "外市某党支部"
    with pytest.raises(ValidationError):
        writes.party_member_transfer(
            actor=party_officer,
            member=member,
            direction=MemberTransfer.Direction.OUT,
            date=date(2025, 7, 1),
            to_org_name="别处",
        )
    assert member.transfers.count() == 1


def test_transfer_inside_the_street_moves_the_member(party_officer, branch_a, branch_b):
    member = PartyMemberFactory(org=branch_a)
    writes.party_member_transfer(
        actor=party_officer,
        member=member,
        direction=MemberTransfer.Direction.OUT,
        date=date(2025, 6, 1),
        to_org=branch_b,
    )
    member.refresh_from_db()
    assert member.org == branch_b and member.is_current
    assert member.transferred_in_on == date(2025, 6, 1)


def test_transfer_in_from_outside(party_officer, branch_a):
    member = PartyMemberFactory(org=branch_a, transferred_out_on=date(2024, 1, 1))
    writes.party_member_transfer(
        actor=party_officer,
        member=member,
        direction=MemberTransfer.Direction.IN,
        date=date(2025, 3, 1),
        to_org=branch_a,
        from_org_name="外地某党支部",
    )
    member.refresh_from_db()
    assert member.is_current and member.transferred_in_on == date(2025, 3, 1)
    assert AuditEvent.objects.filter(action="party_member.transfer_in").exists()


def test_a_login_for_a_member(party_officer, branch_a):
    member = PartyMemberFactory(org=branch_a)
    writes.party_member_login_create(
        actor=party_officer, member=member, username="dy_new", password="Xk9#vq2mLp"
    )
    member.refresh_from_db()
    assert member.user.username == "dy_new" and member.user.is_party_member
    assert member.user.check_password("Xk9#vq2mLp")
    with pytest.raises(ValidationError):
        writes.party_member_login_create(
            actor=party_officer, member=member, username="dy_other", password="Xk9#vq2mLp"
        )


def test_a_weak_password_is_a_field_error_and_no_user_is_made(party_officer, branch_a):
    from portal.models import User

    member = PartyMemberFactory(org=branch_a)
    with pytest.raises(ValidationError) as exc:
        writes.party_member_login_create(
            actor=party_officer, member=member, username="dy_weak", password="123"
        )
    assert "password" in exc.value.message_dict
    assert not User.objects.filter(username="dy_weak").exists()


def test_only_the_party_office_writes_the_register(party_cadre, secretary, branch_a):
    member = PartyMemberFactory(org=branch_a)
    for person in (party_cadre, secretary):
        with pytest.raises(PermissionDenied):
            writes.party_member_update(actor=person, member=member, name="改名")
        with pytest.raises(PermissionDenied):
            writes.party_org_update(actor=person, org=branch_a, name="改名")


def test_member_update_clears_the_report_when_no_longer_serving(party_officer, community_a):
    member = PartyMemberFactory(
        serving=True, reported_community=community_a, reported_on=date(2025, 1, 1)
    )
    writes.party_member_update(actor=party_officer, member=member, serving=False)
    member.refresh_from_db()
    assert member.reported_community is None and member.reported_on is None


def test_tree_indents_below_the_shallowest_visible_org(secretary, branch_a, group_a):
    tree = selectors.party_org_tree(actor=secretary)
    assert [(org.pk, org.indent) for org in tree] == [(branch_a.pk, 0), (group_a.pk, 1)]


def test_member_counts_only_what_the_reader_sees(member, branch_a):
    PartyMemberFactory.create_batch(3, org=branch_a)
    (org,) = selectors.party_org_list(actor=member)
    assert org.member_count == 1  # the member sees only their own record
    assert PartyMember.objects.filter(org=branch_a).count() == 4


def test_coverage_lists_communities_and_grids_without_a_party_cell(
    party_officer, street, branch_a, community_b, grid_a, grid_b
):
    from tests.grids.factories import GridFactory, RegionFactory

    bare = RegionFactory(name="空白社区", code="330381008009", parent=street)
    GridBranchFactory(parent=branch_a.parent, grid=grid_b)
    GridFactory(community=bare)
    coverage = selectors.party_coverage(actor=party_officer)
    assert [c.pk for c in coverage["communities_without"]] == [bare.pk]
    # community B is covered through its grid branch; grid A has no grid branch.
    assert grid_a.pk in [g.pk for g in coverage["grids_without"]]
    assert grid_b.pk not in [g.pk for g in coverage["grids_without"]]


def test_a_dissolved_org_covers_nothing(party_officer, branch_a, community_a):
    writes.party_org_update(actor=party_officer, org=branch_a, dissolved_on=date(2025, 1, 1))
    coverage = selectors.party_coverage(actor=party_officer)
    assert community_a.pk in [c.pk for c in coverage["communities_without"]]
