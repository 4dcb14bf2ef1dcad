"""factory_boy factories of the foundation (portal): accounts.

A role alone gives a person no scope; the named people of tests/conftest.py also get their
grid, community or partner through the real write services.
"""

from functools import cache

import factory
from django.contrib.auth.hashers import make_password

from portal.models import User
from portal.roles import Role

TEST_PASSWORD = "Portal-Test-2026"


@cache
def _test_password_hash() -> str:
    return make_password(TEST_PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    role = Role.GRID_WORKER
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    # One real Argon2 hash per test run, shared by every factory user: hashing costs ~0.5 s,
    # and a test suite creating thousands of users should not pay it each time.
    password = factory.LazyFunction(lambda: _test_password_hash())
