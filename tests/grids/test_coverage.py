"""全覆盖: every exception kind appears and goes away when fixed; scope; constant queries; map."""

import re
from datetime import date, timedelta
from itertools import count

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grids import coverage
from grids.cadence import residents_overdue
from grids.models import (
    Building,
    Dwelling,
    Grid,
    GridAssignment,
    Resident,
    ResidentTag,
    Visit,
)
from grids.writes import grid_assign, grid_assignment_end
from tests.grids.factories import GridFactory, HouseholdFactory, RegionFactory, ResidentFactory
from tests.helpers import Call, assert_access_matrix, assert_constant_queries, login, page_call
from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
_names = count(1)


def _building(community, grid=None, **extra):
    n = next(_names)
    return Building.objects.create(
        community=community, grid=grid, name=f"{n}幢", address=f"江滨路{n}号", **extra
    )


def _household(grid, *, community=None, building_grid=None, dwelling=True):
    """A household in `grid` (or in none), in a dwelling of a building of `community`.

    The building lies in `building_grid` (default: the household's own grid).
    """
    home = None
    if dwelling:
        building = _building(community or grid.community, building_grid or grid)
        home = Dwelling.objects.create(building=building, room=str(next(_names)))
    return HouseholdFactory(grid=grid, dwelling=home)


def _square(lon, lat, size=0.002):
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _overdue_resident(grid, tag):
    """A tagged resident never visited: due since registration, so overdue now (grids.cadence)."""
    resident = ResidentFactory(
        household=HouseholdFactory(grid=grid),
        created_at=timezone.now() - timedelta(days=3),
    )
    ResidentTag.objects.create(resident=resident, tag=tag)
    return resident


def _row(actor, community):
    summary = coverage.coverage_summary(actor=actor)
    return next(row for row in summary.rows if row.community == community)


def _listed(actor, community, kind):
    return list(coverage.coverage_exceptions(actor=actor, community=community, kind=kind))


@pytest.fixture
def staffed(grid_worker, other_grid_worker):
    """Both grids of the street staffed with a full-time grid worker."""
    return grid_worker, other_grid_worker


# --- Each exception appears, and goes away when fixed -------------------------------------


def test_a_staffed_street_without_gaps_has_full_coverage(
    staffed, street_admin, grid_a, grid_b, resident_a, resident_b
):
    _building(grid_a.community, grid_a)
    _building(grid_b.community, grid_b)

    summary = coverage.coverage_summary(actor=street_admin)

    assert summary.covered is True
    assert [row.exceptions for row in summary.rows] == [0, 0]
    response = login(Client(), street_admin).get(reverse("grids:coverage"))
    assert 'data-covered="yes"' in response.content.decode()


def test_a_building_without_a_base_grid_is_listed_until_placed_in_one(
    staffed, community_cadre, community_a, grid_a
):
    dedicated = GridFactory(community=community_a, kind=Grid.Kind.DEDICATED)
    redrawn = GridFactory(community=community_a, valid_to=TODAY - timedelta(days=1))
    loose = _building(community_a)
    in_school = _building(community_a, dedicated)
    in_old_grid = _building(community_a, redrawn)
    _building(community_a, grid_a)

    assert _row(community_cadre, community_a).buildings_outside == 3
    assert set(_listed(community_cadre, community_a, coverage.BUILDINGS)) == {
        loose,
        in_school,
        in_old_grid,
    }

    Building.objects.filter(pk__in=[loose.pk, in_school.pk, in_old_grid.pk]).update(grid=grid_a)

    assert _row(community_cadre, community_a).buildings_outside == 0
    assert _listed(community_cadre, community_a, coverage.BUILDINGS) == []


def test_a_household_outside_any_base_grid_is_listed_until_placed_in_one(
    staffed, community_cadre, community_a, grid_a
):
    dedicated = GridFactory(community=community_a, kind=Grid.Kind.DEDICATED)
    future = GridFactory(community=community_a, valid_from=TODAY + timedelta(days=1))
    # No grid: found through the dwelling's building in community A.
    no_grid = _household(None, community=community_a)
    in_dedicated = _household(dedicated)
    in_future_grid = _household(future)
    _household(grid_a)

    row = _row(community_cadre, community_a)
    assert row.households_outside == 3
    assert row.households == 4
    listed = _listed(community_cadre, community_a, coverage.HOUSEHOLDS)
    assert {h.number for h in listed} == {
        no_grid.number,
        in_dedicated.number,
        in_future_grid.number,
    }

    page = login(Client(), community_cadre).get(
        reverse("grids:coverage-exceptions", args=[community_a.pk, coverage.HOUSEHOLDS])
    )
    html = page.content.decode()
    assert no_grid.number in html
    assert "No grid" in html or "无网格" in html

    for household in (no_grid, in_dedicated, in_future_grid):
        household.grid = grid_a
        household.save(update_fields=["grid"])

    assert _row(community_cadre, community_a).households_outside == 0


def test_a_grid_without_a_current_grid_worker_is_listed_until_staffed(
    grid_leader, community_cadre, community_a, grid_a, street_admin
):
    # A grid leader alone does not staff a grid: the grid worker is the one who visits.
    assert _row(community_cadre, community_a).grids_without_worker == 1
    assert _listed(community_cadre, community_a, coverage.NO_WORKER) == [grid_a]

    worker = UserFactory(role="grid_worker")
    assignment = grid_assign(
        actor=street_admin,
        person=worker,
        grid=grid_a,
        post="part_time",
        start_date=TODAY - timedelta(2),
    )
    assert _row(community_cadre, community_a).grids_without_worker == 0

    # Ended yesterday (an assignment cannot end before it starts: it began two days ago).
    grid_assignment_end(actor=street_admin, assignment=assignment, end_date=TODAY - timedelta(1))
    assert _row(community_cadre, community_a).grids_without_worker == 1


def test_a_worker_who_starts_tomorrow_or_is_deactivated_does_not_staff_a_grid(
    community_cadre, community_a, grid_a, grid_worker
):
    assert _row(community_cadre, community_a).grids_without_worker == 0

    GridAssignment.objects.filter(person=grid_worker).update(start_date=TODAY + timedelta(1))
    assert _row(community_cadre, community_a).grids_without_worker == 1

    GridAssignment.objects.filter(person=grid_worker).update(start_date=TODAY)
    grid_worker.is_active = False
    grid_worker.save(update_fields=["is_active"])
    assert _row(community_cadre, community_a).grids_without_worker == 1


def test_a_grid_over_its_household_cap_is_listed_until_the_cap_fits(
    staffed, community_cadre, community_a, grid_a
):
    grid_a.household_cap = 2
    grid_a.save(update_fields=["household_cap"])
    HouseholdFactory.create_batch(3, grid=grid_a)

    assert _row(community_cadre, community_a).grids_over_cap == 1
    [listed] = _listed(community_cadre, community_a, coverage.OVER_CAP)
    assert (listed, listed.household_count) == (grid_a, 3)

    grid_a.household_cap = 3
    grid_a.save(update_fields=["household_cap"])
    assert _row(community_cadre, community_a).grids_over_cap == 0


def test_overdue_residents_are_exactly_those_of_the_cadence(
    staffed, community_cadre, community_a, grid_a, key_tag, resident_a
):
    late = _overdue_resident(grid_a, key_tag)
    also_late = _overdue_resident(grid_a, key_tag)
    ResidentTag.objects.create(resident=resident_a, tag=key_tag)
    Visit.objects.create(household=resident_a.household, resident=resident_a, visitor=staffed[0])

    expected = residents_overdue(Resident.objects.visible_to(community_cadre))
    listed = _listed(community_cadre, community_a, coverage.OVERDUE)
    assert [r.pk for r in listed] == [r.pk for r in expected] == [late.pk, also_late.pk]
    assert _row(community_cadre, community_a).overdue_residents == 2

    Visit.objects.create(household=late.household, resident=late, visitor=staffed[0])
    assert _row(community_cadre, community_a).overdue_residents == 1


def test_the_overdue_list_links_to_each_residents_page(
    staffed, community_cadre, community_a, grid_a, key_tag
):
    late = _overdue_resident(grid_a, key_tag)
    page = login(Client(), community_cadre).get(
        reverse("grids:coverage-exceptions", args=[community_a.pk, coverage.OVERDUE])
    )
    assert reverse("grids:resident-detail", args=[late.pk]) in page.content.decode()


def test_the_verdict_turns_red_on_any_exception_and_green_when_fixed(
    staffed, street_admin, community_a
):
    building = _building(community_a)
    client = login(Client(), street_admin)

    html = client.get(reverse("grids:coverage")).content.decode()
    assert 'data-covered="no"' in html
    assert reverse("grids:coverage-exceptions", args=[community_a.pk, coverage.BUILDINGS]) in html

    building.delete()
    assert 'data-covered="yes"' in client.get(reverse("grids:coverage")).content.decode()


def test_households_in_no_community_count_for_the_street_only(
    staffed, street_admin, community_cadre
):
    lost = HouseholdFactory(grid=None, dwelling=None)

    street = coverage.coverage_summary(actor=street_admin)
    assert (street.unlocated_households, street.covered) == (1, False)
    assert coverage.coverage_summary(actor=community_cadre).unlocated_households == 0
    page = login(Client(), street_admin).get(reverse("grids:coverage-unlocated"))
    assert lost.number in page.content.decode()
    api = login(Client(), street_admin).get(reverse("coverage-unlocated-households")).json()
    assert [row["number"] for row in api["results"]] == [lost.number]


# --- Scope ---------------------------------------------------------------------------------


@pytest.fixture
def gaps_everywhere(staffed, community_a, community_b, grid_a, grid_b, key_tag):
    """Staffed grids A and B; in each community a building without a grid, a household
    without a grid (living in a building of the grid) and an overdue resident; and in A a
    second grid, unstaffed and over its cap."""
    second_a = GridFactory(community=community_a, name="江滨第二网格", household_cap=1)
    for community, grid in ((community_a, grid_a), (community_b, grid_b)):
        _building(community)
        _household(None, community=community, building_grid=grid)
        _overdue_resident(grid, key_tag)
    HouseholdFactory.create_batch(2, grid=second_a)
    return second_a


def test_counts_respect_each_persons_scope(
    gaps_everywhere, street_admin, community_cadre, grid_worker, other_grid_worker, community_a
):
    street = coverage.coverage_summary(actor=street_admin)
    cadre = coverage.coverage_summary(actor=community_cadre)
    worker = coverage.coverage_summary(actor=grid_worker)

    assert len(street.rows) == 2
    assert [row.community for row in cadre.rows] == [community_a]
    a = cadre.rows[0]
    assert (a.buildings_outside, a.households_outside, a.overdue_residents) == (1, 1, 1)
    assert (a.grids, a.grids_without_worker, a.grids_over_cap) == (2, 1, 1)
    # The grid worker: community A's row limited to grid A — staffed, under its cap, the loose
    # building is not theirs; but the un-gridded household living in a building of grid A
    # and the overdue resident of grid A are.
    [w] = worker.rows
    assert w.community == community_a
    assert (w.grids, w.grids_without_worker, w.grids_over_cap, w.buildings_outside) == (1, 0, 0, 0)
    assert (w.households_outside, w.overdue_residents) == (1, 1)


def test_a_case_shared_with_a_worker_does_not_bring_its_community_into_the_report(
    gaps_everywhere, grid_worker, community_b, grid_b, street_admin
):
    from grids.writes import resident_share

    resident_b = Resident.objects.get(household__grid=grid_b)
    resident_share(actor=street_admin, resident=resident_b, person=grid_worker)

    rows = coverage.coverage_summary(actor=grid_worker).rows
    assert community_b not in [row.community for row in rows]
    assert sum(row.overdue_residents for row in rows) == 1


def test_page_access_matrix(request, gaps_everywhere, community_a, community_b):
    a, b = community_a.pk, community_b.pk
    actions = {
        "report": Call("get", reverse("grids:coverage")),
        "map": Call("get", reverse("grids:coverage-map")),
        "geojson": Call("get", reverse("grids:coverage-geojson")),
        "comm_a": Call("get", reverse("grids:coverage-community", args=[a])),
        "comm_b": Call("get", reverse("grids:coverage-community", args=[b])),
        "kind_a": Call("get", reverse("grids:coverage-exceptions", args=[a, coverage.OVERDUE])),
        "kind_b": Call("get", reverse("grids:coverage-exceptions", args=[b, coverage.OVERDUE])),
        "bad_kind": Call("get", reverse("grids:coverage-exceptions", args=[a, "nonsense"])),
        "map_b": Call("get", reverse("grids:coverage-map") + f"?community={b}"),
        "json_b": Call("get", reverse("grids:coverage-geojson") + f"?community={b}"),
        "missing": Call("get", reverse("grids:coverage-community", args=[999999])),
    }
    assert_access_matrix(
        request,
        actions,
        """
                         report  map  geojson  comm_a  comm_b  kind_a  kind_b  bad_kind  map_b  json_b  missing
        street_admin     200     200  200      200     200     200     200     404       200    200     404
        street_cadre     200     200  200      200     200     200     200     404       200    200     404
        community_cadre  200     200  200      200     404     200     404     404       404    404     404
        grid_leader      200     200  200      200     404     200     404     404       404    404     404
        grid_worker      200     200  200      200     404     200     404     404       404    404     404
        # No registry role: the report and the map are refused (403), a community does not exist.
        partner_staff    403     403  403      404     404     404     404     404       403    403     404
        party_officer    403     403  403      404     404     404     404     404       403    403     404
        outsider         403     403  403      404     404     404     404     404       403    403     404
        """,
        perform=page_call,
    )


def test_anonymous_visitors_are_sent_to_log_in(community_a):
    for url in (
        reverse("grids:coverage"),
        reverse("grids:coverage-map"),
        reverse("grids:coverage-geojson"),
        reverse("grids:coverage-community", args=[community_a.pk]),
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_api_access_matrix(request, gaps_everywhere, community_a, community_b):
    a, b = community_a.pk, community_b.pk
    actions = {
        "list": Call("get", reverse("coverage-list")),
        "detail_a": Call("get", reverse("coverage-detail", args=[a])),
        "detail_b": Call("get", reverse("coverage-detail", args=[b])),
        "overdue_a": Call("get", reverse(f"coverage-{coverage.OVERDUE}", args=[a])),
        "buildings_b": Call("get", reverse(f"coverage-{coverage.BUILDINGS}", args=[b])),
        "unlocated": Call("get", reverse("coverage-unlocated-households")),
        "post": Call("post", reverse("coverage-list"), {}),
    }
    assert_access_matrix(
        request,
        actions,
        """
                         list  detail_a  detail_b  overdue_a  buildings_b  unlocated  post
        street_admin     200   200       200       200        200          200        405
        street_cadre     200   200       200       200        200          200        405
        community_cadre  200   200       404       200        404          200        405
        grid_leader      200   200       404       200        404          200        405
        grid_worker      200   200       404       200        404          200        405
        partner_staff    403   404       404       404        404          403        403
        party_officer    403   404       404       404        404          403        403
        outsider         403   404       404       404        404          403        403
        """,
    )


def test_api_rows_and_exception_lists_follow_the_scope(
    gaps_everywhere, api_client_for, community_cadre, community_a
):
    client = api_client_for(community_cadre)

    body = client.get(reverse("coverage-list")).json()
    assert body["full_coverage"] is False
    assert [row["community"] for row in body["communities"]] == [community_a.pk]
    assert body["communities"][0]["grids_without_worker"] == 1

    detail = client.get(reverse("coverage-detail", args=[community_a.pk])).json()
    assert detail["row"]["overdue_residents"] == 1
    assert {g["status"] for g in detail["grids"]} == {"uncovered"}
    overdue = client.get(detail["exceptions"][coverage.OVERDUE]).json()
    assert overdue["count"] == 1
    assert overdue["results"][0]["grid"] == community_a.grids.get(name="江滨第一网格").pk
    assert "id_number" not in overdue["results"][0]
    households = client.get(detail["exceptions"][coverage.HOUSEHOLDS]).json()
    assert households["count"] == 1
    assert households["results"][0]["grid"] is None


def test_the_api_schema_still_generates_and_lists_coverage(api_client_for, street_admin):
    response = api_client_for(street_admin).get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/coverage/" in paths
    assert "/api/v1/coverage/{id}/overdue-residents/" in paths


# --- Query counts --------------------------------------------------------------------------


def _community_with_gaps(tag):
    community = RegionFactory()
    grid = GridFactory(community=community, boundary=_square(120.64, 27.77))
    _building(community)
    _household(None, community=community)
    _overdue_resident(grid, tag)
    return community


def test_the_report_page_and_api_use_constant_queries_however_many_communities(
    street_admin, api_client_for, key_tag
):
    client = login(Client(), street_admin)
    api = api_client_for(street_admin)

    def add(n):
        for _ in range(n):
            _community_with_gaps(key_tag)

    assert_constant_queries(add_rows=add, fetch=lambda: client.get(reverse("grids:coverage")))
    assert_constant_queries(add_rows=add, fetch=lambda: api.get(reverse("coverage-list")))


def test_the_map_data_uses_constant_queries_however_many_grids(
    community_cadre, community_a, api_client_for, key_tag, street_admin
):
    client = login(Client(), community_cadre)
    api = api_client_for(community_cadre)

    def add(n):
        for i in range(n):
            grid = GridFactory(community=community_a, boundary=_square(120.6 + i / 100, 27.7))
            grid_assign(
                actor=None,
                person=UserFactory(role="grid_worker"),
                grid=grid,
                post="full_time",
                start_date=date(2025, 1, 1),
            )
            _overdue_resident(grid, key_tag)

    assert_constant_queries(
        add_rows=add, fetch=lambda: client.get(reverse("grids:coverage-geojson"))
    )
    assert_constant_queries(
        add_rows=add, fetch=lambda: api.get(reverse("coverage-detail", args=[community_a.pk]))
    )
    assert_constant_queries(
        add_rows=add,
        fetch=lambda: client.get(reverse("grids:coverage-community", args=[community_a.pk])),
    )


@pytest.mark.parametrize("kind", list(coverage.KINDS))
def test_exception_lists_use_constant_queries(
    kind, community_cadre, community_a, api_client_for, key_tag
):
    client = login(Client(), community_cadre)
    api = api_client_for(community_cadre)

    def add(n):
        for _ in range(n):
            if kind == coverage.BUILDINGS:
                _building(community_a, GridFactory(community=community_a, kind="dedicated"))
            elif kind == coverage.HOUSEHOLDS:
                _household(None, community=community_a)
            elif kind == coverage.NO_WORKER:
                grid = GridFactory(community=community_a)
                grid_assign(
                    actor=None, person=UserFactory(role="grid_leader"), grid=grid,
                    post="leader", start_date=date(2025, 1, 1),
                )  # fmt: skip
            elif kind == coverage.OVER_CAP:
                HouseholdFactory(grid=GridFactory(community=community_a, household_cap=0))
            else:
                _overdue_resident(GridFactory(community=community_a), key_tag)

    page_url = reverse("grids:coverage-exceptions", args=[community_a.pk, kind])
    api_url = reverse(f"coverage-{kind}", args=[community_a.pk])
    assert_constant_queries(add_rows=add, fetch=lambda: client.get(page_url))
    assert_constant_queries(add_rows=add, fetch=lambda: api.get(api_url))
    assert api.get(api_url).json()["count"] == 40


# --- The map -------------------------------------------------------------------------------


def test_grids_are_coloured_by_coverage(community_cadre, community_a, grid_a, grid_worker, key_tag):
    grid_a.boundary = _square(120.64, 27.77)
    grid_a.save(update_fields=["boundary"])
    crowded = GridFactory(community=community_a, household_cap=1, boundary=_square(120.65, 27.77))
    grid_assign(
        actor=None, person=grid_worker, grid=crowded, post="full_time", start_date=date(2025, 1, 1)
    )
    HouseholdFactory.create_batch(2, grid=crowded)
    empty = GridFactory(community=community_a, boundary=_square(120.66, 27.77))
    late = GridFactory(community=community_a, boundary=_square(120.67, 27.77))
    grid_assign(
        actor=None, person=grid_worker, grid=late, post="part_time", start_date=date(2025, 1, 1)
    )
    _overdue_resident(late, key_tag)
    GridFactory(community=community_a, boundary=None, name="无边界网格")

    data = login(Client(), community_cadre).get(reverse("grids:coverage-geojson")).json()

    assert data["type"] == "FeatureCollection"
    colours = {f["properties"]["name"]: f["properties"]["colour"] for f in data["features"]}
    assert colours == {
        grid_a.name: "#198754",
        crowded.name: "#ffc107",
        empty.name: "#dc3545",
        late.name: "#dc3545",
    }
    by_name = {f["properties"]["name"]: f for f in data["features"]}
    assert by_name[late.name]["properties"]["overdue"] == 1
    assert by_name[late.name]["properties"]["workers"] == [grid_worker.get_full_name()]
    assert by_name[crowded.name]["properties"]["households"] == 2
    assert by_name[grid_a.name]["geometry"] == grid_a.boundary
    assert data["grids_without_boundary"] == ["无边界网格"]


def test_the_map_of_a_grid_worker_holds_only_their_grids(grid_worker, grid_a, community_a):
    grid_a.boundary = _square(120.64, 27.77)
    grid_a.save(update_fields=["boundary"])
    GridFactory(community=community_a, boundary=_square(120.65, 27.77))

    data = login(Client(), grid_worker).get(reverse("grids:coverage-geojson")).json()
    assert [f["id"] for f in data["features"]] == [grid_a.pk]


def test_the_map_page_loads_leaflet_from_our_static_files_and_nothing_external(
    community_cadre, settings
):
    html = login(Client(), community_cadre).get(reverse("grids:coverage-map")).content.decode()

    static = "/" + settings.STATIC_URL.strip("/") + "/"
    assert f'src="{static}vendor/leaflet/leaflet.js"' in html
    assert f'href="{static}vendor/leaflet/leaflet.css"' in html
    assert reverse("grids:coverage-geojson") in html
    assert 'data-testid="coverage-legend"' not in html  # no grid drawn: no colour to explain
    assets = re.findall(r"""\b(?:src|href|data-geojson)\s*=\s*["']([^"']+)["']""", html)
    assert assets
    assert not [a for a in assets if a.startswith(("http:", "https:", "//"))]
    assert "tile" not in html.lower()
    from django.contrib.staticfiles import finders

    with open(finders.find("grids/coverage_map.js"), encoding="utf-8") as file:
        script = file.read()
    assert "http" not in script
    assert "tileLayer" not in script


def test_the_demo_street_draws_its_grids(street_admin):
    from django.core.management import call_command

    call_command("demo_data", force=True, verbosity=0)
    data = login(Client(), street_admin).get(reverse("grids:coverage-geojson")).json()
    assert len(data["features"]) == Grid.objects.exclude(boundary=None).count() > 0
    assert {f["geometry"]["type"] for f in data["features"]} == {"Polygon"}


# --- Home card -----------------------------------------------------------------------------


def test_cadres_see_the_coverage_state_on_their_home_page(
    staffed, community_cadre, grid_worker, community_a
):
    client = login(Client(), community_cadre)
    assert reverse("grids:coverage") in client.get(reverse("home")).content.decode()

    _building(community_a)
    home = client.get(reverse("home")).content.decode()
    assert "bi-shield-exclamation" in home

    # The coverage card is for cadres; a grid worker's home leads with their visits instead.
    worker_home = login(Client(), grid_worker).get(reverse("home")).content.decode()
    assert "bi-shield-" not in worker_home
    assert reverse("grids:visits-due") in worker_home
