"""The street's Party configuration on pages (not only the admin): the point rules (积分规则)
of 双报到 and the required meeting frequencies per meeting kind and organisation kind — gates,
writes, person × action matrices; and the meeting-gap query, whose SQL does not grow with the
number of organisations."""

import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partybuilding.dashboards.selectors import orglife_gaps
from partybuilding.models import MeetingRequirement, PartyOrg, PointRule
from partybuilding.orglife import policy as orglife_policy
from partybuilding.orglife import selectors as orglife_selectors
from partybuilding.orglife import writes as orglife_writes
from partybuilding.serving import policy as serving_policy
from partybuilding.serving import writes as serving_writes
from portal.models import AuditEvent
from portal.policy import allowed
from tests.helpers import Call, assert_access_matrix, assert_constant_queries, login, page_call
from tests.partybuilding.factories import (
    BranchFactory,
    MeetingRequirementFactory,
    OrgLifeMeetingFactory,
    PointRuleFactory,
)

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(db):
    return PointRuleFactory(code="t_visit", name="走访慰问", points_per_hour=D("1"))


@pytest.fixture
def requirement(db):
    return MeetingRequirementFactory(kind="theme_day", org_kind="grid_branch", period="month")


# --- Gates ----------------------------------------------------------------------------------------


def test_the_point_rule_gates(
    rule, party_officer, street_admin, party_cadre, secretary, member, grid_worker
):
    for person in (party_officer, street_admin, party_cadre, secretary, member):
        assert allowed(serving_policy.access_point_rule_list, person)
    assert not allowed(serving_policy.access_point_rule_list, grid_worker)
    assert allowed(serving_policy.access_point_rule_create, None)
    for gate in (serving_policy.access_point_rule_create, serving_policy.access_point_rule_change):
        assert allowed(gate, party_officer, rule)
        assert allowed(gate, street_admin, rule)
        for person in (party_cadre, secretary, member, grid_worker):
            assert not allowed(gate, person, rule)


def test_the_requirement_gates(
    requirement, party_officer, street_admin, party_cadre, secretary, member, partner_staff
):
    for person in (party_officer, party_cadre, secretary, member):
        assert allowed(orglife_policy.access_meeting_requirement_list, person)
    assert not allowed(orglife_policy.access_meeting_requirement_list, partner_staff)
    assert allowed(orglife_policy.access_meeting_requirement_create, None)
    for gate in (
        orglife_policy.access_meeting_requirement_create,
        orglife_policy.access_meeting_requirement_change,
    ):
        assert allowed(gate, party_officer, requirement)
        assert allowed(gate, street_admin, requirement)
        for person in (party_cadre, secretary, member, partner_staff):
            assert not allowed(gate, person, requirement)


# --- Writes ---------------------------------------------------------------------------------------


def test_a_point_rule_is_added_and_changed(party_officer, secretary):
    rule = serving_writes.point_rule_create(
        actor=party_officer, code="t_tutor", name="课业辅导", points_per_hour=D("1.5")
    )
    serving_writes.point_rule_update(
        actor=party_officer, rule=rule, points_per_item=D("2"), evidence_required=False
    )
    rule.refresh_from_db()
    assert (rule.points_per_hour, rule.points_per_item, rule.evidence_required) == (
        D("1.5"),
        D("2"),
        False,
    )
    event = AuditEvent.objects.get(action="point_rule.update")
    assert event.details["before"] == {"points_per_item": "0.00", "evidence_required": "True"}
    with pytest.raises(PermissionDenied):
        serving_writes.point_rule_update(actor=secretary, rule=rule, points_per_hour=D("9"))


def test_a_point_rule_refuses_negative_points_and_a_taken_code(rule, party_officer):
    with pytest.raises(ValidationError) as exc:
        serving_writes.point_rule_update(actor=party_officer, rule=rule, points_per_hour=D("-1"))
    assert "points_per_hour" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        serving_writes.point_rule_create(actor=party_officer, code="t_visit", name="重复")
    assert "code" in exc.value.message_dict
    assert PointRule.objects.get(pk=rule.pk).points_per_hour == D("1")


def test_a_requirement_overrides_and_is_dropped(party_officer, branch_a):
    general = MeetingRequirementFactory(kind="theme_day", org_kind="", period="month")
    override = orglife_writes.meeting_requirement_create(
        actor=party_officer, kind="theme_day", org_kind="branch", period="quarter"
    )
    rows = orglife_selectors.requirement_rows()
    assert ("theme_day", "quarter") in orglife_selectors.required_kinds("branch", rows)
    with pytest.raises(ValidationError):  # one requirement per kind and organisation kind
        orglife_writes.meeting_requirement_create(
            actor=party_officer, kind="theme_day", org_kind="branch", period="month"
        )
    orglife_writes.meeting_requirement_delete(actor=party_officer, requirement=override)
    rows = orglife_selectors.requirement_rows()
    assert ("theme_day", "month") in orglife_selectors.required_kinds("branch", rows)
    orglife_writes.meeting_requirement_update(
        actor=party_officer, requirement=general, period="quarter"
    )
    general.refresh_from_db()
    assert general.period == "quarter"
    assert [
        e.action for e in AuditEvent.objects.filter(action__startswith="orglife.").order_by("pk")
    ] == [
        "orglife.requirement_create",
        "orglife.requirement_delete",
        "orglife.requirement_update",
    ]


def test_a_secretary_may_not_set_requirements(requirement, secretary):
    with pytest.raises(PermissionDenied):
        orglife_writes.meeting_requirement_update(
            actor=secretary, requirement=requirement, period="quarter"
        )
    with pytest.raises(PermissionDenied):
        orglife_writes.meeting_requirement_delete(actor=secretary, requirement=requirement)


# --- Pages ----------------------------------------------------------------------------------------


def test_point_rule_pages_matrix(request, rule, branch_a, member):
    actions = {
        "list": Call("get", "/party/point-rules/"),
        "new": Call("get", "/party/point-rules/new/"),
        "edit": Call("get", f"/party/point-rules/{rule.pk}/edit/"),
        "save": Call(
            "post",
            f"/party/point-rules/{rule.pk}/edit/",
            {
                "code": "t_visit",
                "name": "走访慰问",
                "points_per_hour": "2",
                "points_per_item": "0",
                "evidence_required": "on",
                "active": "on",
            },
        ),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  new  edit  save
        party_officer     200   200  200   302
        street_admin      200   200  200   302
        # they read the rules (their members' points), do not set them
        party_cadre       200   403  403   403
        secretary         200   403  403   403
        member            200   403  403   403
        # no part in the Party work: the rule is a 404, as missing
        community_cadre   200   403  404   404
        grid_worker       403   403  404   404
        partner_staff     403   403  404   404
        anonymous         302   302  302   302
        """,
        perform=page_call,
    )


def test_requirement_pages_matrix(request, requirement, branch_a, member):
    actions = {
        "list": Call("get", "/party/meetings/requirements/"),
        "new": Call("get", "/party/meetings/requirements/new/"),
        "edit": Call("get", f"/party/meetings/requirements/{requirement.pk}/edit/"),
        "delete": Call("post", f"/party/meetings/requirements/{requirement.pk}/delete/"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  new  edit  delete
        party_officer     200   200  200   302
        street_admin      200   200  200   302
        party_cadre       200   403  403   403
        secretary         200   403  403   403
        member            200   403  403   403
        community_cadre   200   403  404   404
        grid_worker       403   403  404   404
        partner_staff     403   403  404   404
        anonymous         302   302  302   302
        """,
        perform=page_call,
    )


def test_the_officer_edits_a_rule_and_a_requirement(rule, requirement, client, party_officer):
    login(client, party_officer)
    page = client.get("/party/point-rules/").content.decode()
    assert "走访慰问" in page and f"/party/point-rules/{rule.pk}/edit/" in page
    response = client.post(
        f"/party/point-rules/{rule.pk}/edit/",
        {"code": "t_visit", "name": "走访慰问", "points_per_hour": "2", "points_per_item": "1"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.points_per_hour, rule.points_per_item, rule.evidence_required) == (
        D("2"),
        D("1"),
        False,
    )
    response = client.post(
        f"/party/point-rules/{rule.pk}/edit/",
        {"code": "t_visit", "name": "走访慰问", "points_per_hour": "-1", "points_per_item": "0"},
    )
    assert response.status_code == 400
    response = client.post(
        f"/party/meetings/requirements/{requirement.pk}/edit/",
        {"kind": "theme_day", "org_kind": "grid_branch", "period": "quarter"},
    )
    assert response.status_code == 302
    requirement.refresh_from_db()
    assert requirement.period == "quarter"
    response = client.post(
        "/party/meetings/requirements/new/",
        {"kind": "theme_day", "org_kind": "grid_branch", "period": "month"},
    )
    assert response.status_code == 400  # one per kind and organisation kind
    response = client.post(
        "/party/meetings/requirements/new/",
        {"kind": "party_lecture", "org_kind": "general_branch", "period": "quarter"},
    )
    assert response.status_code == 302
    assert MeetingRequirement.objects.filter(
        kind="party_lecture", org_kind="general_branch"
    ).exists()


def test_the_rule_lists_do_not_grow_in_queries(client, party_officer):
    login(client, party_officer)
    meeting_kinds = ["branch_committee", "group_meeting", "general_assembly", "party_lecture",
                     "theme_day"]  # fmt: skip
    combos = iter(itertools.product(PartyOrg.Kind.values, meeting_kinds))

    def add_rules(n):
        for _ in range(n):
            PointRuleFactory()

    assert_constant_queries(add_rows=add_rules, fetch=lambda: client.get("/party/point-rules/"))

    def add_requirements(n):
        for _ in range(n):
            org_kind, kind = next(combos)
            MeetingRequirementFactory(kind=kind, org_kind=org_kind, period="month")

    assert_constant_queries(
        add_rows=add_requirements, fetch=lambda: client.get("/party/meetings/requirements/")
    )


# --- The meeting-gap query ------------------------------------------------------------------------


def _meeting_queries(func) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        func()
    return [q["sql"] for q in ctx.captured_queries if "partybuilding_orglifemeeting" in q["sql"]]


def test_the_gap_query_is_a_subquery_of_constant_size(street_committee, party_officer):
    """The reminder's and the dashboard's meeting queries name the organisations through a
    subquery: the same statement, and the same number of queries, for 1 branch and for 20."""
    MeetingRequirementFactory(kind="branch_committee", org_kind="", period="month")
    today = date(2026, 12, 2)

    def add_rows(n):
        for _ in range(n):
            branch = BranchFactory(parent=street_committee)
            OrgLifeMeetingFactory(org=branch, kind="branch_committee", held_on=date(2026, 11, 5))

    def fetch():
        orglife_selectors.gaps_just_ended(today=today)
        orglife_gaps(actor=party_officer, today=today)

    measured = []

    def add_and_measure(n):
        add_rows(n)
        measured.append(_meeting_queries(fetch))

    # requirements, organisations, meetings held — for the reminder, then for the dashboard
    assert_constant_queries(add_rows=add_and_measure, fetch=fetch, expected=6)
    first, after = measured
    assert len(first) == len(after) == 2
    assert [len(sql) for sql in first] == [len(sql) for sql in after]
    assert all(" IN (SELECT " in sql for sql in after)
    gaps = orglife_selectors.gaps_just_ended(today=today)
    assert not [kind for _org, kind, _span in gaps if kind == "branch_committee"]
