"""Themed activities: who records and edits them where, who may name attendees, volunteer
hours, the yearly totals, the API and the pages (scope, field errors, constant queries).
"""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent
from services.activities import selectors, writes
from services.models import Activity, ActivityAttendance, ServiceItem
from tests.grids.factories import GridFactory, HouseholdFactory, ResidentFactory
from tests.helpers import (
    Call,
    assert_access_matrix,
    assert_constant_queries,
    login,
    page_call,
)
from tests.services.factories import ActivityFactory

Theme = Activity.Theme
Group = ServiceItem.Group


@pytest.fixture
def activity_a(community_a, partner_p, street_admin):
    """Partner P's science class in community A."""
    return ActivityFactory(community=community_a, partner=partner_p, created_by=street_admin)


@pytest.fixture
def activity_b(community_b, partner_q, street_admin):
    """Partner Q's homework help in community B."""
    return ActivityFactory(
        community=community_b,
        partner=partner_q,
        theme=Theme.HOMEWORK_HELP,
        created_by=street_admin,
    )


def record_kwargs(community, **overrides):
    values = {
        "title": "暑期科普课堂",
        "theme": Theme.SCIENCE_CLASS,
        "target_group": Group.CHILD,
        "community": community,
        "starts_at": timezone.now(),
        "team_name": "青年志愿队",
        "volunteer_count": 4,
        "volunteer_hours": Decimal("8"),
    }
    values.update(overrides)
    return values


# --- Services --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_grid_worker_records_in_their_community(grid_worker, community_a, resident_a):
    activity = writes.activity_record(
        actor=grid_worker, attendees=[resident_a], extra_attendees=5, **record_kwargs(community_a)
    )
    assert list(activity.attendees.all()) == [resident_a]
    assert activity.created_by == grid_worker
    assert AuditEvent.objects.filter(action="activity.record", object_id=str(activity.pk)).exists()
    assert AuditEvent.objects.filter(action="activity.attendees_set").count() == 1


@pytest.mark.django_db
def test_the_community_must_be_in_scope(grid_worker, community_b):
    with pytest.raises(ValidationError) as exc:
        writes.activity_record(actor=grid_worker, **record_kwargs(community_b))
    assert "community" in exc.value.message_dict
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_volunteer_hours_are_never_negative(street_admin, community_a):
    with pytest.raises(ValidationError) as exc:
        writes.activity_record(
            actor=street_admin, **record_kwargs(community_a, volunteer_hours=Decimal("-1"))
        )
    assert "volunteer_hours" in exc.value.message_dict


@pytest.mark.django_db
def test_partner_staff_record_for_their_own_team_anywhere(
    partner_staff, partner_p, partner_q, community_b
):
    activity = writes.activity_record(
        actor=partner_staff, **record_kwargs(community_b, team_name="", extra_attendees=30)
    )
    assert (activity.partner, activity.team_name) == (partner_p, partner_p.name)
    with pytest.raises(ValidationError) as exc:
        writes.activity_record(actor=partner_staff, partner=partner_q, **record_kwargs(community_b))
    assert "partner" in exc.value.message_dict


@pytest.mark.django_db
def test_partner_staff_cannot_name_residents(partner_staff, community_a, resident_a, activity_a):
    with pytest.raises(ValidationError) as exc:
        writes.activity_record(
            actor=partner_staff, attendees=[resident_a], **record_kwargs(community_a)
        )
    assert "attendees" in exc.value.message_dict
    with pytest.raises(ValidationError):
        writes.activity_attendees_set(
            actor=partner_staff, activity=activity_a, residents=[resident_a]
        )
    assert not ActivityAttendance.objects.exists()


@pytest.mark.django_db
def test_local_staff_name_only_residents_they_see(grid_worker, activity_a, resident_a, resident_b):
    with pytest.raises(ValidationError) as exc:
        writes.activity_attendees_set(
            actor=grid_worker, activity=activity_a, residents=[resident_a, resident_b]
        )
    assert "attendees" in exc.value.message_dict
    assert not ActivityAttendance.objects.exists()


@pytest.mark.django_db
def test_setting_attendees_keeps_those_the_actor_cannot_see(
    street_admin, grid_worker, activity_a, resident_a, resident_b
):
    writes.activity_attendees_set(
        actor=street_admin, activity=activity_a, residents=[resident_a, resident_b]
    )
    result = writes.activity_attendees_set(actor=grid_worker, activity=activity_a, residents=[])
    assert result == {"added": [], "removed": [resident_a.pk]}
    assert list(activity_a.attendees.all()) == [resident_b]


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["other_grid_worker", "other_partner_staff", "party_officer"])
def test_who_may_not_change(person, request, activity_a):
    with pytest.raises(PermissionDenied):
        writes.activity_update(
            actor=request.getfixturevalue(person), activity=activity_a, title="x"
        )


@pytest.mark.django_db
def test_update_changes_only_what_changed(grid_worker, activity_a, community_b):
    writes.activity_update(actor=grid_worker, activity=activity_a, title="改名", place="社区活动室")
    activity_a.refresh_from_db()
    assert (activity_a.title, activity_a.place) == ("改名", "社区活动室")
    event = AuditEvent.objects.get(action="activity.update")
    assert event.details == {"fields": ["place", "title"]}
    with pytest.raises(ValidationError) as exc:
        writes.activity_update(actor=grid_worker, activity=activity_a, community=community_b)
    assert "community" in exc.value.message_dict


@pytest.mark.django_db
def test_totals_per_theme_and_group_in_scope(
    street_admin, grid_worker, community_a, community_b, resident_a, grid_a
):
    neighbour = ResidentFactory(household=HouseholdFactory(grid=grid_a))
    science = ActivityFactory(
        community=community_a, extra_attendees=10, volunteer_hours=Decimal("6.5")
    )
    writes.activity_attendees_set(actor=street_admin, activity=science, residents=[resident_a])
    talk = ActivityFactory(
        community=community_a,
        theme=Theme.HEALTH_TALK,
        target_group=Group.ELDERLY,
        extra_attendees=2,
        volunteer_hours=Decimal("1.5"),
        volunteer_count=1,
    )
    writes.activity_attendees_set(
        actor=street_admin, activity=talk, residents=[resident_a, neighbour]
    )
    ActivityFactory(community=community_b, extra_attendees=100)  # not grid A's community
    last_year = timezone.make_aware(datetime(timezone.localdate().year - 1, 6, 1))
    ActivityFactory(community=community_a, starts_at=last_year, extra_attendees=7)

    year = timezone.localdate().year
    totals = selectors.activity_totals(actor=grid_worker, year=year)
    assert (totals["activities"], totals["attendees"]) == (2, 15)  # 3 named + 12 others
    assert (totals["named_attendees"], totals["extra_attendees"]) == (3, 12)
    assert totals["volunteer_hours"] == Decimal("8.0")
    assert totals["volunteers"] == 4
    themes = {row["code"]: (row["activities"], row["attendees"]) for row in totals["by_theme"]}
    assert themes == {Theme.SCIENCE_CLASS: (1, 11), Theme.HEALTH_TALK: (1, 4)}
    groups = {row["code"]: row["attendees"] for row in totals["by_target_group"]}
    assert groups == {Group.CHILD: 11, Group.ELDERLY: 4}
    assert selectors.activity_totals(actor=grid_worker)["activities"] == 3  # every year
    assert selectors.activity_totals(actor=street_admin, year=year)["activities"] == 3


# --- API -------------------------------------------------------------------------------------


def api_body(community):
    """The smallest valid body of POST /api/activities/ in `community`."""
    return {
        "title": "科普课堂",
        "theme": "science_class",
        "target_group": "child",
        "community": community.pk,
        "team_name": "志愿队",
        "starts_at": timezone.now().isoformat(),
    }


def api_url(activity=None):
    if activity is None:
        return reverse("activity-list")
    return reverse("activity-detail", args=[activity.pk])


@pytest.mark.django_db
def test_api_matrix(request, activity_a, activity_b, community_a):
    body = api_body(community_a)
    actions = {
        "list": Call("get", api_url()),
        "mine": Call("get", api_url(activity_a)),
        "theirs": Call("get", api_url(activity_b)),
        "create": Call("post", api_url(), body),
        "update": Call("patch", api_url(activity_a), {"title": "改名"}),
        "delete": Call("delete", api_url(activity_a)),
        "totals": Call("get", reverse("activity-totals")),
    }

    assert_access_matrix(
        request,
        actions,
        """
                           list  mine  theirs  create  update  delete  totals
        street_admin       200   200   200     201     200     405     200
        street_cadre       200   200   200     201     200     405     200
        community_cadre    200   200   404     201     200     405     200
        grid_leader        200   200   404     201     200     405     200
        grid_worker        200   200   404     201     200     405     200
        other_grid_worker  200   404   200     400     404     405     200
        partner_staff      200   200   404     201     200     405     200
        party_officer      403   404   404     403     404     405     403
        outsider           403   404   404     403     404     405     403
        anonymous          401   401   401     401     401     401     401
        """,
    )


@pytest.mark.django_db
def test_api_partner_staff_see_only_their_own(
    activity_a, activity_b, api_client_for, partner_staff, other_partner_staff
):
    def ids(user):
        return [row["id"] for row in api_client_for(user).get(api_url()).json()["results"]]

    assert ids(partner_staff) == [activity_a.pk]
    assert ids(other_partner_staff) == [activity_b.pk]


@pytest.mark.django_db
def test_api_attendees_are_scoped_ids(
    api_client_for, street_admin, grid_worker, partner_staff, activity_a, resident_a, resident_b
):
    response = api_client_for(street_admin).patch(
        api_url(activity_a), {"attendees": [resident_a.pk, resident_b.pk]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert sorted(response.json()["attendees"]) == sorted([resident_a.pk, resident_b.pk])
    worker_view = api_client_for(grid_worker).get(api_url(activity_a)).json()
    assert worker_view["attendees"] == [resident_a.pk]  # resident_b lives in grid B
    assert worker_view["named_attendees"] == 2
    partner_view = api_client_for(partner_staff).get(api_url(activity_a)).json()
    assert partner_view["attendees"] == []
    assert partner_view["total_attendees"] == 2


@pytest.mark.django_db
def test_api_bad_input_is_400_with_fields(
    api_client_for, grid_worker, partner_staff, community_a, community_b, resident_b, resident_a
):
    body = api_body(community_a)
    worker = api_client_for(grid_worker)
    cases = [
        (worker, {**body, "volunteer_hours": "-2"}, "volunteer_hours"),
        (worker, {**body, "community": community_b.pk}, "community"),
        (worker, {**body, "attendees": [resident_b.pk]}, "attendees"),
        (worker, {**body, "theme": "party"}, "theme"),
        (api_client_for(partner_staff), {**body, "attendees": [resident_a.pk]}, "attendees"),
    ]
    for client, payload, field in cases:
        response = client.post(api_url(), payload, format="json")
        assert response.status_code == 400, (field, response.content)
        assert field in response.json(), (field, response.json())
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_api_totals_and_year_filter(api_client_for, street_admin, community_a):
    this_year = timezone.localdate().year
    ActivityFactory(community=community_a, extra_attendees=3, volunteer_hours=Decimal("2.5"))
    ActivityFactory(
        community=community_a,
        starts_at=timezone.make_aware(datetime(this_year - 1, 3, 1)),
        extra_attendees=4,
    )
    client = api_client_for(street_admin)
    totals = client.get(reverse("activity-totals"), {"year": this_year}).json()
    assert (totals["activities"], totals["attendees"], totals["volunteer_hours"]) == (1, 3, "2.5")
    assert client.get(reverse("activity-totals")).json()["activities"] == 2
    assert client.get(reverse("activity-totals"), {"year": "last"}).status_code == 400
    rows = client.get(api_url(), {"year": this_year - 1}).json()["results"]
    assert len(rows) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["grid_worker", "partner_staff", "street_admin"])
def test_api_list_constant_queries(
    person, request, community_a, partner_p, grid_a, api_client_for, street_admin
):
    client = api_client_for(request.getfixturevalue(person))

    def add_rows(n):
        for _ in range(n):
            activity = ActivityFactory(community=community_a, partner=partner_p)
            ActivityAttendance.objects.create(
                activity=activity, resident=ResidentFactory(household=HouseholdFactory(grid=grid_a))
            )

    assert_constant_queries(add_rows=add_rows, fetch=lambda: client.get(api_url()))


# --- Pages -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_page_matrix(request, activity_a, activity_b):
    actions = {
        "list": Call("get", reverse("services:activity-list")),
        "mine": Call("get", reverse("services:activity-detail", args=[activity_a.pk])),
        "theirs": Call("get", reverse("services:activity-detail", args=[activity_b.pk])),
        "new": Call("get", reverse("services:activity-create")),
        "edit": Call("get", reverse("services:activity-edit", args=[activity_a.pk])),
    }

    assert_access_matrix(
        request,
        actions,
        """
                           list  mine  theirs  new  edit
        street_admin       200   200   200     200  200
        street_cadre       200   200   200     200  200
        community_cadre    200   200   404     200  200
        grid_leader        200   200   404     200  200
        grid_worker        200   200   404     200  200
        other_grid_worker  200   404   200     200  404
        partner_staff      200   200   404     200  200
        party_officer      403   404   404     403  404
        outsider           403   404   404     403  404
        anonymous          302   302   302     302  302
        """,
        perform=page_call,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["grid_worker", "partner_staff"])
def test_page_list_constant_queries(person, request, community_a, partner_p, grid_a, client):
    login(client, request.getfixturevalue(person))

    def add_rows(n):
        for _ in range(n):
            activity = ActivityFactory(community=community_a, partner=partner_p)
            ActivityAttendance.objects.create(
                activity=activity, resident=ResidentFactory(household=HouseholdFactory(grid=grid_a))
            )

    assert_constant_queries(
        add_rows=add_rows, fetch=lambda: client.get(reverse("services:activity-list"))
    )


@pytest.mark.django_db
def test_page_record_with_attendees(client, grid_worker, community_a, resident_a, resident_b):
    login(client, grid_worker)
    url = reverse("services:activity-create")
    data = {
        "title": "健康讲座",
        "theme": "health_talk",
        "target_group": "elderly",
        "community": community_a.pk,
        "team_name": "",
        "starts_at": (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "volunteer_count": "2",
        "volunteer_hours": "-1",
        "extra_attendees": "3",
        "attendees": [resident_a.pk],
    }
    bad = client.post(url, data)
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "error-volunteer_hours" in body
    assert f'value="{resident_a.pk}" id="picked-{resident_a.pk}" checked' in body  # kept
    unnamed = client.post(url, {**data, "volunteer_hours": "2"})
    assert unnamed.status_code == 400
    assert "error-team_name" in unnamed.content.decode()  # no partner: name the team
    out_of_scope = client.post(
        url,
        {**data, "volunteer_hours": "2", "team_name": "社区志愿队", "attendees": [resident_b.pk]},
    )
    assert out_of_scope.status_code == 400
    ok = client.post(url, {**data, "volunteer_hours": "2", "team_name": "社区志愿队"})
    assert ok.status_code == 302, ok.content.decode()
    activity = Activity.objects.get()
    assert list(activity.attendees.all()) == [resident_a]
    assert activity.volunteer_hours == Decimal("2")
    edit = client.post(
        reverse("services:activity-edit", args=[activity.pk]),
        {**data, "volunteer_hours": "3", "team_name": "社区志愿队", "attendees": []},
    )
    assert edit.status_code == 302
    activity.refresh_from_db()
    assert activity.volunteer_hours == Decimal("3")
    assert not activity.attendees.exists()


@pytest.mark.django_db
def test_page_partner_staff_form_has_no_picker(client, partner_staff):
    login(client, partner_staff)
    body = client.get(reverse("services:activity-create")).content.decode()
    assert "attendee-search" not in body
    assert 'name="extra_attendees"' in body


@pytest.mark.django_db
def test_attendee_search_is_scoped(
    client, grid_worker, partner_staff, resident_a, resident_b, grid_b
):
    twin = ResidentFactory(name=resident_a.name, household=HouseholdFactory(grid=grid_b))
    login(client, grid_worker)
    url = reverse("services:activity-attendee-search")
    body = client.get(url, {"q": resident_a.name[:1]}).content.decode()
    assert f'value="{resident_a.pk}"' in body
    assert f'value="{twin.pk}"' not in body
    assert f'value="{resident_b.pk}"' not in body
    login(client, partner_staff)
    body = client.get(url, {"q": resident_a.name[:1]}).content.decode()
    assert 'data-testid="candidate"' not in body


@pytest.mark.django_db
def test_page_list_shows_the_years_totals(client, street_admin, community_a, grid_a):
    ActivityFactory(community=community_a, extra_attendees=12)
    other = GridFactory()
    ActivityFactory(community=other.community, extra_attendees=8)
    login(client, street_admin)
    body = client.get(reverse("services:activity-list")).content.decode()
    assert 'data-testid="total-activities">2<' in body
    assert 'data-testid="total-attendees">20<' in body
