"""Activities with enrolment before the event (issue 12): staff enrol residents they may see,
up to the places (capacity, counted on the locked row), until the activity starts; partner
staff enrol nobody (they do not see the registry); attendance afterwards starts from the
enrolment list."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from services.activities import writes
from services.activities.models import ActivityEnrolment
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.helpers import login
from tests.services.factories import ActivityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def upcoming(community_a, street_admin):
    """A science class in community A next week, two places."""
    return ActivityFactory(
        community=community_a,
        created_by=street_admin,
        starts_at=timezone.now() + timedelta(days=7),
        capacity=2,
    )


@pytest.fixture
def children(grid_a):
    return [ResidentFactory(household=HouseholdFactory(grid=grid_a)) for _ in range(3)]


def test_staff_enrol_up_to_the_places(upcoming, children, grid_worker):
    assert writes.activity_enrol(actor=grid_worker, activity=upcoming, residents=children[:2])
    with pytest.raises(ValidationError) as full:
        writes.activity_enrol(actor=grid_worker, activity=upcoming, residents=children[2:])
    assert "residents" in full.value.message_dict
    assert ActivityEnrolment.objects.filter(activity=upcoming).count() == 2
    # Enrolling someone already enrolled takes no place.
    assert writes.activity_enrol(actor=grid_worker, activity=upcoming, residents=children[:1]) == []
    # A withdrawal frees a place.
    writes.activity_enrolment_withdraw(actor=grid_worker, activity=upcoming, resident=children[0])
    writes.activity_enrol(actor=grid_worker, activity=upcoming, residents=children[2:])
    assert set(
        ActivityEnrolment.objects.filter(activity=upcoming).values_list("resident_id", flat=True)
    ) == {children[1].pk, children[2].pk}


def test_enrolment_closes_when_the_activity_starts(upcoming, children, grid_worker):
    upcoming.starts_at = timezone.now() - timedelta(hours=1)
    upcoming.save()
    with pytest.raises(ValidationError):
        writes.activity_enrol(actor=grid_worker, activity=upcoming, residents=children[:1])


def test_residents_outside_the_scope_and_partner_staff_are_refused(
    upcoming, resident_b, grid_worker, partner_staff, children
):
    with pytest.raises(ValidationError):
        writes.activity_enrol(actor=grid_worker, activity=upcoming, residents=[resident_b])
    with pytest.raises(PermissionDenied):
        writes.activity_enrol(actor=partner_staff, activity=upcoming, residents=children[:1])


def test_the_detail_page_enrols_and_the_api_counts(
    upcoming, children, grid_worker, client, api_client_for
):
    login(client, grid_worker)
    page = client.get(reverse("services:activity-detail", args=[upcoming.pk])).content.decode()
    assert 'data-testid="enrol-form"' in page
    response = client.post(
        reverse("services:activity-enrol", args=[upcoming.pk]),
        {"attendees": [children[0].pk, children[1].pk]},
    )
    assert response.status_code == 302
    page = client.get(reverse("services:activity-detail", args=[upcoming.pk])).content.decode()
    assert page.count('data-testid="enrolled-row"') == 2
    body = api_client_for(grid_worker).get(f"/api/v1/activities/{upcoming.pk}/").json()
    assert (body["capacity"], body["enrolled"]) == (2, 2)
    refused = api_client_for(grid_worker).post(
        f"/api/v1/activities/{upcoming.pk}/enrol/", {"residents": [children[2].pk]}, format="json"
    )
    assert refused.status_code == 400
    assert "residents" in refused.json()


def test_attendance_after_the_event_starts_from_the_enrolment_list(
    upcoming, children, grid_worker, client
):
    """Recording attendance is unticking who did not come: the edit form of an activity with no
    attendance yet offers the enrolled residents ticked; once attendance is saved, it shows that."""
    writes.activity_enrol(actor=grid_worker, activity=upcoming, residents=children[:2])
    upcoming.starts_at = timezone.now() - timedelta(hours=2)
    upcoming.save()
    login(client, grid_worker)
    edit = reverse("services:activity-edit", args=[upcoming.pk])

    page = client.get(edit).content.decode()
    for child in children[:2]:
        assert f'id="picked-{child.pk}"' in page
    assert f'id="picked-{children[2].pk}"' not in page

    writes.activity_attendees_set(actor=grid_worker, activity=upcoming, residents=children[1:2])
    page = client.get(edit).content.decode()
    assert f'id="picked-{children[1].pk}"' in page
    assert f'id="picked-{children[0].pk}"' not in page
