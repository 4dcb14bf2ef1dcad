"""Handing a grid over: history kept, open work moved, grid access moved — in one step."""

import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from grids import writes
from grids.cadence import residents_due
from grids.models import GridAssignment, Resident, ResidentTag, Visit, VisitNeed
from portal.models import AuditEvent
from portal.roles import Role
from tests.helpers import Call, assert_access_matrix, login, page_call
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_worker(db):
    return UserFactory(username="t_worker3", role=Role.GRID_WORKER, full_name="网格员丙")


def _needs(actor, resident, categories):
    visit = writes.visit_record(
        findings="身体尚好，无异常",
        actor=actor,
        resident=resident,
        needs=[{"category": category} for category in categories],
    )
    return list(visit.needs.order_by("pk"))


def _hand_over(actor, grid, from_person, to_person, **kwargs):
    return writes.grid_handover(
        actor=actor,
        grid=grid,
        from_person=from_person,
        to_person=to_person,
        on_date=kwargs.pop("on_date", timezone.localdate()),
        **kwargs,
    )


def test_handover_keeps_the_history(street_admin, grid_a, grid_worker, new_worker):
    today = timezone.localdate()
    result = _hand_over(street_admin, grid_a, grid_worker, new_worker)

    old = GridAssignment.objects.get(grid=grid_a, person=grid_worker)
    new = GridAssignment.objects.get(grid=grid_a, person=new_worker)
    assert (old.start_date, old.end_date) == (date(2025, 1, 1), today - timedelta(days=1))
    assert (new.post, new.start_date, new.end_date) == ("full_time", today, None)
    assert result.ended == [old] and result.started == [new]
    # On any day exactly one of them holds the post.
    current = GridAssignment.objects.filter(grid=grid_a, post="full_time").current(on=today)
    assert list(current) == [new]


def test_handover_moves_open_needs_and_leaves_closed_ones(
    street_admin, grid_a, grid_worker, other_grid_worker, new_worker, resident_a, resident_b
):
    meal, cleaning, doctor, repair = _needs(
        grid_worker, resident_a, ["meal", "cleaning", "family_doctor", "repair"]
    )
    writes.visit_need_set_status(actor=grid_worker, need=cleaning, status="referred")
    writes.visit_need_set_status(actor=grid_worker, need=doctor, status="resolved")
    writes.visit_need_set_status(actor=grid_worker, need=repair, status="closed")
    # An open need of grid B that grid A's worker follows up stays with them.
    elsewhere = VisitNeed.objects.create(
        visit=Visit.objects.create(
            household=resident_b.household, resident=resident_b, visitor=other_grid_worker
        ),
        resident=resident_b,
        category="meal",
        assignee=grid_worker,
    )

    result = _hand_over(street_admin, grid_a, grid_worker, new_worker)

    assignees = dict(VisitNeed.objects.values_list("pk", "assignee"))
    assert assignees[meal.pk] == assignees[cleaning.pk] == new_worker.pk
    assert assignees[doctor.pk] == assignees[repair.pk] == grid_worker.pk
    assert assignees[elsewhere.pk] == grid_worker.pk
    assert result.needs_moved == 2
    event = AuditEvent.objects.get(action="grid.handover")
    assert event.details["needs_moved"] == 2
    assert (event.details["from"], event.details["to"]) == ("t_worker", "t_worker3")
    assert event.actor == street_admin


def test_handover_moves_the_grid_and_its_due_visits_to_the_new_worker(
    street_admin, grid_a, grid_worker, new_worker, resident_a, living_alone
):
    ResidentTag.objects.create(resident=resident_a, tag=living_alone)
    assert list(residents_due(Resident.objects.visible_to(grid_worker))) == [resident_a]
    assert not Resident.objects.visible_to(new_worker).exists()

    _hand_over(street_admin, grid_a, grid_worker, new_worker)

    assert not Resident.objects.visible_to(grid_worker).exists()
    assert not residents_due(Resident.objects.visible_to(grid_worker)).exists()
    assert list(Resident.objects.visible_to(new_worker)) == [resident_a]
    assert list(residents_due(Resident.objects.visible_to(new_worker))) == [resident_a]


def test_handover_of_one_post_leaves_the_others(
    street_admin, grid_a, grid_leader, new_worker, resident_a
):
    writes.grid_assign(
        actor=None, person=grid_leader, grid=grid_a, post="part_time", start_date=date(2025, 2, 1)
    )
    _hand_over(street_admin, grid_a, grid_leader, new_worker, post="part_time")
    open_posts = GridAssignment.objects.filter(grid=grid_a, end_date__isnull=True)
    assert set(open_posts.values_list("person__username", "post")) == {
        ("t_leader", "leader"),
        ("t_worker3", "part_time"),
    }
    # Still the leader: the grid stays in the leader's scope; the new worker has it too.
    assert list(Resident.objects.visible_to(grid_leader)) == [resident_a]
    assert list(Resident.objects.visible_to(new_worker)) == [resident_a]


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("to_self", "to_person"),
        ("to_partner", "to_person"),
        ("no_post", "from_person"),
        ("future", "on_date"),
        ("before_start", "on_date"),
    ],
)
def test_bad_handover_changes_nothing(
    street_admin, grid_a, grid_worker, new_worker, partner_staff, resident_a, case, field
):
    need = _needs(grid_worker, resident_a, ["meal"])[0]
    today = timezone.localdate()
    kwargs = {
        "to_self": {"to_person": grid_worker},
        "to_partner": {"to_person": partner_staff},
        "no_post": {"from_person": new_worker, "to_person": grid_worker},
        "future": {"on_date": today + timedelta(days=3)},
        "before_start": {"on_date": date(2025, 1, 1)},
    }[case]
    before = list(GridAssignment.objects.order_by("pk").values())
    with pytest.raises(ValidationError) as caught:
        writes.grid_handover(
            actor=street_admin,
            grid=grid_a,
            **({"from_person": grid_worker, "to_person": new_worker, "on_date": today} | kwargs),
        )
    assert field in caught.value.message_dict
    assert list(GridAssignment.objects.order_by("pk").values()) == before
    assert VisitNeed.objects.get(pk=need.pk).assignee == grid_worker
    assert Resident.objects.visible_to(grid_worker).exists()
    assert not AuditEvent.objects.filter(action="grid.handover").exists()


# --- The staffing page -------------------------------------------------------------------------


def test_handover_page_matrix(request, grid_worker, new_worker, grid_a):
    actions = {
        "page": Call("get", reverse("grids:grid-staffing", args=[grid_a.pk])),
        "handover": Call(
            "post",
            reverse("grids:grid-handover", args=[grid_a.pk]),
            {
                "from_person": grid_worker.pk,
                "to_person": new_worker.pk,
                "on_date": timezone.localdate().isoformat(),
            },
        ),
    }
    assert_access_matrix(
        request,
        actions,
        """
                               page  handover
        street_admin           200   302
        street_cadre           200   302
        community_cadre        200   302
        other_community_cadre  404   404
        grid_leader            200   403
        grid_worker            200   403
        other_grid_worker      404   404
        partner_staff          404   404
        party_officer          404   404
        outsider               404   404
        anonymous              302   302
        """,
        perform=page_call,
    )


def test_staffing_page_hands_over_and_shows_the_history(
    client, community_cadre, grid_a, grid_worker, new_worker, resident_a
):
    _needs(grid_worker, resident_a, ["meal"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    login(client, community_cadre)
    staffing = reverse("grids:grid-staffing", args=[grid_a.pk])
    form = client.get(staffing).content.decode()
    assert 'action="{}"'.format(reverse("grids:grid-handover", args=[grid_a.pk])) in form
    assert 'type="date"' in form

    response = client.post(
        reverse("grids:grid-handover", args=[grid_a.pk]),
        {
            "from_person": grid_worker.pk,
            "to_person": new_worker.pk,
            "on_date": timezone.localdate().isoformat(),
        },
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain == [(staffing, 302)]
    assert "1 open need was handed over" in page
    assert _people_in(page, "current-row") == [new_worker.get_full_name()]
    assert _people_in(page, "past-row") == [grid_worker.get_full_name()]


def _people_in(page, testid):
    return re.findall(rf'data-testid="{testid}"><span>(.*?)</span>', page)


def test_staffing_page_refuses_a_handover_to_oneself(client, street_admin, grid_a, grid_worker):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    login(client, street_admin)
    response = client.post(
        reverse("grids:grid-handover", args=[grid_a.pk]),
        {
            "from_person": grid_worker.pk,
            "to_person": grid_worker.pk,
            "on_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400
    assert "Choose someone other than the person handing over." in response.content.decode()
    assert not GridAssignment.objects.filter(end_date__isnull=False).exists()


def test_grid_workers_see_the_staffing_page_without_the_handover_form(client, grid_worker, grid_a):
    login(client, grid_worker)
    page = client.get(reverse("grids:grid-staffing", args=[grid_a.pk])).content.decode()
    assert grid_worker.get_full_name() in page
    assert reverse("grids:grid-handover", args=[grid_a.pk]) not in page
