"""The Party-building dashboard: who may read it, what each reader counts, constant queries."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from partybuilding.dashboards import selectors
from partybuilding.dashboards.home import cards
from partybuilding.models import ServiceHours
from partybuilding.orglife.models import MeetingKind
from tests.helpers import assert_constant_queries, login
from tests.partybuilding.factories import (
    AllianceFactory,
    AllianceItemFactory,
    OrgLifeMeetingFactory,
    PartyMemberFactory,
    ServiceHoursFactory,
    ServingMemberFactory,
    TrainingCourseFactory,
    TrainingRecordFactory,
)

URL = reverse("partybuilding:dashboard")


@pytest.fixture
def street_data(branch_a, branch_b):
    """Branch A: 2 serving members (1 reported), 1 plain; branch B: 3 plain, 1 serving reported.
    Approved hours in both; an alliance item led by each branch."""
    today = timezone.localdate()
    a1 = ServingMemberFactory(org=branch_a)
    ServingMemberFactory(org=branch_a, reported_community=None, reported_on=None)
    PartyMemberFactory(org=branch_a)
    PartyMemberFactory.create_batch(3, org=branch_b)
    b1 = ServingMemberFactory(org=branch_b)
    for member, hours in ((a1, "3.0"), (b1, "5.0")):
        ServiceHoursFactory(
            member=member,
            hours=Decimal(hours),
            served_on=today,
            status=ServiceHours.Status.APPROVED,
            reviewed_at=timezone.now(),
            points=Decimal(hours),
        )
    AllianceItemFactory(alliance=AllianceFactory(lead_org=branch_a))
    AllianceItemFactory(alliance=AllianceFactory(lead_org=branch_b))
    return {"a1": a1, "b1": b1}


def figures(user):
    return selectors.party_dashboard(actor=user, today=timezone.localdate())


@pytest.mark.parametrize("who", ["grid_worker", "partner_staff", "outsider"])
def test_roles_without_party_permission_get_403(client, request, street_data, who):
    login(client, request.getfixturevalue(who))
    assert client.get(URL).status_code == 403


def test_anonymous_is_sent_to_login(client):
    assert client.get(URL).status_code == 302


def test_ungranted_community_cadre_sees_an_empty_dashboard(client, community_cadre, street_data):
    login(client, community_cadre)
    response = client.get(URL)
    assert response.status_code == 200
    data = response.context
    assert data["communities"] == []
    assert data["coverage"] == {"serving": 0, "reported": 0, "percent": 0}
    assert data["hours"]["total"] == 0
    assert data["items"]["total"] == 0
    assert data["orglife"]["orgs"] == 0
    assert data["training"]["members"] + data["training"]["secretaries"] == 0


@pytest.mark.parametrize("who", ["party_officer", "street_admin"])
def test_the_street_sees_everything(client, request, street_data, who):
    login(client, request.getfixturevalue(who))
    response = client.get(URL)
    assert response.status_code == 200
    data = response.context
    by_community = {row["community"]: row for row in data["communities"]}
    assert by_community["江滨社区"] == {"community": "江滨社区", "orgs": 1, "members": 3}
    assert by_community["阁巷社区"] == {"community": "阁巷社区", "orgs": 1, "members": 4}
    assert by_community[selectors.NO_COMMUNITY]["orgs"] == 1  # the street committee
    assert data["coverage"] == {"serving": 3, "reported": 2, "percent": 67}
    assert data["hours"]["total"] == 8.0
    assert data["hours"]["hours"][-1] == 8.0 and len(data["hours"]["months"]) == 12
    assert data["items"]["total"] == 2
    assert data["training"]["members"] == 7


def test_a_granted_cadre_sees_only_their_subtree(client, party_cadre, street_data):
    login(client, party_cadre)
    data = client.get(URL).context
    assert [row["community"] for row in data["communities"]] == ["江滨社区"]
    assert data["communities"][0]["members"] == 3
    assert data["coverage"] == {"serving": 2, "reported": 1, "percent": 50}
    assert data["hours"]["total"] == 3.0
    assert data["items"]["total"] == 1
    assert data["training"]["members"] == 3


def test_a_member_counts_only_their_own_record(member, street_data):
    data = figures(member)
    assert data["coverage"]["serving"] == 0  # the member fixture is not a serving member
    assert data["hours"]["total"] == 0
    assert data["items"]["total"] == 0
    assert data["training"]["members"] == 1
    assert data["orglife"]["orgs"] == 0


def test_a_secretary_counts_their_branch(secretary, street_data):
    data = figures(secretary)
    assert [row["community"] for row in data["communities"]] == ["江滨社区"]
    assert data["communities"][0]["members"] == 4  # three members and the secretary
    assert data["training"] == {**data["training"], "secretaries": 1, "members": 3}


def test_orglife_gaps_name_the_branch_without_last_months_committee(
    party_officer, branch_a, branch_b
):
    today = datetime.date(2026, 5, 15)
    for branch in (branch_a, branch_b):
        branch.founded_on = datetime.date(2020, 1, 1)
        branch.save(update_fields=["founded_on"])
        for kind in MeetingKind.values:
            # March covers the last ended quarter (Q1); April the last ended month, where
            # branch B held no committee meeting.
            OrgLifeMeetingFactory(org=branch, kind=kind, held_on=datetime.date(2026, 3, 10))
            if branch == branch_b and kind == MeetingKind.BRANCH_COMMITTEE:
                continue
            OrgLifeMeetingFactory(org=branch, kind=kind, held_on=datetime.date(2026, 4, 10))
    gaps = selectors.orglife_gaps(actor=party_officer, today=today)
    assert [(g.org.pk, g.period_label) for g in gaps["gaps"]] == [(branch_b.pk, "2026-04")]
    assert gaps == {**gaps, "orgs": 2, "missing": 1}


def test_training_below_threshold_by_position(party_officer, branch_a, secretary):
    today = timezone.localdate()
    course = TrainingCourseFactory(hours=Decimal("40"), held_on=today)
    keen = PartyMemberFactory(org=branch_a)
    PartyMemberFactory(org=branch_a)  # no training: below
    TrainingRecordFactory(course=course, member=keen, completed_on=today)
    TrainingRecordFactory(course=course, member=branch_a.secretary, completed_on=today)
    training = selectors.training_against_thresholds(actor=party_officer, today=today)
    # Members need 32 h (one of two below), secretaries 56 h (40 h is below).
    assert training == {
        **training,
        "members": 2,
        "members_below": 1,
        "secretaries": 1,
        "secretaries_below": 1,
    }


def test_dashboard_queries_are_constant(client, party_officer, branch_a):
    login(client, party_officer)
    today = timezone.localdate()

    def add_rows(n):
        for _ in range(n):
            member = ServingMemberFactory(org=branch_a)
            ServiceHoursFactory(
                member=member,
                served_on=today,
                status=ServiceHours.Status.APPROVED,
                points=2,
                reviewed_at=timezone.now(),
            )
            AllianceItemFactory(alliance__lead_org=branch_a)
            OrgLifeMeetingFactory(org=branch_a, held_on=today)
            TrainingRecordFactory(member=member, completed_on=today)

    # Queries: user; organisations per community, members per community, 双报到
    # coverage, hours per month, alliance items per status, meeting requirements, compliance
    # organisations, meetings held, training thresholds, training aggregate (the ten of
    # selectors.party_dashboard); then base.html's unread notifications (the menu's
    # permissions come from the role, no query). The session: from Redis, not saved again.
    assert_constant_queries(add_rows=add_rows, fetch=lambda: client.get(URL), expected=12)


def test_home_card_for_the_party_officer_only(party_officer, community_cadre, street_data):
    [card] = cards(party_officer)
    assert card.url == URL
    assert card.value == "2 / 3"
    assert cards(community_cadre) == []


def test_nav_links_to_the_dashboard(client, party_officer):
    login(client, party_officer)
    assert 'data-testid="nav-party-dashboard"' in client.get(URL).content.decode()
