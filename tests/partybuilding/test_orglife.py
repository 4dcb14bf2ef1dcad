"""Organisational life: the gates, recording a meeting with its attendance, compliance, the
gap reminder (fired twice), and the person × action matrices with query counts."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from partybuilding.models import MeetingAttendance, MeetingRequirement, OrgLifeMeeting, PartyOrg
from partybuilding.orglife import policy, selectors, writes
from partybuilding.orglife.tasks import orglife_gaps_remind
from portal.models import AuditEvent, Notification
from portal.policy import allowed as may
from tests.helpers import Call, assert_access_matrix, assert_constant_queries, login, page_call
from tests.partybuilding.factories import (
    MeetingAttendanceFactory,
    MeetingRequirementFactory,
    OrgLifeMeetingFactory,
    PartyMemberFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_requirements(db):
    """The defaults migration 0002 installs (a transactional test elsewhere may have flushed
    them from a reused test database)."""
    for kind, period in [
        ("branch_committee", "month"),
        ("group_meeting", "month"),
        ("general_assembly", "quarter"),
        ("party_lecture", "quarter"),
        ("theme_day", "month"),
    ]:
        MeetingRequirementFactory(kind=kind, org_kind="", period=period)


# --- Gates -------------------------------------------------------------------------------------


def test_record_gate(
    branch_a, branch_b, party_officer, party_cadre, secretary, member, community_cadre, grid_worker
):
    gate = policy.access_meeting_record
    assert may(gate, None, branch_a)  # the demo loader
    assert may(gate, party_officer, branch_b)
    assert may(gate, party_cadre, branch_a)
    assert not may(gate, party_cadre, branch_b)
    assert may(gate, secretary, branch_a)
    assert may(gate, secretary)  # may record for some organisation
    assert not may(gate, secretary, branch_b)
    assert not may(gate, member, branch_a)
    assert not may(gate, member)
    assert not may(gate, community_cadre, branch_a)
    assert not may(gate, grid_worker, branch_a)


def test_update_gate(branch_a, party_cadre, secretary, member):
    meeting = OrgLifeMeetingFactory(org=branch_a)
    assert may(policy.access_meeting_update, secretary, meeting)
    assert may(policy.access_meeting_update, party_cadre, meeting)
    assert not may(policy.access_meeting_update, member, meeting)


def test_reminder_gate(party_officer, street_admin):
    assert may(policy.access_orglife_gaps_remind, None)
    assert may(policy.access_orglife_gaps_remind, street_admin)
    assert not may(policy.access_orglife_gaps_remind, party_officer)


def test_list_gates(member, grid_worker, partner_staff):
    assert may(policy.access_meeting_list, member)
    assert not may(policy.access_meeting_list, grid_worker)
    assert not may(policy.access_compliance_view, partner_staff)


# --- Writes ------------------------------------------------------------------------------------


def _sheet(branch_a):
    present = PartyMemberFactory(org=branch_a, name="张三")
    excused = PartyMemberFactory(org=branch_a, name="李四")
    absent = PartyMemberFactory(org=branch_a, name="王五")
    return [
        {"member": present, "status": "present"},
        {"member": excused, "status": "excused"},
        {"member": absent, "status": "absent"},
    ]


def test_record_a_meeting_with_attendance(secretary, branch_a):
    meeting = writes.meeting_record(
        actor=secretary,
        org=branch_a,
        kind="branch_committee",
        held_on=date(2025, 6, 3),
        topic="学习",
        attendance=_sheet(branch_a),
    )
    statuses = sorted(meeting.attendance.values_list("status", flat=True))
    assert statuses == ["absent", "excused", "present"]
    event = AuditEvent.objects.get(action="meeting.record")
    assert event.details["attendance"] == {"present": 1, "excused": 1, "absent": 1}


def test_a_stranger_on_the_sheet_writes_nothing(secretary, branch_a, branch_b):
    stranger = PartyMemberFactory(org=branch_b)
    with pytest.raises(ValidationError) as exc:
        writes.meeting_record(
            actor=secretary,
            org=branch_a,
            kind="theme_day",
            held_on=date(2025, 6, 3),
            topic="x",
            attendance=[{"member": stranger, "status": "present"}],
        )
    assert "attendance" in exc.value.message_dict
    assert not OrgLifeMeeting.objects.exists()


def test_a_building_group_holds_no_committee_meeting(party_officer, group_a):
    with pytest.raises(ValidationError):
        writes.meeting_record(
            actor=party_officer,
            org=group_a,
            kind="branch_committee",
            held_on=date(2025, 6, 3),
            topic="x",
        )


def test_update_replaces_the_sheet(secretary, branch_a):
    sheet = _sheet(branch_a)
    meeting = writes.meeting_record(
        actor=secretary,
        org=branch_a,
        kind="theme_day",
        held_on=date(2025, 6, 3),
        topic="x",
        attendance=sheet,
    )
    writes.meeting_update(
        actor=secretary,
        meeting=meeting,
        topic="新议题",
        attendance=[{"member": row["member"], "status": "present"} for row in sheet],
    )
    meeting.refresh_from_db()
    assert meeting.topic == "新议题"
    assert set(meeting.attendance.values_list("status", flat=True)) == {"present"}


# --- Compliance and the reminder ---------------------------------------------------------------


def test_required_kinds_per_org_kind():
    rows = list(MeetingRequirement.objects.all())
    branch = dict(selectors.required_kinds(PartyOrg.Kind.BRANCH, rows))
    group = dict(selectors.required_kinds(PartyOrg.Kind.BUILDING_GROUP, rows))
    committee = dict(selectors.required_kinds(PartyOrg.Kind.COMMITTEE, rows))
    assert branch == {
        "branch_committee": "month",
        "general_assembly": "quarter",
        "party_lecture": "quarter",
        "theme_day": "month",
    }
    assert group == {"group_meeting": "month", "party_lecture": "quarter", "theme_day": "month"}
    assert committee == {}
    MeetingRequirementFactory(kind="theme_day", org_kind=PartyOrg.Kind.BRANCH, period="quarter")
    rows = list(MeetingRequirement.objects.all())
    assert dict(selectors.required_kinds(PartyOrg.Kind.BRANCH, rows))["theme_day"] == "quarter"


def test_compliance_marks_held_missed_and_open(branch_a):
    OrgLifeMeetingFactory(org=branch_a, kind="branch_committee", held_on=date(2025, 1, 10))
    OrgLifeMeetingFactory(org=branch_a, kind="general_assembly", held_on=date(2025, 2, 10))
    [(_org, rows)] = selectors.compliance(orgs=[branch_a], year=2025, today=date(2025, 4, 15))
    by_kind = {row.kind: [(span.key, state) for span, state in row.cells] for row in rows}
    assert by_kind["branch_committee"] == [
        ("2025-01", "held"),
        ("2025-02", "missed"),
        ("2025-03", "missed"),
        ("2025-04", "open"),
    ]
    assert by_kind["general_assembly"] == [("2025-Q1", "held"), ("2025-Q2", "open")]


def _world_for_gaps(branch_a, branch_b, secretary):
    """In November 2026 branch A (the secretary's) held only its theme day, branch B (no
    secretary) its committee meeting and theme day, group A nothing; nobody held an assembly or
    a lecture in Q3."""
    OrgLifeMeetingFactory(org=branch_b, kind="branch_committee", held_on=date(2026, 11, 5))
    OrgLifeMeetingFactory(org=branch_b, kind="theme_day", held_on=date(2026, 11, 20))
    OrgLifeMeetingFactory(org=branch_a, kind="theme_day", held_on=date(2026, 11, 20))


def test_gap_reminder_reaches_exactly_the_right_people_once(
    branch_a, branch_b, group_a, secretary, party_officer
):
    _world_for_gaps(branch_a, branch_b, secretary)
    today = date(2026, 12, 2)  # the month just ended is November, the quarter Q3
    first = writes.orglife_gaps_remind(today=today)
    second = writes.orglife_gaps_remind(today=today)
    keys = set(Notification.objects.values_list("recipient__username", "dedup_key"))
    assert keys == {
        # branch A missed its November committee meeting: its secretary hears it
        ("t_secretary", f"orglife-gap:{branch_a.pk}:branch_committee:2026-11"),
        # group A (no secretary) missed its November group meeting and theme day: the officer
        (party_officer.username, f"orglife-gap:{group_a.pk}:group_meeting:2026-11"),
        (party_officer.username, f"orglife-gap:{group_a.pk}:theme_day:2026-11"),
    } | {
        # the quarter just ended (Q3, 2026-07..09): assembly and lecture missed everywhere
        (user, f"orglife-gap:{org.pk}:{kind}:2026-Q3")
        for user, org, kinds in (
            ("t_secretary", branch_a, ["general_assembly", "party_lecture"]),
            (party_officer.username, branch_b, ["general_assembly", "party_lecture"]),
            (party_officer.username, group_a, ["party_lecture"]),
        )
        for kind in kinds
    }
    assert first["sent"] == len(keys)
    assert second == {"gaps": first["gaps"], "sent": 0}


def test_gap_task_fired_twice_sends_once(branch_a, secretary, party_officer, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 12, 2))
    first = orglife_gaps_remind.apply().get()
    second = orglife_gaps_remind.apply().get()
    assert first["sent"] > 0 and second["sent"] == 0
    assert Notification.objects.filter(recipient=secretary).count() == first["sent"]


# --- Access and query counts -------------------------------------------------------------------


def test_meeting_api_matrix(request, branch_a, member):
    meeting = OrgLifeMeetingFactory(org=branch_a)
    someone = PartyMemberFactory(org=branch_a)
    url = "/api/v1/meetings/"
    body = {
        "org": branch_a.pk,
        "kind": "theme_day",
        "held_on": "2025-06-01",
        "topic": "主题党日",
        "attendance": [{"member": someone.pk, "status": "present"}],
    }
    actions = {
        "list": Call("get", url),
        "read": Call("get", f"{url}{meeting.pk}/"),
        "create": Call("post", url, body),
        "update": Call("patch", f"{url}{meeting.pk}/", {"topic": "改"}),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  read  create  update
        party_officer     200   200   201     200
        party_cadre       200   200   201     200
        secretary         200   200   201     200
        # a plain member did not attend: 404; branch A is not theirs to record for (the org
        # is visible to them as their own, so the gate answers)
        member            200   404   403     404
        community_cadre   200   404   400     404
        grid_worker       403   404   403     404
        partner_staff     403   404   403     404
        anonymous         401   401   401     401
        """,
    )


def test_member_sees_a_meeting_they_attended(client, member, branch_a):
    meeting = OrgLifeMeetingFactory(org=branch_a)
    MeetingAttendanceFactory(meeting=meeting, member=member.party_member)
    login(client, member)
    assert client.get(f"/party/meetings/{meeting.pk}/").status_code == 200
    assert client.get(f"/party/meetings/{meeting.pk}/edit/").status_code == 403


def test_meeting_pages_matrix(request, branch_a, secretary, member):
    meeting = OrgLifeMeetingFactory(org=branch_a)
    PartyMemberFactory(org=branch_a)
    # the sheet has a row for every member of branch A (the secretary and the member too)
    post = {"kind": "theme_day", "held_on": "2025-06-01", "topic": "主题党日"}
    post |= {f"att_{pk}": "present" for pk in branch_a.members.values_list("pk", flat=True)}
    actions = {
        "list": Call("get", "/party/meetings/"),
        "detail": Call("get", f"/party/meetings/{meeting.pk}/"),
        "pick": Call("get", "/party/meetings/new/"),
        "record": Call("post", f"/party/meetings/new/?org={branch_a.pk}", post),
        "compliance": Call("get", "/party/meetings/compliance/"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          list  detail  pick  record  compliance
        party_officer     200   200     200   302     200
        party_cadre       200   200     200   302     200
        secretary         200   200     200   302     200
        member            200   404     403   403     200
        community_cadre   200   404     403   403     200
        grid_worker       403   404     403   403     403
        partner_staff     403   404     403   403     403
        anonymous         302   302     302   302     302
        """,
        perform=page_call,
    )


def test_attendance_form_records_each_member(client, secretary, branch_a):
    members = [PartyMemberFactory(org=branch_a) for _ in range(3)]
    login(client, secretary)
    page = client.get(f"/party/meetings/new/?org={branch_a.pk}").content.decode()
    assert page.count('value="excused"') == 4  # three members and the secretary
    data = {"kind": "branch_committee", "held_on": "2025-06-01", "topic": "支委会"}
    data |= {f"att_{m.pk}": "present" for m in members}
    data[f"att_{secretary.party_member.pk}"] = "excused"
    response = client.post(f"/party/meetings/new/?org={branch_a.pk}", data)
    assert response.status_code == 302
    assert MeetingAttendance.objects.filter(status="excused").count() == 1
    assert MeetingAttendance.objects.count() == 4


def test_meeting_lists_constant_queries(client, party_officer, branch_a):
    login(client, party_officer)

    def add(n):
        for _ in range(n):
            MeetingAttendanceFactory(meeting=OrgLifeMeetingFactory(org=branch_a))

    assert_constant_queries(add_rows=add, fetch=lambda: client.get("/party/meetings/"))
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(party_officer)
    # count, the page of meetings (org joined, attendance counted), the attendance prefetch
    assert_constant_queries(add_rows=add, fetch=lambda: api.get("/api/v1/meetings/"), expected=3)


def test_compliance_page_constant_queries(client, party_officer, street_committee, community_a):
    from tests.partybuilding.factories import BranchFactory

    login(client, party_officer)

    def add(n):
        for _ in range(n):
            branch = BranchFactory(parent=street_committee, community=community_a)
            OrgLifeMeetingFactory(org=branch, held_on=date.today().replace(day=1))

    assert_constant_queries(add_rows=add, fetch=lambda: client.get("/party/meetings/compliance/"))


def test_beat_fired_twice_into_a_real_worker_reminds_once(celery_worker, monkeypatch):
    """Beat's own entry sent twice; a real worker runs both messages; one reminder each."""
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    from portal.celery import app
    from tests.partybuilding.factories import BranchFactory, PartyMemberUserFactory

    branch = BranchFactory()
    user = PartyMemberUserFactory(username="t_sec_worker")
    branch.secretary = PartyMemberFactory(org=branch, user=user)
    branch.save(update_fields=["secretary"])
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 12, 2))
    scheduler = DatabaseScheduler(app=app, lazy=True)
    # beat's own entry for the row migrate installed (the scheduler's due-soon window would
    # leave a 07:40 daily task out of all_as_schedule() at other hours of the day)
    task = PeriodicTask.objects.get(task="partybuilding.orglife_gaps_remind")
    entry = scheduler.Entry(task, app=app)
    outcomes = [r.get(timeout=30) for r in [scheduler.apply_async(entry) for _ in range(2)]]
    assert sorted(o["sent"] for o in outcomes)[0] == 0
    keys = list(Notification.objects.filter(recipient=user).values_list("dedup_key", flat=True))
    assert sorted(keys) == sorted(
        f"orglife-gap:{branch.pk}:{kind}:{period}"
        for kind, period in [
            ("branch_committee", "2026-11"),
            ("theme_day", "2026-11"),
            ("general_assembly", "2026-Q3"),
            ("party_lecture", "2026-Q3"),
        ]
    )


@pytest.mark.parametrize("org", ["²", "abc", "99999999999999999999999", "-1"])
@pytest.mark.parametrize("page", ["/party/meetings/new/", "/party/meetings/compliance/"])
def test_a_malformed_org_parameter_is_ignored_never_a_500(client, party_officer, page, org):
    login(client, party_officer)
    assert client.get(page, {"org": org}).status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/meetings/", "/api/v1/trainings/"])
@pytest.mark.parametrize("year", ["99999999999999999999", "0", "abc"])
def test_a_year_no_one_records_is_a_400_in_the_api(party_officer, url, year):
    client = APIClient()
    client.force_authenticate(party_officer)
    response = client.get(url, {"year": year})
    assert response.status_code == 400
    assert "year" in response.json()
