"""factory_boy factories shared by every module's tests."""

from datetime import date, timedelta
from functools import cache

import factory
from django.contrib.auth.hashers import make_password

from grids.models import Grid, Household, Region, Resident
from portal.models import User
from portal.roles import Role
from portal.validators import citizen_id_make, uscc_make
from services.models import Partner

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


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"测试社区{n}")
    level = Region.Level.COMMUNITY
    code = factory.Sequence(lambda n: f"330381{100_000 + n:06d}")  # 12 digits for any n


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    community = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"第{n}网格")
    kind = Grid.Kind.BASE
    household_cap = 300

    @factory.lazy_attribute_sequence
    def code(self, n):
        return f"{self.community.code}{n % 1000:03d}"


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    number = factory.Sequence(lambda n: f"HH{n:08d}")
    grid = factory.SubFactory(GridFactory)


class ResidentFactory(factory.django.DjangoModelFactory):
    """A resident with a valid, unique ID number agreeing with sex and birth date."""

    class Meta:
        model = Resident

    name = factory.Sequence(lambda n: f"居民{n}")
    sex = Resident.Sex.FEMALE
    birth_date = factory.Sequence(lambda n: date(1940, 1, 1) + timedelta(days=n * 3))
    household = factory.SubFactory(HouseholdFactory)
    phone = factory.Sequence(lambda n: f"138{n:08d}")

    @factory.lazy_attribute_sequence
    def id_number(self, n):
        # Odd sequence for men, even for women; birth dates differ per row, so numbers are unique.
        sequence = (n % 499) * 2 + (1 if self.sex == Resident.Sex.MALE else 2)
        return citizen_id_make(area_code="330381", birth_date=self.birth_date, sequence=sequence)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"合作机构{n}")
    kind = Partner.Kind.HOUSEKEEPING
    uscc = factory.Sequence(lambda n: uscc_make(f"91330381MA{n:07d}"))
