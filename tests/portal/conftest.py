"""Fixtures of the foundation's tests (tests/portal/), beside the named people of
tests/conftest.py."""

import pytest

from portal.roles import Role
from tests.portal.factories import UserFactory


@pytest.fixture
def superuser(db):
    """A street administrator who is also Django's superuser and staff (the admin site)."""
    return UserFactory(
        username="t_superuser", role=Role.STREET_ADMIN, is_staff=True, is_superuser=True
    )
