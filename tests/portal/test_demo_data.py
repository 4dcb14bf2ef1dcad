"""The demo street: realistic, deterministic, idempotent, refused in production, every account logs in."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse
from guardian.shortcuts import get_objects_for_user

from grids.models import Grid, GridAssignment, Household, Region, Resident, ResidentTag
from portal.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from portal.models import User
from portal.validators import (
    citizen_id_birth_date,
    citizen_id_sex,
    validate_citizen_id,
    validate_mobile,
)
from services.models import Partner
from tests.conftest import configurable_defaults_install

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_street(django_db_setup, django_db_blocker):
    """Load once for the module (about 5,000 residents), in DEBUG as `make run` does."""
    from django.conf import settings

    with django_db_blocker.unblock():
        # A transactional test before this module may have flushed what the data
        # migrations install (the reporting duty list the demo's forms cite).
        configurable_defaults_install()
        previous, settings.DEBUG = settings.DEBUG, True
        try:
            call_command("demo_data", stdout=io.StringIO())
        finally:
            settings.DEBUG = previous
        yield
        # Leave the test database as clean as we found it for the other modules (flush
        # re-runs post_migrate: content types, permissions and beat schedules come back).
        call_command("flush", "--noinput", verbosity=0)


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (User, Region, Grid, GridAssignment, Household, Resident, ResidentTag, Partner)
    }


def test_the_street_has_the_shape_of_a_real_one(demo_street):
    assert Region.objects.filter(level="community").count() in (3, 4)
    assert 18 <= Grid.objects.count() <= 24
    assert 1_800 <= Household.objects.count() <= 2_300
    assert 4_500 <= Resident.objects.count() <= 5_600
    groups = set(ResidentTag.objects.values_list("tag__group", flat=True))
    assert {"elderly", "child", "special"} <= groups


def test_every_id_number_is_valid_and_agrees_with_sex_and_birth_date(demo_street):
    for resident in Resident.objects.all().iterator(chunk_size=1000):
        validate_citizen_id(resident.id_number)
        assert citizen_id_birth_date(resident.id_number) == resident.birth_date
        assert citizen_id_sex(resident.id_number) == resident.sex
        if resident.phone:
            validate_mobile(resident.phone)
    duplicates = Resident.objects.values("id_number_hash").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()


def test_loading_twice_duplicates_nothing(demo_street, settings):
    settings.DEBUG = True
    before = _counts()
    call_command("demo_data", stdout=io.StringIO())
    assert _counts() == before


def test_the_demo_partners_work_under_agreements_in_force(demo_street, settings):
    """Whenever the demo is loaded: every partner may take new work, the foundation's agreement
    ends soon (the badge and the reminder have something to show), and a demo database kept
    past an agreement's end has it extended by the next load."""
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    assert Partner.objects.count() == Partner.objects.agreement_in_force(today).count()
    ending = Partner.objects.filter(agreement_end__lte=today + timedelta(days=60))
    assert list(ending.values_list("kind", flat=True)) == [Partner.Kind.FOUNDATION]

    clinic = Partner.objects.get(kind=Partner.Kind.CLINIC)
    Partner.objects.filter(pk=clinic.pk).update(agreement_end=today - timedelta(days=1))
    settings.DEBUG = True
    call_command("demo_data", stdout=io.StringIO())
    clinic.refresh_from_db()
    assert clinic.agreement_problem(today) is None


def test_each_demo_account_logs_in_and_lands_on_its_home(demo_street, client):
    expected_template = {
        "street_admin": "portal/home/street.html",
        "street_cadre": "portal/home/street.html",
        "community_cadre": "portal/home/community.html",
        "grid_leader": "portal/home/grid.html",
        "grid_worker": "portal/home/grid.html",
        "partner_staff": "portal/home/partner.html",
        "party_officer": "portal/home/party.html",
    }
    for username, role, _full_name in DEMO_ACCOUNTS:
        response = client.post(
            reverse("login"), {"username": username, "password": DEMO_PASSWORD}, follow=True
        )
        assert response.status_code == 200, username
        assert response.wsgi_request.user.username == username
        assert expected_template[role] in [t.name for t in response.templates], username
        client.post(reverse("logout"))


def test_demo_jurisdictions_match_the_readme(demo_street):
    users = {u.username: u for u in User.objects.all()}
    grids = list(Grid.objects.order_by("code"))
    communities = list(Region.objects.filter(level="community").order_by("code"))

    def visible_grids(username):
        return set(Grid.objects.visible_to(users[username]).values_list("pk", flat=True))

    assert visible_grids("worker") == {grids[0].pk}
    assert visible_grids("leader") == {grids[0].pk, grids[1].pk}
    worker2_grid = Grid.objects.get(pk=visible_grids("worker2").pop())
    assert worker2_grid.community != grids[0].community
    assert visible_grids("community") == set(communities[0].grids.values_list("pk", flat=True))
    assert len(visible_grids("cadre")) == len(grids)
    assert visible_grids("partner") == visible_grids("party") == set()
    partner_orgs = {
        u: set(get_objects_for_user(users[u], "services.act_for_partner"))
        for u in ("partner", "partner2")
    }
    assert len(partner_orgs["partner"]) == len(partner_orgs["partner2"]) == 1
    assert partner_orgs["partner"] != partner_orgs["partner2"]


def test_there_are_old_people_and_children(demo_street):
    today = date.today()
    ages = [(today - b).days // 365 for b in Resident.objects.values_list("birth_date", flat=True)]
    share_60 = sum(a >= 60 for a in ages) / len(ages)
    share_minor = sum(a < 18 for a in ages) / len(ages)
    assert 0.15 < share_60 < 0.30
    assert 0.10 < share_minor < 0.25


def test_the_demo_has_visiting_work_for_the_worker(demo_street):
    from grids.cadence import residents_due, residents_overdue
    from grids.models import Visit

    worker = User.objects.get(username="worker")
    assert Visit.objects.exists()
    visible = Resident.objects.visible_to(worker)
    assert residents_overdue(visible).exists()
    assert 0 < residents_due(visible).count() < visible.count()


def test_both_demo_partners_have_referrals_in_many_stages_and_see_only_theirs(demo_street):
    from services.models import Referral, ReferralEvent

    users = {u.username: u for u in User.objects.filter(username__in=["partner", "partner2"])}
    seen = {}
    for username, staff in users.items():
        (partner,) = get_objects_for_user(staff, "services.act_for_partner")
        visible = Referral.objects.visible_to(staff)
        assert set(visible.values_list("partner", flat=True)) == {partner.pk}, username
        assert set(visible) == set(Referral.objects.filter(partner=partner)), username
        assert visible.values("status").distinct().count() >= 8, username
        # Unassigned stages (draft, submitted, approved, declined back) are for its items too.
        mine = Referral.objects.filter(service_item__partners=partner).distinct()
        assert {"draft", "submitted", "approved"} <= set(mine.values_list("status", flat=True))
        assert ReferralEvent.objects.filter(
            referral__service_item__partners=partner, from_status="assigned", to_status="approved"
        ).exists(), username  # a decline sent one back to the street
        seen[username] = set(visible.values_list("pk", flat=True))
    assert seen["partner"] and seen["partner2"] and not seen["partner"] & seen["partner2"]
