"""Person × action matrices of community-needs and service-hours (API and pages), the member's
flow on a phone-sized page, and constant query counts on every list."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from partybuilding.models import CommunityNeed, ServiceHours
from tests.helpers import Call, assert_access_matrix, assert_constant_queries, login, page_call
from tests.partybuilding.factories import (
    CommunityNeedFactory,
    PointRuleFactory,
    ServiceHoursFactory,
    ServingMemberFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def serving(member, community_a):
    record = member.party_member
    record.serving = True
    record.reported_community = community_a
    record.reported_on = date(2025, 1, 1)
    record.save()
    return member


@pytest.fixture
def world(serving, secretary, branch_a, branch_b, community_a, community_b):
    far = ServingMemberFactory(org=branch_b, employer_org=branch_a)
    return {
        "need_a": CommunityNeedFactory(community=community_a),
        "need_b": CommunityNeedFactory(community=community_b),
        "hours_a": ServiceHoursFactory(member=serving.party_member),
        "hours_b": ServiceHoursFactory(member=far),
        "rule": PointRuleFactory(code="t_general"),
    }


def test_community_needs_api_matrix(request, world, community_a):
    need_a, need_b = world["need_a"], world["need_b"]
    base = "/api/v1/community-needs/"
    actions = {
        "list": Call("get", base),
        "detail_a": Call("get", f"{base}{need_a.pk}/"),
        "detail_b": Call("get", f"{base}{need_b.pk}/"),
        "create": Call("post", base, {"community": community_a.pk, "title": "环境整治"}),
        "claim": Call("post", f"{base}{need_a.pk}/claim/"),
        "cancel": Call("post", f"{base}{need_a.pk}/cancel/"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  detail_a  detail_b  create  claim  cancel
        street_admin      200   200       200       201     403    200
        party_officer     200   200       200       201     403    200
        party_cadre       200   200       404       201     403    200
        community_cadre   200   404       404       403     404    404
        # the secretary sees their branch's community; is not a serving member
        secretary         200   200       404       403     403    403
        serving           200   200       404       403     200    403
        grid_worker       403   404       404       403     404    404
        partner_staff     403   404       404       403     404    404
        anonymous         401   401       401       401     401    401
        """,
    )


def test_service_hours_api_matrix(request, world):
    hours_a, hours_b, rule = world["hours_a"], world["hours_b"], world["rule"]
    base = "/api/v1/service-hours/"
    actions = {
        "list": Call("get", base),
        "detail_a": Call("get", f"{base}{hours_a.pk}/"),
        "detail_b": Call("get", f"{base}{hours_b.pk}/"),
        "log": Call("post", base, {"served_on": "2025-06-01", "hours": "2.0", "rule": rule.pk}),
        "approve": Call("post", f"{base}{hours_a.pk}/approve/"),
        "reject": Call("post", f"{base}{hours_a.pk}/reject/", {"note": "无证明"}),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  detail_a  detail_b  log  approve  reject
        street_admin      200   200       200       403  200      200
        party_officer     200   200       200       403  200      200
        party_cadre       200   200       404       403  200      200
        community_cadre   200   404       404       403  404      404
        # the secretary has not reported to a community: their own hours are a 400
        secretary         200   200       404       400  200      200
        # the member logs their own, never reviews them
        serving           200   200       404       201  403      403
        grid_worker       403   404       404       403  404      404
        partner_staff     403   404       404       403  404      404
        anonymous         401   401       401       401  401      401
        """,
    )


def test_pages_matrix(request, world, branch_a):
    need_a, need_b = world["need_a"], world["need_b"]
    hours_a, hours_b = world["hours_a"], world["hours_b"]
    sheet = {"org": branch_a.pk, "year": 2025, "quarter": 2}
    actions = {
        "me": Call("get", reverse("partybuilding:serving-me")),
        "needs": Call("get", reverse("partybuilding:need-list")),
        "need_a": Call("get", reverse("partybuilding:need-detail", args=[need_a.pk])),
        "need_b": Call("get", reverse("partybuilding:need-detail", args=[need_b.pk])),
        "need_new": Call("get", reverse("partybuilding:need-create")),
        "hours": Call("get", reverse("partybuilding:hours-list")),
        "hours_a": Call("get", reverse("partybuilding:hours-detail", args=[hours_a.pk])),
        "hours_b": Call("get", reverse("partybuilding:hours-detail", args=[hours_b.pk])),
        "log": Call("get", reverse("partybuilding:hours-log")),
        "sheet": Call("get", reverse("partybuilding:feedback-sheet"), sheet),
        "xlsx": Call("get", reverse("partybuilding:feedback-sheet-export"), sheet),
        "print": Call("get", reverse("partybuilding:feedback-sheet-print"), sheet),
    }
    assert_access_matrix(
        request,
        actions,
        """
                         me  needs need_a need_b need_new hours hours_a hours_b log sheet xlsx print
        street_admin     404 200   200    200    200      200   200     200     403 200   200  200
        party_officer    404 200   200    200    200      200   200     200     403 200   200  200
        party_cadre      404 200   200    404    200      200   200     404     403 403   403  403
        community_cadre  404 200   404    404    403      200   404     404     403 403   403  403
        secretary        200 200   200    404    403      200   200     404     200 403   403  403
        serving          200 200   200    404    403      200   200     404     200 403   403  403
        grid_worker      404 403   404    404    403      403   404     404     403 403   403  403
        partner_staff    404 403   404    404    403      403   404     404     403 403   403  403
        anonymous        302 302   302    302    302      302   302     302     302 302   302  302
        """,
        perform=page_call,
    )


def test_member_claims_logs_and_secretary_approves_through_the_pages(
    client, serving, secretary, world
):
    need = world["need_a"]
    login(client, serving)
    client.post(reverse("partybuilding:need-claim", args=[need.pk]))
    assert CommunityNeed.objects.get(pk=need.pk).status == CommunityNeed.Status.CLAIMED
    response = client.post(
        reverse("partybuilding:hours-log"),
        {
            "served_on": "2025-06-02",
            "hours": "2.5",
            "rule": world["rule"].pk,
            "need": need.pk,
            "description": "陪老人就医",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = ServiceHours.objects.get(need=need)
    client.post(reverse("partybuilding:need-complete", args=[need.pk]), {"delivered": "陪诊"})
    assert CommunityNeed.objects.get(pk=need.pk).status == CommunityNeed.Status.DONE

    login(client, secretary)
    client.post(reverse("partybuilding:hours-approve", args=[record.pk]), {"note": ""})
    record.refresh_from_db()
    assert record.status == ServiceHours.Status.APPROVED
    assert record.points == Decimal("2.50")  # 1 point per hour, from the rule

    login(client, serving)
    page = client.get(reverse("partybuilding:serving-me")).content.decode()
    assert "2.50" in page
    # No ranking of members anywhere on the member's page.
    assert "rank" not in page.lower() and "排名" not in page


def test_a_stale_claim_is_a_message_not_an_error(client, serving, world, party_officer):
    need = world["need_a"]
    from partybuilding.serving import writes

    writes.community_need_cancel(actor=party_officer, need=need)
    login(client, serving)
    response = client.post(reverse("partybuilding:need-claim", args=[need.pk]), follow=True)
    assert response.status_code == 200
    assert CommunityNeed.objects.get(pk=need.pk).status == CommunityNeed.Status.CANCELLED


def test_the_export_is_an_xlsx_and_audited(client, party_officer, world, branch_a):
    from portal.models import AuditEvent

    login(client, party_officer)
    response = client.get(
        reverse("partybuilding:feedback-sheet-export"),
        {"org": branch_a.pk, "year": 2025, "quarter": 2},
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(action="party_feedback_sheet.export").exists()


def test_print_view_has_print_css(client, party_officer, world, branch_a):
    login(client, party_officer)
    page = client.get(
        reverse("partybuilding:feedback-sheet-print"),
        {"org": branch_a.pk, "year": 2025, "quarter": 2},
    ).content.decode()
    assert "@media print" in page


# --- Query counts -----------------------------------------------------------------------------


def test_needs_list_page_and_api_queries_are_constant(client, party_officer, community_a):
    from rest_framework.test import APIClient

    login(client, party_officer)

    def add(n):
        CommunityNeedFactory.create_batch(n, community=community_a)

    # 5 queries: user, count, unread notifications, filter communities, the page of needs
    # with community/claimer/poster (the session: from Redis, not saved again)
    assert_constant_queries(
        add_rows=add, fetch=lambda: client.get(reverse("partybuilding:need-list")), expected=5
    )
    api = APIClient()
    api.force_authenticate(party_officer)
    # 2 queries: count, the page with its joins
    assert_constant_queries(
        add_rows=add, fetch=lambda: api.get("/api/v1/community-needs/"), expected=2
    )


def test_hours_list_page_and_api_queries_are_constant(client, party_officer, branch_a):
    from rest_framework.test import APIClient

    login(client, party_officer)
    member = ServingMemberFactory(org=branch_a)

    def add(n):
        ServiceHoursFactory.create_batch(n, member=member)

    # 8 queries: user, count, review count, review ids, own member record (log
    # button), unread notifications, filter communities, the page with
    # member/org/community/need/rule/reviewer (the session: from Redis, not saved again)
    assert_constant_queries(
        add_rows=add, fetch=lambda: client.get(reverse("partybuilding:hours-list")), expected=8
    )
    api = APIClient()
    api.force_authenticate(party_officer)
    # 2 queries: count, the page with its joins
    assert_constant_queries(
        add_rows=add, fetch=lambda: api.get("/api/v1/service-hours/"), expected=2
    )


def test_member_page_and_sheet_queries_are_constant(client, serving, party_officer, branch_b):
    login(client, serving)

    def add(n):
        ServiceHoursFactory.create_batch(n, member=serving.party_member)

    assert_constant_queries(
        add_rows=add, fetch=lambda: client.get(reverse("partybuilding:serving-me")), expected=8
    )

    login(client, party_officer)

    def add_employed(n):
        for _ in range(n):
            ServiceHoursFactory(member=ServingMemberFactory(org=branch_b, employer_org=branch_b))

    url = reverse("partybuilding:feedback-sheet")
    query = {"org": branch_b.pk, "year": 2025, "quarter": 2}
    assert_constant_queries(add_rows=add_employed, fetch=lambda: client.get(url, query), expected=6)


def test_evidence_is_served_only_within_scope(client, serving, party_officer, other_grid_worker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from partybuilding.serving import writes

    rule = PointRuleFactory(code="t_photo", evidence_required=True)
    photo = SimpleUploadedFile("p.jpg", b"\xff\xd8\xff\xe0jpeg", content_type="image/jpeg")
    record = writes.service_hours_log(
        actor=serving, served_on=date(2025, 6, 1), hours=Decimal("1"), rule=rule, evidence=photo
    )
    url = reverse("partybuilding:hours-evidence", args=[record.pk])
    assert login(client, serving).get(url).status_code == 200
    assert login(client, party_officer).get(url).status_code == 200
    assert login(client, other_grid_worker).get(url).status_code == 404


def test_a_stale_transition_is_a_409(serving, party_officer, world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(party_officer)
    url = f"/api/v1/service-hours/{world['hours_a'].pk}/approve/"
    first = api.post(url, {}, format="json")
    assert first.status_code == 200 and first.json()["points"] == "2.00"
    assert api.post(url, {}, format="json").status_code == 409
    api.post(f"/api/v1/community-needs/{world['need_a'].pk}/cancel/")
    api.force_authenticate(serving)
    assert api.post(f"/api/v1/community-needs/{world['need_a'].pk}/claim/").status_code == 409


def test_points_come_from_the_rule_never_from_the_request(serving, secretary, world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(serving)
    created = api.post(
        "/api/v1/service-hours/",
        {"served_on": "2025-06-01", "hours": "3.0", "rule": world["rule"].pk, "points": "999"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["points"] is None
    api.force_authenticate(secretary)
    approved = api.post(
        f"/api/v1/service-hours/{created.json()['id']}/approve/", {"points": "999"}, format="json"
    )
    assert approved.json()["points"] == "3.00"
