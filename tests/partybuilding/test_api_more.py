"""More of the Party API under /api/v1/: exchange circles (党建交流圈) with their posts, the
training thresholds and the 领头雁 enrolments (development plan, mentor, milestones) — person ×
action matrices, the writes behind them, and query counts of the lists for 1 and 20 rows."""

from datetime import date
from decimal import Decimal

import pytest

from partybuilding.models import (
    ExchangeCircle,
    LeadGooseEnrolment,
    LeadGooseMilestone,
    PartyMember,
    TrainingThreshold,
)
from portal.models import AuditEvent
from tests.helpers import (
    Call,
    assert_access_matrix,
    assert_answer_documented,
    assert_constant_queries,
)
from tests.partybuilding.factories import (
    ExchangeCircleFactory,
    ExchangeCirclePostFactory,
    LeadGooseEnrolmentFactory,
    LeadGooseMilestoneFactory,
    PartyMemberFactory,
    TrainingThresholdFactory,
)

D = Decimal
pytestmark = pytest.mark.django_db


# --- Exchange circles -----------------------------------------------------------------------------


def test_exchange_circle_api_matrix(request, circle, branch_a, branch_b):
    url = "/api/v1/exchange-circles/"
    actions = {
        "list": Call("get", url),
        "read": Call("get", f"{url}{circle.pk}/"),
        "create": Call("post", url, {"name": "新交流圈", "orgs": [branch_a.pk, branch_b.pk]}),
        "update": Call("patch", f"{url}{circle.pk}/", {"description": "每月一会"}),
        "posts": Call("get", f"{url}{circle.pk}/posts/"),
        "share": Call(
            "post",
            f"{url}{circle.pk}/posts/",
            {
                "org": branch_a.pk,
                "kind": "practice",
                "title": "楼道议事",
                "happened_on": "2026-03-01",
            },
        ),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  read  create  update  posts  share
        party_officer     200   200   201     200     200    201
        street_admin      200   200   201     200     200    201
        # branch A is in the circle: they share for it, do not run the circle
        party_cadre       200   200   403     403     200    201
        secretary         200   200   403     403     200    201
        # out of scope: 404 like missing
        member            200   404   403     404     404    404
        community_cadre   200   404   403     404     404    404
        grid_worker       403   404   403     404     404    404
        partner_staff     403   404   403     404     404    404
        anonymous         401   401   401     401     401    401
        """,
    )


def test_a_circle_is_created_and_regrouped_through_the_api(
    api_client_for, party_officer, branch_a, branch_b, group_a
):
    client = api_client_for(party_officer)
    response = client.post(
        "/api/v1/exchange-circles/", {"name": "江滨圈", "orgs": [branch_a.pk]}, format="json"
    )
    assert response.status_code == 400 and "orgs" in response.json()
    response = client.post(
        "/api/v1/exchange-circles/",
        {"name": "江滨圈", "orgs": [branch_a.pk, branch_b.pk]},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["org_names"] == ["江滨社区党支部", "阁巷社区党支部"]
    response = client.patch(
        f"/api/v1/exchange-circles/{body['id']}/",
        {"orgs": [branch_a.pk, group_a.pk]},
        format="json",
    )
    assert response.status_code == 200
    assert set(ExchangeCircle.objects.get(pk=body["id"]).orgs.all()) == {branch_a, group_a}
    assert AuditEvent.objects.filter(action__in=["circle.create", "circle.update"]).count() == 2


def test_a_secretary_shares_only_for_their_own_organisation(
    api_client_for, circle, secretary, branch_b
):
    response = api_client_for(secretary).post(
        f"/api/v1/exchange-circles/{circle.pk}/posts/",
        {"org": branch_b.pk, "kind": "event", "title": "联建活动", "happened_on": "2026-03-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "org" in response.json()


def test_circle_lists_constant_queries(api_client_for, party_officer, branch_a, branch_b, circle):
    client = api_client_for(party_officer)

    def add_circles(n):
        for _ in range(n):
            ExchangeCircleFactory(orgs=[branch_a, branch_b])

    assert_constant_queries(
        add_rows=add_circles, fetch=lambda: client.get("/api/v1/exchange-circles/")
    )

    def add_posts(n):
        for _ in range(n):
            ExchangeCirclePostFactory(circle=circle, org=branch_a)

    assert_constant_queries(
        add_rows=add_posts, fetch=lambda: client.get(f"/api/v1/exchange-circles/{circle.pk}/posts/")
    )


# --- Training thresholds --------------------------------------------------------------------------


@pytest.fixture
def threshold(db):
    return TrainingThresholdFactory(position="member", yearly_hours=D("32"))


def test_training_threshold_api_matrix(request, threshold, branch_a, member):
    url = "/api/v1/training-thresholds/"
    actions = {
        "list": Call("get", url),
        "read": Call("get", f"{url}{threshold.pk}/"),
        "update": Call("patch", f"{url}{threshold.pk}/", {"yearly_hours": "40.0"}),
        "create": Call("post", url, {"position": "member", "yearly_hours": "40.0"}),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  read  update  create
        party_officer     200   200   200     405
        street_admin      200   200   200     405
        # everyone in the Party work reads the thresholds; the Party office sets them
        party_cadre       200   200   403     405
        secretary         200   200   403     405
        member            200   200   403     405
        # no grant: the table is empty for them
        community_cadre   200   404   404     405
        # no Party permission: refused before the method is looked at
        grid_worker       403   404   404     403
        partner_staff     403   404   404     403
        anonymous         401   401   401     401
        """,
    )


def test_a_threshold_is_set_through_the_api(api_client_for, party_officer, threshold):
    client = api_client_for(party_officer)
    url = f"/api/v1/training-thresholds/{threshold.pk}/"
    response = client.patch(url, {"yearly_hours": "0"}, format="json")
    assert response.status_code == 400 and "yearly_hours" in response.json()
    response = client.patch(url, {"yearly_hours": "36.0", "position": "secretary"}, format="json")
    assert response.status_code == 200
    assert response.json()["position"] == "member"  # read-only: one row per position
    threshold.refresh_from_db()
    assert threshold.yearly_hours == D("36.0")
    assert TrainingThreshold.objects.get(position="member").pk == threshold.pk
    event = AuditEvent.objects.get(action="training.threshold_set")
    assert event.details == {"from": "32.0", "to": "36.0"}


# --- 领头雁 enrolments -----------------------------------------------------------------------------


@pytest.fixture
def enrolment(branch_a):
    """A member of branch A in the lead-goose programme, with one milestone."""
    goose = LeadGooseEnrolmentFactory(member=PartyMemberFactory(name="书记甲", org=branch_a))
    LeadGooseMilestoneFactory(enrolment=goose, title="牵头共建项目", due_on=date(2026, 3, 31))
    return goose


def test_lead_goose_api_matrix(request, enrolment, branch_a, member):
    url = "/api/v1/lead-geese/"
    milestone = enrolment.milestones.get()
    candidate = PartyMemberFactory(name="后备甲", org=branch_a)
    actions = {
        "list": Call("get", url),
        "read": Call("get", f"{url}{enrolment.pk}/"),
        "enrol": Call(
            "post",
            url,
            {"track": "reserve_cadre", "member": candidate.pk, "started_on": "2026-01-01"},
        ),
        "update": Call("patch", f"{url}{enrolment.pk}/", {"mentor": "社区老书记"}),
        "milestone": Call(
            "post", f"{url}{enrolment.pk}/milestones/", {"title": "述职", "due_on": "2026-06-30"}
        ),
        "done": Call(
            "patch", f"{url}{enrolment.pk}/milestones/{milestone.pk}/", {"done_on": "2026-03-01"}
        ),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  read  enrol  update  milestone  done
        party_officer     200   200   201    200     201        200
        street_admin      200   200   201    200     201        200
        # the member is of branch A: they read the plan, do not run the programme
        party_cadre       200   200   403    403     403        403
        secretary         200   200   403    403     403        403
        # another member's record: 404 like missing
        member            200   404   403    404     404        404
        community_cadre   200   404   403    404     404        404
        grid_worker       403   404   403    404     404        404
        partner_staff     403   404   403    404     404        404
        anonymous         401   401   401    401     401        401
        """,
    )


def test_the_plan_is_kept_through_the_api(api_client_for, party_officer, enrolment):
    client = api_client_for(party_officer)
    url = f"/api/v1/lead-geese/{enrolment.pk}/"
    body = client.get(url).json()
    assert body["name"] == "书记甲"
    assert [m["title"] for m in body["milestones"]] == ["牵头共建项目"]
    response = client.patch(
        url, {"plan": "两年内牵头两个项目", "ended_on": "2025-01-01"}, format="json"
    )
    assert response.status_code == 400 and "ended_on" in response.json()  # before it started
    response = client.patch(url, {"plan": "两年内牵头两个项目"}, format="json")
    assert response.status_code == 200 and response.json()["plan"] == "两年内牵头两个项目"
    response = client.post(
        f"{url}milestones/", {"title": "季度述职", "due_on": "2025-01-01"}, format="json"
    )
    assert response.status_code == 400 and "due_on" in response.json()
    response = client.post(
        f"{url}milestones/", {"title": "季度述职", "due_on": "2026-06-30"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["milestone_count"] == 2
    milestone = enrolment.milestones.get(title="牵头共建项目")
    response = client.patch(f"{url}milestones/{milestone.pk}/", {"done_on": "2026-02-01"},
                            format="json")  # fmt: skip
    assert response.status_code == 200 and response.json()["milestones_done"] == 1
    response = client.patch(f"{url}milestones/{milestone.pk}/", {"done_on": None}, format="json")
    assert response.json()["milestones_done"] == 0
    assert LeadGooseMilestone.objects.filter(done_on__isnull=False).count() == 0


def test_the_programme_takes_only_a_contests_top_places(api_client_for, party_officer, branch_a):
    from tests.partybuilding.factories import (
        ClosedContestFactory,
        ContestantFactory,
        ContestResultFactory,
    )

    contestant = ContestantFactory(
        contest=ClosedContestFactory(leaders_count=3), member=PartyMemberFactory(org=branch_a)
    )
    result = ContestResultFactory(contestant=contestant, rank=5)
    client = api_client_for(party_officer)
    response = client.post(
        "/api/v1/lead-geese/",
        {"track": "lead_goose", "contestant": result.contestant_id, "started_on": "2026-01-01"},
        format="json",
    )
    assert response.status_code == 400 and "track" in response.json()
    response = client.post(
        "/api/v1/lead-geese/",
        {"track": "reserve_cadre", "contestant": result.contestant_id, "mentor": "街道书记",
         "started_on": "2026-01-01"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201
    enrolment = LeadGooseEnrolment.objects.get()
    assert enrolment.contest_id == result.contest_id
    assert enrolment.member_id == result.contestant.member_id


def test_a_member_enrolled_twice_on_a_track_is_a_400(api_client_for, party_officer, enrolment):
    response = api_client_for(party_officer).post(
        "/api/v1/lead-geese/",
        {"track": "lead_goose", "member": enrolment.member_id, "started_on": "2026-01-01"},
        format="json",
    )
    assert response.status_code == 400 and "member" in response.json()


def test_a_member_reads_their_own_plan(api_client_for, member, branch_a):
    own = LeadGooseEnrolmentFactory(member=PartyMember.objects.get(user=member))
    body = api_client_for(member).get("/api/v1/lead-geese/").json()
    assert [row["id"] for row in body["results"]] == [own.pk]


def test_lead_goose_list_constant_queries(api_client_for, party_officer, branch_a):
    client = api_client_for(party_officer)

    def add_rows(n):
        for _ in range(n):
            goose = LeadGooseEnrolmentFactory(member=PartyMemberFactory(org=branch_a))
            LeadGooseMilestoneFactory(enrolment=goose)

    assert_constant_queries(add_rows=add_rows, fetch=lambda: client.get("/api/v1/lead-geese/"))


def test_circle_posts_answer_as_documented(api_client_for, party_officer, circle, branch_a):
    ExchangeCirclePostFactory(circle=circle, org=branch_a)
    client = api_client_for(party_officer)
    url = f"/api/v1/exchange-circles/{circle.pk}/posts/"
    listing = client.get(url)
    assert listing.status_code == 200 and listing.json()["count"] == 1
    assert_answer_documented(listing, "/api/v1/exchange-circles/{id}/posts/")
    created = client.post(
        url,
        {"org": branch_a.pk, "kind": "event", "title": "联建活动", "happened_on": "2026-03-01"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert_answer_documented(created, "/api/v1/exchange-circles/{id}/posts/", "post")
