"""Known gaps closed (issue 11, item 6): a share is for viewing unless change is granted; an
assignment ended ahead of time keeps access until its last day; a duplicate household number
says nothing of the household that holds it."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation

from grids import policy, writes
from grids.models import GridAssignment, Household, Resident, ResidentTag
from grids.tasks.staffing import grid_assignments_expire as expire_task
from portal.models import AuditEvent
from portal.policy import allowed
from portal.querysets import jurisdiction_holds
from tests.grids.factories import HouseholdFactory, TagDefFactory
from tests.helpers import login

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


# --- A share is for viewing; changing is granted explicitly -----------------------------------


def test_a_shared_case_is_seen_but_not_changed(api_client_for, client, grid_worker, resident_b):
    writes.resident_share(actor=None, resident=resident_b, person=grid_worker)
    assert Resident.objects.visible_to(grid_worker).filter(pk=resident_b.pk).exists()
    assert not Resident.objects.visible_to(grid_worker, "change").filter(pk=resident_b.pk).exists()
    assert not allowed(policy.access_resident_change, grid_worker, resident_b)
    with pytest.raises(PermissionDenied):
        writes.resident_update(actor=grid_worker, resident=resident_b, ethnicity="畲族")

    api = api_client_for(grid_worker)
    url = reverse("resident-detail", args=[resident_b.pk])
    assert api.get(url).status_code == 200
    assert api.patch(url, {"ethnicity": "畲族"}, format="json").status_code in (403, 404)
    login(client, grid_worker)
    assert client.get(reverse("grids:resident-detail", args=[resident_b.pk])).status_code == 200
    assert client.get(reverse("grids:resident-edit", args=[resident_b.pk])).status_code in (
        403,
        404,
    )
    resident_b.refresh_from_db()
    assert resident_b.ethnicity == "汉族"


def test_a_view_share_does_not_let_tags_be_added_or_removed(grid_worker, resident_b):
    tag = TagDefFactory(code="t_shared")
    held = ResidentTag.objects.create(resident=resident_b, tag=tag)
    writes.resident_share(actor=None, resident=resident_b, person=grid_worker)
    assert not allowed(policy.access_resident_tag_add, grid_worker, resident_b)
    assert not allowed(policy.access_resident_tag_remove, grid_worker, held)
    writes.resident_share(actor=None, resident=resident_b, person=grid_worker, change=True)
    assert allowed(policy.access_resident_tag_add, grid_worker, resident_b)
    assert allowed(policy.access_resident_tag_remove, grid_worker, held)


def test_a_share_with_change_lets_the_case_be_corrected(grid_worker, resident_b):
    writes.resident_share(actor=None, resident=resident_b, person=grid_worker, change=True)
    assert jurisdiction_holds(user=grid_worker, perm="grids.change_resident", obj=resident_b)
    writes.resident_update(actor=grid_worker, resident=resident_b, ethnicity="畲族")
    resident_b.refresh_from_db()
    assert resident_b.ethnicity == "畲族"
    # Changing is not deleting: the grid worker's role may not delete anyway, nor may the share.
    assert not allowed(policy.access_resident_delete, grid_worker, resident_b)


def test_the_own_grid_is_changed_as_before(grid_worker, resident_a):
    assert allowed(policy.access_resident_change, grid_worker, resident_a)
    assert Resident.objects.visible_to(grid_worker, "change").filter(pk=resident_a.pk).exists()


# --- An assignment ended ahead of time keeps its access until its last day -------------------


def _assignment(person, grid):
    return GridAssignment.objects.get(person=person, grid=grid, end_date__isnull=True)


def test_an_end_tomorrow_keeps_access_today_and_the_daily_task_takes_it_after(
    api_client_for, street_admin, grid_worker, grid_a, resident_a
):
    assignment = _assignment(grid_worker, grid_a)
    writes.grid_assignment_end(
        actor=street_admin, assignment=assignment, end_date=today() + timedelta(days=1)
    )
    url = reverse("resident-detail", args=[resident_a.pk])
    assert api_client_for(grid_worker).get(url).status_code == 200

    # Today and on its last day, the daily task leaves it alone.
    assert writes.grid_assignments_expire(actor=None, today=today()) == {"revoked": 0}
    assert writes.grid_assignments_expire(actor=None, today=today() + timedelta(days=1)) == {
        "revoked": 0
    }
    assert api_client_for(grid_worker).get(url).status_code == 200
    # The day after: gone, once (a second run revokes nothing and audits nothing).
    after = today() + timedelta(days=2)
    assert writes.grid_assignments_expire(actor=None, today=after) == {"revoked": 1}
    assert writes.grid_assignments_expire(actor=None, today=after) == {"revoked": 0}
    assert AuditEvent.objects.filter(action="revoke", object_id=str(grid_a.pk)).count() == 1
    assert api_client_for(grid_worker).get(url).status_code == 404


def test_an_end_yesterday_takes_access_at_once(
    api_client_for, street_admin, grid_worker, grid_a, resident_a
):
    writes.grid_assignment_end(
        actor=street_admin,
        assignment=_assignment(grid_worker, grid_a),
        end_date=today() - timedelta(days=1),
    )
    url = reverse("resident-detail", args=[resident_a.pk])
    assert api_client_for(grid_worker).get(url).status_code == 404


def test_another_running_post_in_the_grid_keeps_access(street_admin, grid_worker, grid_a):
    writes.grid_assign(
        actor=None,
        person=grid_worker,
        grid=grid_a,
        post=GridAssignment.Post.PART_TIME,
        start_date=today() - timedelta(days=10),
    )
    ended = GridAssignment.objects.get(person=grid_worker, post=GridAssignment.Post.FULL_TIME)
    writes.grid_assignment_end(
        actor=street_admin, assignment=ended, end_date=today() - timedelta(days=1)
    )
    assert jurisdiction_holds(user=grid_worker, perm="grids.work_in_grid", obj=grid_a)


def test_the_daily_task_runs_as_the_system(street_admin, grid_worker, grid_a):
    GridAssignment.objects.filter(person=grid_worker).update(end_date=today() - timedelta(days=1))
    assert expire_task.apply().get() == {"revoked": 1}
    assert not jurisdiction_holds(user=grid_worker, perm="grids.work_in_grid", obj=grid_a)
    with pytest.raises(PermissionDenied):
        writes.grid_assignments_expire(actor=grid_worker)
    writes.grid_assignments_expire(actor=street_admin)


def test_an_assignment_cannot_end_before_it_starts(street_admin, grid_worker, grid_a):
    from django.core.exceptions import ValidationError

    assignment = _assignment(grid_worker, grid_a)
    with pytest.raises(ValidationError) as exc:
        writes.grid_assignment_end(
            actor=street_admin,
            assignment=assignment,
            end_date=assignment.start_date - timedelta(days=1),
        )
    assert "end_date" in exc.value.message_dict
    assert jurisdiction_holds(user=grid_worker, perm="grids.work_in_grid", obj=grid_a)


# --- A duplicate household number says nothing of where it is --------------------------------

GENERIC = "This household number cannot be used. Check it, or ask the street office."


def test_a_number_taken_in_another_grid_reads_like_one_taken_in_ones_own(
    api_client_for, english, grid_worker, grid_a, resident_a, resident_b
):
    elsewhere = resident_b.household  # grid B: the worker cannot see it
    mine = HouseholdFactory(grid=grid_a, number="MINE-0001")
    api = api_client_for(grid_worker)
    login(english, grid_worker)
    answers = []
    for number in (elsewhere.number, mine.number):
        with translation.override("en"):
            response = api.post(
                reverse("household-list"),
                {"number": number, "grid": grid_a.pk},
                format="json",
                HTTP_ACCEPT_LANGUAGE="en",
            )
        assert response.status_code == 400
        body = response.json()
        assert body == {"number": [GENERIC]}
        page = english.post(
            reverse("grids:household-create"),
            {"number": number, "kind": "registered", "grid": grid_a.pk},
        )
        assert page.status_code == 400
        assert page.context["form"].errors["number"] == [GENERIC]
        text = page.content.decode()
        assert elsewhere.grid.name not in text and "already exists" not in text
        answers.append((body, page.context["form"].errors["number"]))
    assert answers[0] == answers[1]
    assert Household.objects.filter(grid=grid_a).count() == 2  # resident_a's and MINE-0001
