"""Visits: filing on a phone, the due list, needs, scope on every surface, constant queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grids.models import Resident, ResidentTag, Visit, VisitNeed
from grids.writes import visit_record
from portal.models import AuditEvent
from tests.grids.factories import ResidentFactory
from tests.helpers import Call, assert_access_matrix, assert_constant_queries, login, page_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def due_a(resident_a, living_alone):
    """resident_a, on the weekly cadence and never visited: overdue."""
    ResidentTag.objects.create(resident=resident_a, tag=living_alone)
    Resident.objects.filter(pk=resident_a.pk).update(created_at=timezone.now() - timedelta(days=10))
    return resident_a


@pytest.fixture
def due_b(resident_b, living_alone):
    ResidentTag.objects.create(resident=resident_b, tag=living_alone)
    return resident_b


def _form(**extra):
    return {
        "mode": "home",
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "findings": "身体尚可，独居，冰箱里食物不多",
        "risk_flags": ["living"],
        "major_event": "",
        "needs-TOTAL_FORMS": "2",
        "needs-INITIAL_FORMS": "0",
        "needs-MIN_NUM_FORMS": "0",
        "needs-MAX_NUM_FORMS": "5",
        "needs-0-category": "meal",
        "needs-0-description": "希望每天送午餐",
        "needs-1-category": "",
        "needs-1-description": "",
        **extra,
    }


def test_filing_a_visit_takes_the_resident_off_the_due_list(client, grid_worker, due_a):
    login(client, grid_worker)
    due = client.get(reverse("grids:visits-due")).content.decode()
    assert f'data-resident="{due_a.pk}"' in due

    response = client.post(
        f"{reverse('grids:visit-create')}?resident={due_a.pk}", _form(resident=due_a.pk)
    )
    assert response.status_code == 302

    visit = Visit.objects.get()
    assert (visit.resident, visit.household, visit.visitor) == (due_a, due_a.household, grid_worker)
    assert visit.risk_flags == ["living"]
    need = VisitNeed.objects.get()
    assert (need.category, need.assignee, need.resident, need.status) == (
        "meal",
        grid_worker,
        due_a,
        "open",
    )
    assert AuditEvent.objects.filter(action="visit.create", object_id=str(visit.pk)).exists()
    assert (
        f'data-resident="{due_a.pk}"'
        not in client.get(reverse("grids:visits-due")).content.decode()
    )


def test_a_grid_worker_cannot_visit_another_grids_resident(client, other_grid_worker, due_a):
    login(client, other_grid_worker)
    url = f"{reverse('grids:visit-create')}?resident={due_a.pk}"
    assert client.get(url).status_code == 404
    assert client.post(url, _form(resident=due_a.pk)).status_code == 404
    assert not Visit.objects.exists()
    assert not VisitNeed.objects.exists()


def test_the_service_refuses_out_of_scope_subjects_too(other_grid_worker, due_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        visit_record(
            findings="身体尚好，无异常", actor=other_grid_worker, resident=due_a, mode="home"
        )
    assert not Visit.objects.exists()


def test_bad_input_is_explained_and_nothing_is_written(client, grid_worker, due_a):
    login(client, grid_worker)
    future = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"{reverse('grids:visit-create')}?resident={due_a.pk}",
        _form(resident=due_a.pk, visited_at=future, **{"needs-1-description": "没有选类别"}),
    )
    assert response.status_code == 400
    assert not Visit.objects.exists()
    errors = response.context["form"].errors
    assert "visited_at" in errors
    assert "category" in response.context["needs"].forms[1].errors


def test_a_need_for_a_person_outside_the_household_is_refused_whole(grid_worker, due_a, due_b):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        visit_record(
            findings="身体尚好，无异常",
            actor=grid_worker,
            resident=due_a,
            needs=[{"category": "meal", "resident": due_b}],
        )
    assert not Visit.objects.exists()  # the visit itself rolled back with the bad need


def test_due_list_is_most_urgent_first(client, grid_worker, grid_a, living_alone):
    residents = []
    for days_ago in (5, 20, 10):  # due in 2 days, overdue by 13, overdue by 3
        resident = ResidentFactory(household__grid=grid_a)
        ResidentTag.objects.create(resident=resident, tag=living_alone)
        Visit.objects.create(
            household=resident.household,
            resident=resident,
            visitor=grid_worker,
            visited_at=timezone.now() - timedelta(days=days_ago),
        )
        residents.append(resident)
    login(client, grid_worker)
    page = client.get(reverse("grids:visits-due"))
    order = [row["resident"].pk for row in page.context["rows"]]
    assert order == [residents[1].pk, residents[2].pk, residents[0].pk]
    assert [row["overdue_days"] for row in page.context["rows"]] == [13, 3, 0]


def test_visit_pages_matrix(request, due_a, grid_worker):
    visit = visit_record(
        findings="身体尚好，无异常", actor=grid_worker, resident=due_a, mode="phone"
    )
    actions = {
        "due": Call("get", reverse("grids:visits-due")),
        "list": Call("get", reverse("grids:visit-list")),
        "detail": Call("get", reverse("grids:visit-detail", args=[visit.pk])),
        "form": Call("get", f"{reverse('grids:visit-create')}?resident={due_a.pk}"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           due  list  detail  form
        street_admin       200  200   200     200
        community_cadre    200  200   200     200
        grid_leader        200  200   200     200
        grid_worker        200  200   200     200
        other_grid_worker  200  200   404     404
        partner_staff      403  403   404     404
        outsider           403  403   404     404
        anonymous          302  302   302     302
        """,
        perform=page_call,
    )


def test_visit_api_matrix(request, due_a, grid_worker):
    visit = visit_record(
        findings="身体尚好，无异常", actor=grid_worker, resident=due_a, mode="phone"
    )
    detail = reverse("visit-detail", args=[visit.pk])
    body = {
        "resident": due_a.pk,
        "mode": "phone",
        "findings": "电话联系，身体尚好",
        "needs": [{"category": "cleaning"}],
    }
    actions = {
        "list": Call("get", reverse("visit-list")),
        "due": Call("get", reverse("visit-due")),
        "retrieve": Call("get", detail),
        "create": Call("post", reverse("visit-list"), body),
        "update": Call("patch", detail, {"findings": "改"}),
        "delete": Call("delete", detail),
    }
    assert_access_matrix(
        request,
        actions,
        """
                           list  due  retrieve  create  update  delete
        street_admin       200   200  200       201     405     405
        community_cadre    200   200  200       201     405     405
        grid_leader        200   200  200       201     405     405
        grid_worker        200   200  200       201     405     405
        other_grid_worker  200   200  404       400     405     405
        partner_staff      403   403  404       403     405     405
        outsider           403   403  404       403     405     405
        anonymous          401   401  401       401     401     401
        """,
    )


def test_api_lists_and_due_hold_only_the_scope(
    api_client_for, grid_worker, other_grid_worker, due_a, due_b
):
    visit_record(findings="身体尚好，无异常", actor=other_grid_worker, resident=due_b, mode="phone")
    client = api_client_for(grid_worker)
    assert client.get(reverse("visit-list")).json()["count"] == 0
    due_ids = [row["id"] for row in client.get(reverse("visit-due")).json()["results"]]
    assert due_ids == [due_a.pk]


def test_api_filing_with_needs(api_client_for, grid_worker, due_a):
    response = api_client_for(grid_worker).post(
        reverse("visit-list"),
        {
            "resident": due_a.pk,
            "mode": "video",
            "findings": "视频通话，血压偏高",
            "risk_flags": ["health"],
            "needs": [{"category": "medical", "description": "血压高"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["needs"][0]["category"] == "medical"
    assert VisitNeed.objects.get().assignee == grid_worker


def test_api_bad_flags_are_field_errors(api_client_for, grid_worker, due_a):
    response = api_client_for(grid_worker).post(
        reverse("visit-list"), {"resident": due_a.pk, "risk_flags": ["ufo"]}, format="json"
    )
    assert response.status_code == 400
    assert "risk_flags" in response.json()
    assert not Visit.objects.exists()


def test_due_page_and_lists_use_constant_queries(
    client, api_client_for, grid_worker, grid_a, living_alone
):
    login(client, grid_worker)
    api = api_client_for(grid_worker)

    def add(n):
        for _ in range(n):
            resident = ResidentFactory(household__grid=grid_a)
            ResidentTag.objects.create(resident=resident, tag=living_alone)
            visit_record(
                findings="身体尚好，无异常",
                actor=grid_worker,
                resident=resident,
                needs=[{"category": "meal"}],
                visited_at=timezone.now() - timedelta(days=8),
            )

    # Each fetch is measured after 1 and after 20 more rows (the helper adds rows cumulatively).
    # Pages, 5: the user; the scope's resolution (one query per request); the count; the page — due
    # residents with their cadence as columns / visits with household, grid, visitor and
    # resident in one join; the bell (the role answers the menu's permissions; the session:
    # from Redis, saved at most once a minute).
    # The due page has 2 more: the tags setting the page's cadences, the tag filter's choices.
    assert_constant_queries(
        add_rows=add, fetch=lambda: client.get(reverse("grids:visits-due")), expected=7
    )
    assert_constant_queries(
        add_rows=add, fetch=lambda: client.get(reverse("grids:visit-list")), expected=5
    )
    # API visits, 5: the scope's resolution; the count; the page in one join; the needs
    # (prefetch); the residents the needs name. API due, 4: the scope's resolution; the count;
    # the page; the tags setting the page's cadences.
    assert_constant_queries(add_rows=add, fetch=lambda: api.get(reverse("visit-list")), expected=5)
    assert_constant_queries(add_rows=add, fetch=lambda: api.get(reverse("visit-due")), expected=4)
