"""The training gates (partybuilding/training/policy.py), once each with the named people."""

from decimal import Decimal as D

import pytest

from partybuilding.training import policy
from partybuilding.training.models import TrainingThreshold
from portal.policy import allowed
from tests.partybuilding.factories import TrainingCourseFactory, TrainingThresholdFactory


@pytest.fixture(autouse=True)
def _thresholds(db):
    """The defaults of migration 0002 (a transactional test's flush elsewhere may remove them)."""
    TrainingThresholdFactory(position="member", yearly_hours=D("32"))
    TrainingThresholdFactory(position="secretary", yearly_hours=D("56"))


def test_list_and_report(party_officer, party_cadre, secretary, member, grid_worker, partner_staff):
    assert allowed(policy.access_training_list, member)
    assert not allowed(policy.access_training_list, grid_worker)
    for person in (party_officer, party_cadre, secretary, member):
        assert allowed(policy.access_training_report_view, person)
        assert allowed(policy.access_training_report_export, person)
    assert not allowed(policy.access_training_report_view, grid_worker)
    assert not allowed(policy.access_training_report_export, partner_staff)


def test_courses_and_records(party_officer, street_admin, party_cadre, secretary, street):
    course = TrainingCourseFactory()
    assert allowed(policy.access_training_course_create, None)
    assert allowed(policy.access_training_course_create, party_officer)
    assert allowed(policy.access_training_course_create, street_admin)
    assert not allowed(policy.access_training_course_create, secretary)
    assert allowed(policy.access_training_records_add, party_officer, course)
    assert not allowed(policy.access_training_records_add, party_cadre, course)
    assert not allowed(policy.access_training_records_add, secretary, course)


def test_thresholds_and_the_year_end_notice(party_officer, secretary, street):
    threshold = TrainingThreshold.objects.get(position="member")
    assert allowed(policy.access_training_threshold_change, party_officer, threshold)
    assert not allowed(policy.access_training_threshold_change, secretary, threshold)
    assert allowed(policy.access_training_shortfalls_notify, None)  # the beat task
    assert allowed(policy.access_training_shortfalls_notify, party_officer)
    assert not allowed(policy.access_training_shortfalls_notify, secretary)
