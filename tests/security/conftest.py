"""The standing security suite's shared ground: one planted street per module, the counts the
suite prints at the end of the run, and small helpers to read what a response shows.

The street is built once per module (not per test) inside a transaction that is rolled back
when the module ends; every request the suite makes runs in a savepoint that is rolled back
too, so a DELETE or a POST of one person never changes what the next person meets.

The people are those of tests/conftest.py (`people`), with the same usernames, roles and
jurisdictions: street A (community A, grid A, partner P) is theirs, street B (community B,
grid B, partner Q) is the other scope, where the canary lives — a resident named 金丝雀甲 with
a valid citizen ID, referred to partner Q.
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import transaction

# What the suite did, printed by `pytest_terminal_summary` (make test shows it at the end).
COUNTS: Counter = Counter()

CANARY_NAME = "金丝雀甲"
CANARY_HOUSEHOLD = "HHCANARY9"
MISSING_ID = 999_999_999  # no row has it; fits every integer column


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not COUNTS:
        return
    terminalreporter.section("security suite")
    for key in sorted(COUNTS):
        terminalreporter.write_line(f"{key}: {COUNTS[key]}")


# --- The planted street -------------------------------------------------------------------------


@dataclass
class World:
    people: dict  # name → User (None for anonymous), as tests/conftest.py `people`
    canary: object  # the resident of the other scope
    canary_id_number: str
    objects: dict = field(default_factory=dict)  # label → planted object
    other_partner_staff: object = None


def _grid_staff(username, role, full_name, grid, post):
    from grids import writes as grid_writes
    from tests.portal.factories import UserFactory

    user = UserFactory(username=username, role=role, full_name=full_name)
    grid_writes.grid_assign(
        actor=None, person=user, grid=grid, post=post, start_date=date(2025, 1, 1)
    )
    return user


def world_build() -> World:
    """The little street of tests/conftest.py, with something of every kind in both scopes."""
    from grids import writes as grid_writes
    from grids.models import Region, ResidentTag, Visit
    from portal.roles import Role
    from services.catalogue.writes import partner_staff_bind
    from tests.grids.factories import (
        GridFactory,
        HouseholdFactory,
        RegionFactory,
        ResidentFactory,
        TagDefFactory,
    )
    from tests.partybuilding import factories as pf
    from tests.portal.factories import UserFactory
    from tests.services import factories as sf

    importlib.import_module("partybuilding.migrations.0002_defaults").defaults_install(apps, None)
    importlib.import_module("reporting.migrations.0002_catalogue").catalogue_install(apps, None)

    city = RegionFactory(name="瑞安市", level=Region.Level.CITY, code="330381")
    street = RegionFactory(
        name="南滨街道", level=Region.Level.STREET, code="330381008000", parent=city
    )
    community_a = RegionFactory(name="江滨社区", code="330381008001", parent=street)
    community_b = RegionFactory(name="阁巷社区", code="330381008002", parent=street)
    grid_a = GridFactory(community=community_a, name="江滨第一网格")
    grid_b = GridFactory(community=community_b, name="阁巷第一网格")
    partner_p = sf.PartnerFactory(name="安康家政")
    partner_q = sf.PartnerFactory(name="心桥心理")

    people = {
        "street_admin": UserFactory(
            username="t_admin", role=Role.STREET_ADMIN, full_name="街道管理员"
        ),
        "street_cadre": UserFactory(
            username="t_cadre", role=Role.STREET_CADRE, full_name="街道干部"
        ),
    }
    cadre = UserFactory(username="t_community", role=Role.COMMUNITY_CADRE, full_name="社区干部")
    grid_writes.region_staff_grant(actor=None, person=cadre, region=community_a)
    people["community_cadre"] = cadre
    people["grid_leader"] = _grid_staff("t_leader", Role.GRID_LEADER, "网格长", grid_a, "leader")
    people["grid_worker"] = _grid_staff(
        "t_worker", Role.GRID_WORKER, "网格员甲", grid_a, "full_time"
    )
    people["other_grid_worker"] = _grid_staff(
        "t_worker2", Role.GRID_WORKER, "网格员乙", grid_b, "full_time"
    )
    staff = UserFactory(username="t_partner", role=Role.PARTNER_STAFF, full_name="机构人员甲")
    partner_staff_bind(actor=None, person=staff, partner=partner_p)
    people["partner_staff"] = staff
    other_staff = UserFactory(
        username="t_partner2", role=Role.PARTNER_STAFF, full_name="机构人员乙"
    )
    partner_staff_bind(actor=None, person=other_staff, partner=partner_q)
    people["party_officer"] = UserFactory(
        username="t_party", role=Role.PARTY_OFFICER, full_name="党建专干"
    )
    people["outsider"] = UserFactory(username="t_outsider", role="", full_name="无角色用户")
    integration = UserFactory(username="t_district", role=Role.INTEGRATION, full_name="区数据平台")
    grid_writes.region_staff_grant(actor=None, person=integration, region=street)
    people["anonymous"] = None

    resident_a = ResidentFactory(name="王秀英", household=HouseholdFactory(grid=grid_a))
    canary = ResidentFactory(
        name=CANARY_NAME,
        household=HouseholdFactory(grid=grid_b, number=CANARY_HOUSEHOLD),
        birth_date=date(1951, 3, 7),
    )
    canary.refresh_from_db()
    objects: dict = {"resident_a": resident_a, "canary": canary}

    tag = TagDefFactory()
    objects["tag_a"] = ResidentTag.objects.create(resident=resident_a, tag=tag)
    objects["tag_b"] = ResidentTag.objects.create(resident=canary, tag=tag)
    for label, resident, visitor in (
        ("visit_a", resident_a, people["grid_worker"]),
        ("visit_b", canary, people["other_grid_worker"]),
    ):
        objects[label] = Visit.objects.create(
            household=resident.household,
            resident=resident,
            visitor=visitor,
            findings=f"{resident.name}身体尚可",
        )

    item = sf.ServiceItemFactory(partners=[partner_p, partner_q])
    meal = sf.MealItemFactory(partners=[partner_p, partner_q])
    clinic_p, clinic_q = sf.ClinicFactory(), sf.ClinicFactory()
    for suffix, resident, partner, clinic in (
        ("a", resident_a, partner_p, clinic_p),
        ("b", canary, partner_q, clinic_q),
    ):
        referral = sf.ReferralFactory(resident=resident, service_item=item, partner=partner)
        objects[f"referral_{suffix}"] = referral
        objects[f"delivery_{suffix}"] = sf.DeliveryFactory(
            resident=resident, service_item=item, partner=partner, referral=referral
        )
        objects[f"meal_{suffix}"] = sf.MealLogFactory(
            delivery=sf.DeliveryFactory(resident=resident, service_item=meal, partner=partner)
        )
        objects[f"contract_{suffix}"] = sf.ContractFactory(resident=resident, partner=clinic)
    for suffix, community in (("a", community_a), ("b", community_b)):
        objects[f"activity_{suffix}"] = sf.ActivityFactory(community=community)
        branch = pf.BranchFactory(community=community)
        objects[f"party_org_{suffix}"] = branch
        member = pf.ServingMemberFactory(org=branch)
        objects[f"party_member_{suffix}"] = member
        objects[f"need_{suffix}"] = pf.CommunityNeedFactory(community=community)
        objects[f"hours_{suffix}"] = pf.ServiceHoursFactory(member=member)
        alliance = pf.AllianceFactory(lead_org=branch)
        objects[f"alliance_{suffix}"] = alliance
        objects[f"alliance_member_{suffix}"] = pf.AllianceMemberFactory(alliance=alliance)
        objects[f"alliance_agreement_{suffix}"] = pf.AllianceAgreementFactory(alliance=alliance)
        objects[f"alliance_item_{suffix}"] = pf.AllianceItemFactory(alliance=alliance)
        objects[f"meeting_{suffix}"] = pf.OrgLifeMeetingFactory(org=branch)
        objects[f"course_{suffix}"] = pf.TrainingCourseFactory()
        objects[f"building_{suffix}"] = pf.BuildingFactory(community=community)
        objects[f"circle_{suffix}"] = pf.ExchangeCircleFactory(orgs=[branch])
        objects[f"circle_post_{suffix}"] = pf.ExchangeCirclePostFactory(
            circle=objects[f"circle_{suffix}"], org=branch
        )
    objects["funder"] = sf.FunderFactory()
    objects["contest"] = pf.ContestFactory()
    world = World(
        people=people,
        canary=canary,
        canary_id_number=canary.id_number,
        objects=objects,
        other_partner_staff=other_staff,
    )
    world.integration = integration
    world.street, world.community_a, world.community_b = street, community_a, community_b
    world.grid_a, world.grid_b = grid_a, grid_b
    world.partner_p, world.partner_q = partner_p, partner_q
    world.item, world.meal_item = item, meal
    world.today = date.today()
    world.yesterday = date.today() - timedelta(days=1)
    world.amount = Decimal("1")
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The planted street for the whole module, rolled back when the module ends. The database
    stays open for the module's tests (they call `isolated()` around each request)."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = world_build()
        yield built
        transaction.set_rollback(True)


@contextlib.contextmanager
def isolated():
    """A savepoint rolled back afterwards: whatever the request wrote (or broke) is undone."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- Reading what a response shows --------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def response_bytes(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def response_text(response) -> str:
    """Everything a reader of the response sees, as text: the body, or every cell of a
    workbook (an xlsx is a zip: its bytes hide the strings)."""
    body = response_bytes(response)
    if response.get("Content-Type", "").startswith(XLSX_TYPE) or body[:2] == b"PK":
        return "\n".join(str(cell) for cell in xlsx_cells(body) if cell is not None)
    return body.decode("utf-8", errors="replace")


def xlsx_cells(body: bytes):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(body), read_only=False, data_only=False)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                yield cell.value


def xlsx_formula_cells(body: bytes) -> list[str]:
    """The cells openpyxl reads as formulas (data_type 'f'): a live formula in an export."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(body), read_only=False, data_only=False)
    return [
        f"{sheet.title}!{cell.coordinate}={cell.value!r}"
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def csv_formula_cells(body: bytes) -> list[str]:
    text = body.decode("utf-8-sig", errors="replace")
    return [
        cell
        for row in csv.reader(io.StringIO(text))
        for cell in row
        if cell.startswith(FORMULA_LEADS) and not _plain_number(cell)
    ]


def _plain_number(cell: str) -> bool:
    """-3 or -1.5 is a number a spreadsheet shows as a number, not a formula."""
    try:
        Decimal(cell)
    except ArithmeticError:
        return False
    return cell.lstrip("+-").replace(".", "", 1).isdigit()
