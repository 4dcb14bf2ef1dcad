"""Editing training after creation: a course (its records stay valid) and one attendance
record (hours, day, or off the list) — gates, writes, pages and API."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from partybuilding.models import PartyMember, TrainingRecord
from partybuilding.training import policy, writes
from portal.models import AuditEvent
from portal.policy import allowed
from tests.helpers import Call, assert_access_matrix, login, page_call
from tests.partybuilding.factories import TrainingCourseFactory, TrainingRecordFactory

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def course(street):
    return TrainingCourseFactory(title="矛盾纠纷化解", hours=D("4.0"), held_on=date(2025, 4, 1))


@pytest.fixture
def record(course, member):
    """党员甲 attended the whole course."""
    return TrainingRecordFactory(course=course, member=PartyMember.objects.get(user=member))


# --- Gates ----------------------------------------------------------------------------------------


def test_the_editing_gates(
    course, record, party_officer, street_admin, party_cadre, secretary, member
):
    for gate, obj in (
        (policy.access_training_course_change, course),
        (policy.access_training_record_change, record),
    ):
        assert allowed(gate, None, obj)  # the demo loader
        assert allowed(gate, party_officer, obj)
        assert allowed(gate, street_admin, obj)
        assert not allowed(gate, party_cadre, obj)
        assert not allowed(gate, secretary, obj)
        assert not allowed(gate, member, obj)  # not even their own record


# --- Writes ---------------------------------------------------------------------------------------


def test_a_course_is_corrected(course, party_officer):
    writes.training_course_update(
        actor=party_officer, course=course, title=" 矛盾纠纷化解实务 ", provider="区司法局"
    )
    course.refresh_from_db()
    assert (course.title, course.provider) == ("矛盾纠纷化解实务", "区司法局")
    assert AuditEvent.objects.get(action="training.course_update").details["fields"] == [
        "title",
        "provider",
    ]


def test_a_course_keeps_its_records_valid(course, record, party_officer):
    with pytest.raises(ValidationError) as exc:
        writes.training_course_update(actor=party_officer, course=course, hours=D("2.0"))
    assert "hours" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        writes.training_course_update(actor=party_officer, course=course, held_on=date(2025, 5, 1))
    assert "held_on" in exc.value.message_dict
    course.refresh_from_db()
    assert (course.hours, course.held_on) == (D("4.0"), date(2025, 4, 1))
    writes.training_course_update(actor=party_officer, course=course, hours=D("6.0"))
    course.refresh_from_db()
    assert course.hours == D("6.0")


def test_a_record_is_corrected_within_the_course(record, party_officer):
    writes.training_record_update(
        actor=party_officer, record=record, hours=D("2.5"), completed_on=date(2025, 4, 3)
    )
    record.refresh_from_db()
    assert (record.hours, record.completed_on) == (D("2.5"), date(2025, 4, 3))
    with pytest.raises(ValidationError) as exc:
        writes.training_record_update(actor=party_officer, record=record, hours=D("5"))
    assert "hours" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        writes.training_record_update(
            actor=party_officer, record=record, completed_on=date(2025, 3, 1)
        )
    assert "completed_on" in exc.value.message_dict
    record.refresh_from_db()
    assert record.hours == D("2.5")


def test_a_record_is_taken_off(record, party_officer, secretary):
    with pytest.raises(PermissionDenied):
        writes.training_record_remove(actor=secretary, record=record)
    writes.training_record_remove(actor=party_officer, record=record)
    assert not TrainingRecord.objects.exists()
    assert AuditEvent.objects.filter(action="training.record_remove").count() == 1


def test_a_secretary_may_not_correct_records(record, secretary):
    with pytest.raises(PermissionDenied):
        writes.training_record_update(actor=secretary, record=record, hours=D("1"))


# --- API and pages --------------------------------------------------------------------------------


def test_editing_api_matrix(request, course, record):
    url = f"/api/v1/trainings/{course.pk}/"
    actions = {
        "course": Call("patch", url, {"provider": "区委党校"}),
        "record": Call("patch", f"{url}records/{record.pk}/", {"hours": "3.0"}),
        "remove": Call("delete", f"{url}records/{record.pk}/"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          course  record  remove
        party_officer     200     200     204
        street_admin      200     200     204
        # they see the course and the record (branch A), do not correct them
        party_cadre       403     403     403
        secretary         403     403     403
        member            403     403     403
        # no grant: the course is a 404, as missing
        community_cadre   404     404     404
        grid_worker       404     404     404
        partner_staff     404     404     404
        anonymous         401     401     401
        """,
    )


def test_the_api_refuses_too_many_hours(course, record, api_client_for, party_officer):
    client = api_client_for(party_officer)
    response = client.patch(
        f"/api/v1/trainings/{course.pk}/records/{record.pk}/", {"hours": "9"}, format="json"
    )
    assert response.status_code == 400
    assert "hours" in response.json()
    response = client.patch(f"/api/v1/trainings/{course.pk}/", {"hours": "1"}, format="json")
    assert response.status_code == 400
    assert "hours" in response.json()


def test_editing_pages_matrix(request, course, record):
    base = f"/party/training/{course.pk}/"
    actions = {
        "course": Call("get", f"{base}edit/"),
        "record": Call("get", f"{base}records/{record.pk}/edit/"),
        "remove": Call("post", f"{base}records/{record.pk}/remove/"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          course  record  remove
        party_officer     200     200     302
        party_cadre       403     403     403
        secretary         403     403     403
        member            403     403     403
        community_cadre   404     404     404
        grid_worker       404     404     404
        anonymous         302     302     302
        """,
        perform=page_call,
    )


def test_the_officer_corrects_a_record_on_the_page(course, record, client, party_officer):
    login(client, party_officer)
    detail = client.get(f"/party/training/{course.pk}/").content.decode()
    assert f"/records/{record.pk}/edit/" in detail and f"/training/{course.pk}/edit/" in detail
    response = client.post(
        f"/party/training/{course.pk}/records/{record.pk}/edit/",
        {"hours": "3.5", "completed_on": "2025-04-01"},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.hours == D("3.5")
    response = client.post(
        f"/party/training/{course.pk}/records/{record.pk}/edit/",
        {"hours": "8", "completed_on": "2025-04-01"},
    )
    assert response.status_code == 400


def test_a_member_sees_no_editing(course, record, client, member):
    login(client, member)
    detail = client.get(f"/party/training/{course.pk}/").content.decode()
    assert "/edit/" not in detail
