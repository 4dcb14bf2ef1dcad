"""The resident's file (一人一档) and the household's: one page of everything the reader may see
about a person, newest first, in the reader's scope and masked; who opened it (the read audit)
for the street administrator; a bounded number of queries however long the history."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from grids import policy
from grids.models import Dwelling, Resident, ResidentTag, Visit
from grids.writes import resident_tag_add, visit_record
from portal.models import AuditEvent
from portal.policy import allowed
from tests.grids.factories import ResidentFactory, TagDefFactory
from tests.helpers import Call, assert_access_matrix, assert_constant_queries, login, page_call
from tests.services.factories import (
    ActivityFactory,
    AidBundleLineFactory,
    AidCaseFactory,
    ContractFactory,
    DeliveryFactory,
    DisbursementFactory,
    ReferralFactory,
    ServiceItemFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

FINDINGS = "独居，冰箱里没有蔬菜，需要助餐"


def _file(client, resident, **params):
    response = client.get(reverse("grids:resident-detail", args=[resident.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def _visit(actor, resident, findings=FINDINGS, **fields):
    return visit_record(actor=actor, resident=resident, mode="home", findings=findings, **fields)


@pytest.fixture
def household_a(resident_a, building_a):
    """Resident A's household: A is the head, at room 302 of a building in grid A."""
    household = resident_a.household
    household.dwelling = Dwelling.objects.create(building=building_a, unit="1", room="302")
    household.head = resident_a
    household.save()
    return household


@pytest.fixture
def son_a(household_a):
    return ResidentFactory(
        name="王小明",
        household=household_a,
        relation_to_head="子",
        birth_date=date(1975, 6, 1),
        sex=Resident.Sex.MALE,
    )


@pytest.fixture
def referral_a(resident_a, partner_p):
    return ReferralFactory(
        resident=resident_a,
        partner=partner_p,
        service_item=ServiceItemFactory(name="助餐服务"),
    )


# --- The file: what a street cadre sees ------------------------------------------------------


def test_a_visit_just_filed_appears_on_the_file_with_its_findings_and_needs(
    client, street_cadre, grid_worker, resident_a
):
    _visit(
        grid_worker,
        resident_a,
        needs=[{"category": "meal", "description": "希望每天送午餐"}],
    )
    login(client, street_cadre)
    page = _file(client, resident_a)
    assert 'data-testid="file-visit"' in page
    assert FINDINGS in page
    assert "希望每天送午餐" in page


def test_the_file_shows_every_section_newest_first_to_the_street_cadre(
    client, street_cadre, grid_worker, resident_a, household_a, son_a, referral_a, partner_p
):
    old = _visit(
        grid_worker,
        resident_a,
        findings="第一次走访",
        visited_at=timezone.now() - timedelta(days=30),
    )
    new = _visit(grid_worker, resident_a, findings="第二次走访")
    tag = TagDefFactory(name="独居老人")
    resident_tag_add(
        actor=None,
        resident=resident_a,
        tag=tag,
        source=ResidentTag.Source.GRID_WORKER,
        valid_from=date(2024, 1, 1),
    )
    DeliveryFactory(
        resident=resident_a,
        partner=partner_p,
        referral=referral_a,
        service_item=referral_a.service_item,
    )
    ContractFactory(resident=resident_a)
    line = AidBundleLineFactory(amount=Decimal("1000.00"))
    case = AidCaseFactory(household=household_a, bundle=line.bundle, beneficiary=resident_a)
    DisbursementFactory(case=case, amount=Decimal("300.00"))
    activity = ActivityFactory(community=household_a.grid.community, title="防诈骗讲座")
    activity.attendees.add(resident_a)

    login(client, street_cadre)
    page = _file(client, resident_a)

    for key in ("household", "visits", "referrals", "deliveries", "contracts", "aid", "activities"):
        assert f'data-testid="file-{key}"' in page, key
    assert page.index("第二次走访") < page.index("第一次走访")  # newest first
    assert reverse("services:referral-detail", args=[referral_a.pk]) in page
    assert referral_a.get_status_display() in page
    assert "独居老人" in page and "2024-01-01" in page
    assert "300.00" in page and "1000.00" in page
    assert "防诈骗讲座" in page
    # Address and household: the number linked to the household's page, the dwelling, members.
    assert reverse("grids:household-detail", args=[household_a.pk]) in page
    assert f"Household {household_a.number}" in page
    assert "江滨路1号" in page
    assert reverse("grids:resident-detail", args=[son_a.pk]) in page
    assert old.pk and new.pk


def test_members_are_masked_as_everywhere(client, street_cadre, resident_a, son_a):
    login(client, street_cadre)
    page = _file(client, resident_a)
    assert son_a.id_number_masked in page
    assert son_a.id_number not in page
    assert resident_a.id_number not in page


def test_a_long_history_is_capped_with_more(client, street_cadre, grid_worker, resident_a):
    for n in range(12):
        _visit(
            grid_worker,
            resident_a,
            findings=f"走访记录{n:02d}",
            visited_at=timezone.now() - timedelta(days=n),
        )
    login(client, street_cadre)
    page = _file(client, resident_a)
    assert page.count('data-testid="file-visit"') == 10
    assert "走访记录00" in page and "走访记录11" not in page
    assert "?more=visits" in page
    everything = _file(client, resident_a, more="visits")
    assert everything.count('data-testid="file-visit"') == 12


# --- Scope per person --------------------------------------------------------------------------


def test_resident_file_matrix(request, resident_a, referral_a):
    url = reverse("grids:resident-detail", args=[resident_a.pk])
    assert_access_matrix(
        request,
        {"file": Call("get", url)},
        """
                               file
        anonymous              302
        street_admin           200
        street_cadre           200
        community_cadre        200
        other_community_cadre  404
        grid_leader            200
        grid_worker            200
        other_grid_worker      404
        partner_staff          404
        other_partner_staff    404
        party_officer          404
        outsider               404
        """,
        perform=page_call,
    )


def test_each_reader_sees_only_the_sections_and_rows_their_scope_allows(
    client, grid_worker, street_admin, resident_a, referral_a, partner_q
):
    """A grid worker sees every referral of their grid's resident but no read audit (the
    section is absent, not empty); the street administrator sees who opened the file."""
    other = ReferralFactory(
        resident=resident_a, partner=partner_q, service_item=ServiceItemFactory(name="心理疏导")
    )
    login(client, grid_worker)
    page = _file(client, resident_a)
    assert reverse("services:referral-detail", args=[referral_a.pk]) in page
    assert reverse("services:referral-detail", args=[other.pk]) in page
    assert 'data-testid="file-reads"' not in page

    login(client, street_admin)
    page = _file(client, resident_a)
    assert 'data-testid="file-reads"' in page
    assert page.count('data-testid="file-read"') == 2  # the worker's opening and this one
    assert "t_worker" in page


def test_partner_staff_see_only_their_own_referrals_of_a_resident(
    resident_a, referral_a, partner_staff, partner_q
):
    """Partner staff cannot open the registry's file (404 above); what the file's referral
    section would give them is their own partner's referrals, never another's."""
    from services.referrals.selectors import referral_file_section

    other = ReferralFactory(
        resident=resident_a, partner=partner_q, service_item=ServiceItemFactory(name="心理疏导")
    )
    section = referral_file_section(actor=partner_staff, obj=resident_a, limit=10)
    assert [r.pk for r in section.rows] == [referral_a.pk]
    assert other.pk not in [r.pk for r in section.rows]


def test_sections_a_reader_may_not_see_are_absent(partner_staff, resident_a):
    """No aid and no attendee names for partner staff: the providers give no section."""
    from portal.hooks import file_sections_for

    keys = {
        s.key
        for s in file_sections_for(
            "resident", actor=partner_staff, obj=resident_a, limit_for=lambda key: 10
        )
    }
    assert "aid" not in keys and "activities" not in keys
    assert "referrals" in keys  # their own referrals only (test above)


# --- The read audit ---------------------------------------------------------------------------


def _who(people, gate, obj):
    everyone = {**people, "anonymous": AnonymousUser(), "system": None}
    return {name for name, user in everyone.items() if allowed(gate, user, obj)}


def test_gate_resident_view(people, resident_a):
    assert _who(people, policy.access_resident_view, resident_a) == {
        "street_admin",
        "street_cadre",
        "community_cadre",
        "grid_leader",
        "grid_worker",
        "system",
    }


def test_gate_resident_file_audit_view(people, resident_a):
    assert _who(people, policy.access_resident_file_audit_view, resident_a) == {"street_admin"}


def test_opening_the_file_is_audited(client, grid_worker, resident_a):
    login(client, grid_worker)
    _file(client, resident_a)
    event = AuditEvent.objects.get(action="resident.view", object_id=str(resident_a.pk))
    assert event.actor == grid_worker


def test_the_administrator_sees_reveals_among_the_reads(client, street_admin, resident_a):
    login(client, street_admin)
    url = reverse("grids:resident-reveal", args=[resident_a.pk])
    assert client.post(url, {"field": "phone", "reason": "电话通知走访"}).status_code == 200
    page = _file(client, resident_a)
    assert "revealed the phone" in page
    assert "opened the file" in page


def test_a_refused_file_is_not_audited_as_read(client, other_grid_worker, resident_a):
    login(client, other_grid_worker)
    response = client.get(reverse("grids:resident-detail", args=[resident_a.pk]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="resident.view").exists()


# --- The household's file ---------------------------------------------------------------------


def test_the_household_page_lists_members_head_address_visits_and_aid(
    client, community_cadre, grid_worker, resident_a, household_a, son_a
):
    visit_record(actor=grid_worker, household=household_a, mode="home", findings="全户走访")
    line = AidBundleLineFactory()
    AidCaseFactory(household=household_a, bundle=line.bundle)
    login(client, community_cadre)
    response = client.get(reverse("grids:household-detail", args=[household_a.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "江滨路1号" in page
    assert reverse("grids:resident-detail", args=[resident_a.pk]) in page  # the head, linked
    assert reverse("grids:resident-detail", args=[son_a.pk]) in page
    assert son_a.id_number_masked in page
    assert "全户走访" in page
    assert 'data-testid="file-aid"' in page


# --- Bounded queries --------------------------------------------------------------------------


def test_the_file_runs_a_constant_number_of_queries(
    client, street_admin, grid_worker, resident_a, household_a, partner_p
):
    item = ServiceItemFactory(name="助餐服务")
    line = AidBundleLineFactory()
    community = household_a.grid.community

    def add_rows(n):
        for _ in range(n):
            visit = _visit(
                grid_worker,
                resident_a,
                needs=[{"category": "meal", "description": "送餐"}],
            )
            referral = ReferralFactory(resident=resident_a, partner=partner_p, service_item=item)
            DeliveryFactory(
                resident=resident_a, partner=partner_p, referral=referral, service_item=item
            )
            AidCaseFactory(household=household_a, bundle=line.bundle, beneficiary=resident_a)
            ActivityFactory(community=community).attendees.add(resident_a)
            assert visit.pk

    login(client, street_admin)
    url = reverse("grids:resident-detail", args=[resident_a.pk])
    # user, 2FA device; the resident (address joined); the read audit: its gate's
    # scope check, savepoint, insert, release; the change gate's scope check; visits, their
    # needs; household members; who opened the file; referrals, deliveries, contracts, aid
    # cases, activities (one each); the tag gate's scope check; unread notifications (the
    # layout); the tag form's resident check, tags, the tag choices. (The session: from Redis,
    # saved at most once a minute.)
    assert_constant_queries(add_rows=add_rows, fetch=lambda: client.get(url), expected=22)


def test_a_visit_that_did_not_meet_the_person_says_so(
    client, street_cadre, grid_worker, resident_a
):
    _visit(grid_worker, resident_a, outcome=Visit.Outcome.NOT_MET, findings="敲门无人应答")
    login(client, street_cadre)
    page = _file(client, resident_a)
    assert "敲门无人应答" in page
    assert str(Visit.Outcome.NOT_MET.label) in page
