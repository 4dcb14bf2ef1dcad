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
