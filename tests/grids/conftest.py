"""Fixtures of the registry's tests (tests/grids/): buildings and tags in the little street of
tests/conftest.py."""

import pytest

from grids.models import Building, TagDef
from tests.grids.factories import TagDefFactory


@pytest.fixture
def building_a(grid_a):
    return Building.objects.create(
        community=grid_a.community, grid=grid_a, name="江滨新村1幢", address="江滨路1号"
    )


@pytest.fixture
def building_b(grid_b):
    return Building.objects.create(
        community=grid_b.community, grid=grid_b, name="阁巷新村1幢", address="阁巷路1号"
    )


@pytest.fixture
def living_alone(db):
    """独居老人: a high-risk tag, so its residents are due a visit every week."""
    return TagDefFactory(
        code="living_alone",
        name="独居老人",
        group=TagDef.Group.ELDERLY,
        visit_tier=TagDef.Tier.HIGH,
    )


@pytest.fixture
def key_tag(db):
    """A tag of the key tier (a visit a month)."""
    return TagDefFactory(
        code="t_key", name="重点", group=TagDef.Group.ELDERLY, visit_tier=TagDef.Tier.KEY
    )
