"""factory_boy factories of the registry (grids): regions, grids, households, residents, tags.

They write rows directly (no write service, no audit). People are in tests/portal/factories.py,
partners and everything of services in tests/services/factories.py.
"""

from datetime import date, timedelta

import factory

from grids.models import Grid, Household, Region, Resident, TagDef
from portal.validators import citizen_id_make


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


class TagDefFactory(factory.django.DjangoModelFactory):
    """A tag of the catalogue (get-or-create by code), on the general visit tier by default."""

    class Meta:
        model = TagDef
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"t_tag_{n}")
    name = factory.Sequence(lambda n: f"标签{n}")
    group = TagDef.Group.OTHER
