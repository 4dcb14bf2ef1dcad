"""The main navigation offers the API documentation only to those who use the API."""

import pytest
from django.urls import reverse

from tests.helpers import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "person, sees_api",
    [
        ("street_admin", True),
        ("street_cadre", False),
        ("community_cadre", False),
        ("grid_worker", False),
        ("partner_staff", False),
        ("party_officer", False),
    ],
)
def test_the_api_link_is_only_for_administrators(client, people, person, sees_api):
    login(client, people[person])
    page = client.get(reverse("home")).content.decode()
    assert ('data-testid="nav-api"' in page) is sees_api
    assert (reverse("api-docs") in page) is sees_api


MENU = "portal/_main_menu.html"


def _menu(page: str) -> str:
    start = page.index('<ul class="navbar-nav me-auto">')
    return page[start : page.index('<ul class="navbar-nav">', start)]


def _home(client, user):
    login(client, user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response, response.content.decode()


def test_the_menu_is_drawn_once_per_role_and_language(
    client, grid_worker, other_grid_worker, people
):
    """base.html keeps the main menu per role and language: the second grid worker is given the
    first one's menu without drawing it; another role, or another language, is drawn anew —
    and what belongs to one person (their name) is never in what is kept."""
    first, first_page = _home(client, grid_worker)
    assert MENU in [t.name for t in first.templates]

    second, second_page = _home(client, other_grid_worker)
    assert MENU not in [t.name for t in second.templates]
    assert _menu(second_page) == _menu(first_page)
    assert other_grid_worker.get_full_name() in second_page
    assert grid_worker.get_full_name() not in second_page

    cadre, cadre_page = _home(client, people["street_cadre"])
    assert MENU in [t.name for t in cadre.templates]
    assert _menu(cadre_page) != _menu(first_page)

    client.cookies["django_language"] = "en"
    english, english_page = _home(client, other_grid_worker)
    assert MENU in [t.name for t in english.templates]
    assert ">Home</a>" in _menu(english_page)
    assert ">Home</a>" not in _menu(second_page)


def test_a_permission_the_role_lacks_is_refused_without_asking_the_database(
    grid_worker, django_assert_num_queries
):
    """The role is the one source of model permissions (portal/backends.py): a permission it
    lacks is refused at once; a permission given to the account by hand gives nothing."""
    from django.contrib.auth.models import Permission

    assert grid_worker.has_perm("grids.view_resident")
    perm = Permission.objects.get(codename="add_partner", content_type__app_label="services")
    grid_worker.user_permissions.add(perm)
    with django_assert_num_queries(0):
        assert not grid_worker.has_perm("services.add_partner")
        assert not grid_worker.has_module_perms("reporting_nothing")
