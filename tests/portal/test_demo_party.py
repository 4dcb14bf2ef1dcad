"""The demo's Party building (portal/demo/party.py): loads through the write services on the
little test street, is idempotent, and gives `party`, `secretary` and `member` something to do."""

import time

import pytest
from django.urls import reverse
from django.utils import timezone

from partybuilding.contests.models import Contest, LeadGooseEnrolment
from partybuilding.dashboards import selectors as dashboard
from partybuilding.models import (
    Alliance,
    AllianceAgreement,
    AllianceItem,
    CommunityNeed,
    PartyMember,
    PartyOrg,
    ServiceHours,
)
from partybuilding.orglife.models import MeetingKind, OrgLifeMeeting
from partybuilding.serving.selectors import community_need_claimable
from partybuilding.training.models import TrainingRecord
from partybuilding.training.selectors import training_hours
from portal.demo import accounts, party
from tests.helpers import count_queries, login

MODELS = (
    PartyOrg,
    PartyMember,
    CommunityNeed,
    ServiceHours,
    Alliance,
    AllianceAgreement,
    AllianceItem,
    OrgLifeMeeting,
    TrainingRecord,
    Contest,
    LeadGooseEnrolment,
)


@pytest.fixture
def demo(db, community_a, community_b, grid_a, grid_b, resident_a, resident_b):
    ctx = {"seed": 7, "communities": [community_a, community_b], "grids": [grid_a, grid_b]}
    accounts.load(ctx)
    party.load(ctx)
    return ctx


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_the_demo_has_the_shape_the_issue_asks_for(demo):
    assert PartyOrg.objects.filter(kind=PartyOrg.Kind.COMMITTEE).count() == 1
    assert PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH).count() == 2  # one per community
    assert PartyOrg.objects.filter(kind=PartyOrg.Kind.GRID_BRANCH).count() == 2
    assert PartyMember.objects.count() == party.MEMBERS
    serving = PartyMember.objects.filter(serving=True)
    assert serving.count() == party.MEMBERS // 3
    assert serving.filter(reported_community__isnull=False).count() > serving.count() // 2
    assert PartyMember.objects.filter(resident__isnull=False).count() == 2
    assert set(Alliance.objects.values_list("kind", flat=True)) == {
        Alliance.Kind.BUSINESS_DISTRICT,
        Alliance.Kind.CO_BUILDING,
    }
    assert AllianceAgreement.objects.count() == 1
    statuses = set(AllianceItem.objects.values_list("status", flat=True))
    assert {AllianceItem.Status.OPEN, AllianceItem.Status.CLAIMED} <= statuses
    contest = Contest.objects.get()
    assert contest.status == Contest.Status.CLOSED
    assert LeadGooseEnrolment.objects.filter(contest=contest).count() == 1


def test_a_second_load_duplicates_nothing(demo):
    before = _counts()
    party.load({**demo})
    assert _counts() == before


def test_secretary_and_member_have_work(demo):
    secretary = PartyMember.objects.get(user__username="secretary")
    assert secretary.user.check_password(accounts.DEMO_PASSWORD)
    assert PartyOrg.objects.filter(secretary=secretary, kind=PartyOrg.Kind.BRANCH).exists()
    member = PartyMember.objects.get(user__username="member")
    assert member.user.check_password(accounts.DEMO_PASSWORD)
    assert member.serving and member.reported_community == secretary.org.community
    assert community_need_claimable(actor=member.user, member=member).exists()
    assert ServiceHours.objects.filter(member=member, status="submitted").count() == 2


def test_one_branch_misses_its_committee_and_one_secretary_is_below_threshold(demo):
    today = timezone.localdate()
    officer = demo["users"]["party"]
    gaps = dashboard.orglife_gaps(actor=officer, today=today)["gaps"]
    skipper = f"{demo['communities'][-1].name}党支部"
    committee = str(MeetingKind.BRANCH_COMMITTEE.label)
    assert [(gap.org.name, gap.kind_label) for gap in gaps] == [(skipper, committee)]
    rows = training_hours(actor=officer, year=today.year, until=today)
    below = [row for row in rows if row.below]
    assert [row for row in below if row.is_secretary] and len(below) < len(rows) // 4


def test_the_dashboard_on_the_demo(client, demo):
    login(client, demo["users"]["party"])
    url = reverse("partybuilding:dashboard")
    client.get(url)
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    queries, _sql = count_queries(lambda: client.get(url))
    print(f"dashboard on the demo: {elapsed * 1000:.0f} ms, {queries} queries")
    assert queries == 12  # the session from Redis, not saved again: portal/sessions.py
    assert response.context["coverage"]["serving"] == party.MEMBERS // 3
    assert response.context["hours"]["total"] > 0
