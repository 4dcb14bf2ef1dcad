"""The named people of STYLE.md and the little street they work in, shared by every app.

street ── community A (community_cadre) ── grid A (grid_worker, grid_leader) ── resident_a
       └─ community B (other_community_cadre) ── grid B (other_grid_worker) ── resident_b
partner P (partner_staff), partner Q (other_partner_staff); the street's officers
(street_admin, street_cadre), the party officer, the district's data platform (integration);
outsider has no role at all. What only one app's tests use lives in tests/<app>/conftest.py.
"""

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from grids import writes as grid_writes
from grids.models import Region
from portal.roles import Role
from services.catalogue.writes import partner_staff_bind
from tests.grids.factories import GridFactory, HouseholdFactory, RegionFactory, ResidentFactory
from tests.portal.factories import UserFactory
from tests.services.factories import PartnerFactory


@pytest.fixture(autouse=True)
def _real_postgresql(request):
    """Tests run on PostgreSQL, as production does; refuse to pass on anything else."""
    if "django_db_setup" in request.fixturenames or request.node.get_closest_marker("django_db"):
        assert connection.vendor == "postgresql", "run the tests through `make test` (PostgreSQL)"


@pytest.fixture
def street(db):
    city = RegionFactory(name="瑞安市", level=Region.Level.CITY, code="330381")
    return RegionFactory(
        name="南滨街道", level=Region.Level.STREET, code="330381008000", parent=city
    )


@pytest.fixture
def community_a(street):
    return RegionFactory(name="江滨社区", code="330381008001", parent=street)


@pytest.fixture
def community_b(street):
    return RegionFactory(name="阁巷社区", code="330381008002", parent=street)


@pytest.fixture
def grid_a(community_a):
    return GridFactory(community=community_a, name="江滨第一网格")


@pytest.fixture
def grid_b(community_b):
    return GridFactory(community=community_b, name="阁巷第一网格")


@pytest.fixture
def resident_a(grid_a):
    return ResidentFactory(name="王秀英", household=HouseholdFactory(grid=grid_a))


@pytest.fixture
def resident_b(grid_b):
    return ResidentFactory(name="李建国", household=HouseholdFactory(grid=grid_b))


@pytest.fixture
def street_admin(db):
    return UserFactory(username="t_admin", role=Role.STREET_ADMIN, full_name="街道管理员")


@pytest.fixture
def street_cadre(db):
    return UserFactory(username="t_cadre", role=Role.STREET_CADRE, full_name="街道干部")


@pytest.fixture
def community_cadre(community_a):
    user = UserFactory(username="t_community", role=Role.COMMUNITY_CADRE, full_name="社区干部")
    grid_writes.region_staff_grant(actor=None, person=user, region=community_a)
    return user


@pytest.fixture
def other_community_cadre(community_b):
    user = UserFactory(username="t_community2", role=Role.COMMUNITY_CADRE, full_name="社区干部乙")
    grid_writes.region_staff_grant(actor=None, person=user, region=community_b)
    return user


@pytest.fixture
def grid_leader(grid_a):
    return _grid_staff("t_leader", Role.GRID_LEADER, "网格长", grid_a, "leader")


@pytest.fixture
def grid_worker(grid_a):
    return _grid_staff("t_worker", Role.GRID_WORKER, "网格员甲", grid_a, "full_time")


@pytest.fixture
def other_grid_worker(grid_b):
    return _grid_staff("t_worker2", Role.GRID_WORKER, "网格员乙", grid_b, "full_time")


@pytest.fixture
def partner_p(db):
    return PartnerFactory(name="安康家政")


@pytest.fixture
def partner_q(db):
    return PartnerFactory(name="心桥心理")


@pytest.fixture
def partner_staff(partner_p):
    user = UserFactory(username="t_partner", role=Role.PARTNER_STAFF, full_name="机构人员甲")
    partner_staff_bind(actor=None, person=user, partner=partner_p)
    return user


@pytest.fixture
def other_partner_staff(partner_q):
    user = UserFactory(username="t_partner2", role=Role.PARTNER_STAFF, full_name="机构人员乙")
    partner_staff_bind(actor=None, person=user, partner=partner_q)
    return user


@pytest.fixture
def party_officer(db):
    return UserFactory(username="t_party", role=Role.PARTY_OFFICER, full_name="党建专干")


@pytest.fixture
def integration(street):
    """The district's data platform: role 'integration', the whole street as jurisdiction."""
    user = UserFactory(username="t_district", role=Role.INTEGRATION, full_name="区数据平台")
    grid_writes.region_staff_grant(actor=None, person=user, region=street)
    return user


@pytest.fixture
def outsider(db):
    """An active account without any role: sees nothing anywhere."""
    return UserFactory(username="t_outsider", role="", full_name="无角色用户")


def _grid_staff(username, role, full_name, grid, post):
    user = UserFactory(username=username, role=role, full_name=full_name)
    grid_writes.grid_assign(
        actor=None, person=user, grid=grid, post=post, start_date=date(2025, 1, 1)
    )
    return user


@pytest.fixture
def api_client_for():
    """`api_client_for(user)` → a DRF test client authenticated as that user."""
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def english(client):
    """The test client reads pages in English, their source language (the portal's default is
    Chinese), so that tests assert messages and labels as the code writes them."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker on the Redis broker of the test settings, in a thread."""
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    app.control.purge()
    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    ) as worker:
        yield worker


@pytest.fixture(autouse=True)
def _fresh_process_memories():
    """What a process remembers across requests (a resolved scope, a list known to be above the
    count cap, the menu of a role) describes one database and one set of roles; each test
    starts on another, so it starts forgetting."""
    from django.core.cache import caches

    from portal.paginator import counts_forget
    from portal.scope_cache import scopes_forget

    counts_forget()
    scopes_forget()
    caches["template_fragments"].clear()  # the main menu per role (base.html)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the portal's default language, whatever the last request activated."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def people(
    street_admin,
    street_cadre,
    community_cadre,
    grid_leader,
    grid_worker,
    other_grid_worker,
    partner_staff,
    party_officer,
    outsider,
):
    """Everyone of STYLE.md by name, and the anonymous visitor (None), for tests that go through
    them all (an access matrix names its rows itself: tests/helpers.py)."""
    return {
        "street_admin": street_admin,
        "street_cadre": street_cadre,
        "community_cadre": community_cadre,
        "grid_leader": grid_leader,
        "grid_worker": grid_worker,
        "other_grid_worker": other_grid_worker,
        "partner_staff": partner_staff,
        "party_officer": party_officer,
        "outsider": outsider,
        "anonymous": None,
    }


@pytest.fixture(autouse=True)
def _configurable_defaults(request):
    """The rows the data migrations install (Party building's meeting frequencies, training
    thresholds and point rule; reporting's data elements and duty list). A transactional test
    (a real Celery worker, the browser) flushes every table when it ends, so the tests after it
    would meet an empty configuration: put the defaults back, as the migrations would, for
    every test that uses the database."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
    } & set(request.fixturenames)
    if uses_db:
        request.getfixturevalue(
            "transactional_db" if "transactional_db" in request.fixturenames else "db"
        )
        configurable_defaults_install()


def configurable_defaults_install():
    defaults = importlib.import_module("partybuilding.migrations.0002_defaults")
    defaults.defaults_install(apps, None)
    catalogue = importlib.import_module("reporting.migrations.0002_catalogue")
    catalogue.catalogue_install(apps, None)
