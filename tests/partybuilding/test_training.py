"""Training (培训): courses, attendees, the hours against the yearly thresholds, the year-end
report (page, Excel) and the year-end notice to secretaries — writes, API and pages."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from partybuilding.models import PartyMember, TrainingRecord, TrainingThreshold
from partybuilding.training import selectors, writes
from partybuilding.training.tasks import training_shortfalls_notify
from portal.models import AuditEvent, Notification
from tests.helpers import (
    Call,
    assert_access_matrix,
    assert_answer_documented,
    assert_constant_queries,
    login,
    page_call,
)
from tests.partybuilding.factories import (
    PartyMemberFactory,
    PartyMemberUserFactory,
    TrainingCourseFactory,
    TrainingRecordFactory,
    TrainingThresholdFactory,
)

D = Decimal
YEAR = timezone.localdate().year - 1  # the year the beat task reports in January


@pytest.fixture(autouse=True)
def _thresholds(db):
    """The defaults of migration 0002 (a transactional test's flush elsewhere may remove them)."""
    TrainingThresholdFactory(position="member", yearly_hours=D("32"))
    TrainingThresholdFactory(position="secretary", yearly_hours=D("56"))


def _hours(member, hours, *, year=YEAR):
    course = TrainingCourseFactory(hours=D(hours), held_on=date(year, 5, 1))
    return TrainingRecordFactory(course=course, member=member, hours=D(hours))


@pytest.fixture
def year_of_training(branch_a, branch_b, member, secretary):
    """Branch A: 党员甲 10 h (below 32), 支部书记 40 h (a secretary: below 56), 达标党员 32 h
    (exactly enough), 转出党员 0 h but transferred out in the year; branch B: 阁巷党员 0 h and
    branch B's secretary 阁巷书记 60 h (enough). Hours of another year never count."""
    me = PartyMember.objects.get(user=member)
    sec = PartyMember.objects.get(user=secretary)
    _hours(me, "6")
    _hours(me, "4")
    _hours(me, "30", year=YEAR - 1)
    _hours(sec, "40")
    _hours(PartyMemberFactory(name="达标党员", org=branch_a), "32")
    PartyMemberFactory(name="转出党员", org=branch_a, transferred_out_on=date(YEAR, 6, 1))
    PartyMemberFactory(name="阁巷党员", org=branch_b)
    b_secretary_user = PartyMemberUserFactory(username="t_secretary_b", full_name="阁巷书记")
    b_secretary = PartyMemberFactory(name="阁巷书记", org=branch_b, user=b_secretary_user)
    _hours(b_secretary, "60")
    branch_b.secretary = b_secretary
    branch_b.save(update_fields=["secretary"])
    return b_secretary_user


def _names(rows):
    return sorted(row.member.name for row in rows)


# --- The report -----------------------------------------------------------------------------------


def test_the_year_end_report_lists_exactly_those_below_their_threshold(
    year_of_training, party_officer, party_cadre, secretary, member
):
    rows = selectors.training_shortfalls(actor=party_officer, year=YEAR)
    assert _names(rows) == ["党员甲", "支部书记", "阁巷党员"]
    by_name = {row.member.name: row for row in rows}
    assert (by_name["党员甲"].hours, by_name["党员甲"].threshold) == (D("10"), D("32"))
    assert by_name["支部书记"].is_secretary and by_name["支部书记"].threshold == D("56")
    assert by_name["支部书记"].shortfall == D("16")
    # Scope: branch A's people for its granted cadre and secretary; a member themself.
    assert _names(selectors.training_shortfalls(actor=party_cadre, year=YEAR)) == [
        "党员甲",
        "支部书记",
    ]
    assert _names(selectors.training_shortfalls(actor=secretary, year=YEAR)) == [
        "党员甲",
        "支部书记",
    ]
    assert _names(selectors.training_shortfalls(actor=member, year=YEAR)) == ["党员甲"]


def test_thresholds_are_configurable(year_of_training, party_officer):
    threshold = TrainingThreshold.objects.get(position="member")
    writes.training_threshold_set(actor=party_officer, threshold=threshold, yearly_hours=D("8"))
    assert _names(selectors.training_shortfalls(actor=party_officer, year=YEAR)) == [
        "支部书记",
        "阁巷党员",
    ]
    assert AuditEvent.objects.filter(action="training.threshold_set").exists()


def test_year_to_date_hours_per_org(year_of_training, party_officer, branch_a):
    rows = selectors.training_hours(
        actor=party_officer, year=YEAR, until=date(YEAR, 12, 31), org=branch_a
    )
    assert {row.member.name: (row.hours, row.below) for row in rows} == {
        "党员甲": (D("10"), True),
        "支部书记": (D("40"), True),
        "达标党员": (D("32"), False),
    }


def test_the_year_end_notice_goes_once_per_org_and_year_when_beat_fires_twice(
    year_of_training, secretary
):
    b_secretary = year_of_training
    first = writes.training_shortfalls_notify(actor=None, year=YEAR)
    second = writes.training_shortfalls_notify(actor=None, year=YEAR)
    assert (first["sent"], second["sent"]) == (2, 0)
    notices = Notification.objects.filter(dedup_key__startswith="training-shortfall:")
    assert sorted(n.recipient.username for n in notices) == ["t_secretary", "t_secretary_b"]
    a_notice = notices.get(recipient=secretary)
    assert "党员甲" in a_notice.body and "支部书记" in a_notice.body
    assert "达标党员" not in a_notice.body and "阁巷党员" not in a_notice.body
    assert "阁巷党员" in notices.get(recipient=b_secretary).body
    # The beat task itself, fired twice: once per year, nothing new.
    training_shortfalls_notify()
    training_shortfalls_notify()
    assert notices.count() == 2


# --- Writes ---------------------------------------------------------------------------------------


def test_attendees_get_the_course_hours_by_default_and_are_recorded_once(party_officer, branch_a):
    course = writes.training_course_create(
        actor=party_officer,
        title="矛盾纠纷化解实务",
        topic="dispute_mediation",
        hours=D("3"),
        held_on=date(YEAR, 3, 1),
    )
    people = [PartyMemberFactory(org=branch_a) for _ in range(3)]
    records = writes.training_records_add(actor=party_officer, course=course, members=people[:2])
    assert [(r.hours, r.completed_on) for r in records] == [(D("3"), date(YEAR, 3, 1))] * 2
    again = writes.training_records_add(
        actor=party_officer, course=course, members=people, hours=D("2")
    )
    assert [r.member for r in again] == [people[2]] and again[0].hours == D("2")
    assert TrainingRecord.objects.count() == 3
    with pytest.raises(ValidationError):  # more than the course's hours
        writes.training_records_add(
            actor=party_officer, course=course, members=[PartyMemberFactory()], hours=D("4")
        )
    assert TrainingRecord.objects.count() == 3
    assert AuditEvent.objects.filter(action="training.records_add").count() == 2


def test_a_member_outside_the_scope_cannot_be_recorded(party_cadre, branch_b):
    course = TrainingCourseFactory()
    with pytest.raises(PermissionDenied):  # a granted community cadre only reads training
        writes.training_records_add(actor=party_cadre, course=course, members=[])


# --- Pages ----------------------------------------------------------------------------------------


def test_pages_access_matrix(request, branch_a, member, secretary):
    course = TrainingCourseFactory()
    TrainingRecordFactory(course=course, member=PartyMember.objects.get(user=member))
    assert_access_matrix(
        request,
        {
            "list": Call("get", reverse("partybuilding:training-list")),
            "detail": Call("get", reverse("partybuilding:training-detail", args=[course.pk])),
            "create": Call("get", reverse("partybuilding:training-create")),
            "attendees": Call("get", reverse("partybuilding:training-attendees", args=[course.pk])),
            "hours": Call("get", reverse("partybuilding:training-hours")),
            "report": Call("get", reverse("partybuilding:training-shortfalls")),
            "export": Call("get", reverse("partybuilding:training-shortfalls-export")),
        },
        """
                          list  detail  create  attendees  hours  report  export
        street_admin      200   200     200     200        200    200     200
        party_officer     200   200     200     200        200    200     200
        party_cadre       200   200     403     403        200    200     200
        secretary         200   200     403     403        200    200     200
        member            200   200     403     403        200    200     200
        # no grant: the course list is empty for them, a course a 404
        community_cadre   200   404     403     404        200    200     200
        grid_worker       403   404     403     404        403    403     403
        partner_staff     403   404     403     404        403    403     403
        anonymous         302   302     302     302        302    302     302
        """,
        perform=page_call,
    )


def test_one_form_records_the_room(client, party_officer, branch_a):
    course = TrainingCourseFactory(hours=D("4"))
    people = [PartyMemberFactory(org=branch_a) for _ in range(3)]
    login(client, party_officer)
    url = reverse("partybuilding:training-attendees", args=[course.pk])
    page = client.get(url)
    assert page.content.decode().count('data-testid="attendee-choice"') == 3
    response = client.post(url, {"members": [p.pk for p in people]})
    assert response.status_code == 302
    assert sorted(TrainingRecord.objects.values_list("hours", flat=True)) == [D("4")] * 3


def test_the_report_page_and_its_excel_neutralise_formulas(client, party_officer, branch_a):
    PartyMemberFactory(name='=HYPERLINK("http://x")', org=branch_a)
    login(client, party_officer)
    page = client.get(reverse("partybuilding:training-shortfalls"), {"year": YEAR})
    assert page.content.decode().count('data-testid="hours-row"') == 1
    response = client.get(reverse("partybuilding:training-shortfalls-export"), {"year": YEAR})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A3"].value == '\'=HYPERLINK("http://x")'
    assert sheet["D3"].value == 32
    assert AuditEvent.objects.filter(action="training.shortfalls_export").exists()


def test_list_and_hours_pages_queries_are_constant(client, party_officer, branch_a):
    login(client, party_officer)

    def add_rows(n):
        for _ in range(n):
            TrainingRecordFactory(member=PartyMemberFactory(org=branch_a))

    assert_constant_queries(
        add_rows=add_rows, fetch=lambda: client.get(reverse("partybuilding:training-list"))
    )
    assert_constant_queries(
        add_rows=add_rows, fetch=lambda: client.get(reverse("partybuilding:training-hours"))
    )


# --- API ------------------------------------------------------------------------------------------


def test_api_access_matrix(request, branch_a, member):
    course = TrainingCourseFactory()
    me = PartyMember.objects.get(user=member)
    TrainingRecordFactory(course=course, member=me)
    other = PartyMemberFactory(org=branch_a)
    url = f"/api/v1/trainings/{course.pk}/"
    assert_access_matrix(
        request,
        {
            "list": Call("get", "/api/v1/trainings/"),
            "detail": Call("get", url),
            "create": Call(
                "post",
                "/api/v1/trainings/",
                {"title": "党务", "topic": "party_affairs", "hours": "2", "held_on": "2026-05-01"},
            ),
            "records": Call("get", url + "records/"),
            "record": Call("post", url + "records/", {"members": [other.pk]}),
        },
        """
                          list  detail  create  records  record
        street_admin      200   200     201     200      201
        party_officer     200   200     201     200      201
        party_cadre       200   200     403     200      403
        secretary         200   200     403     200      403
        member            200   200     403     200      403
        community_cadre   200   404     403     404      404
        grid_worker       403   404     403     404      404
        partner_staff     403   404     403     404      404
        anonymous         401   401     401     401      401
        """,
    )


def test_api_records_show_only_what_the_reader_sees(api_client_for, member, branch_a, branch_b):
    course = TrainingCourseFactory()
    TrainingRecordFactory(course=course, member=PartyMember.objects.get(user=member))
    TrainingRecordFactory(course=course, member=PartyMemberFactory(org=branch_b))
    response = api_client_for(member).get(f"/api/v1/trainings/{course.pk}/records/")
    assert_answer_documented(response, "/api/v1/trainings/{id}/records/")
    assert [row["member_name"] for row in response.json()["results"]] == ["党员甲"]


def test_api_list_queries_are_constant(api_client_for, party_officer, street):
    client = api_client_for(party_officer)
    # 1 count (pagination), 2 the courses with their visible record counts
    assert_constant_queries(
        add_rows=lambda n: [TrainingRecordFactory() for _ in range(n)],
        fetch=lambda: client.get("/api/v1/trainings/"),
        expected=2,
    )


def test_the_party_office_edits_a_threshold_on_its_page(client, party_officer, secretary, street):
    threshold = TrainingThreshold.objects.get(position="secretary")
    url = reverse("partybuilding:training-threshold-edit", args=[threshold.pk])
    login(client, secretary)
    assert client.get(reverse("partybuilding:training-thresholds")).status_code == 200
    assert client.post(url, {"yearly_hours": "10"}).status_code == 403
    login(client, party_officer)
    assert client.post(url, {"yearly_hours": "60"}).status_code == 302
    threshold.refresh_from_db()
    assert threshold.yearly_hours == D("60")
