"""factory_boy factories of services: partners, the catalogue, referrals, deliveries and meal
logs, family-doctor contracts, activities and bundled aid.

They write rows directly (no write service, no audit, consent recorded): the tests of a room's
writes call the writes themselves.
"""

import csv
import datetime
import io
from datetime import date, timedelta
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.models import User
from portal.roles import Role
from portal.validators import uscc_make
from services.contracts.models import shortest_term_end
from services.deliveries.meal_import import COLUMNS as MEAL_COLUMNS
from services.models import (
    Activity,
    AidBundle,
    AidBundleLine,
    AidCase,
    AidItem,
    Delivery,
    Disbursement,
    FamilyDoctorContract,
    Funder,
    MealLog,
    Partner,
    Referral,
    ServiceItem,
)
from tests.grids.factories import HouseholdFactory, RegionFactory, ResidentFactory
from tests.portal.factories import UserFactory


def local_dt(year, month, day, hour=10, minute=0) -> datetime.datetime:
    """An aware datetime in the portal's time zone (Asia/Shanghai)."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


# Catalogue ------------------------------------------------------------------------------------


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"合作机构{n}")
    kind = Partner.Kind.HOUSEKEEPING
    uscc = factory.Sequence(lambda n: uscc_make(f"91330381MA{n:07d}"))


class ClinicFactory(PartnerFactory):
    name = factory.Sequence(lambda n: f"社区卫生服务站{n}")
    kind = Partner.Kind.CLINIC


class ServiceItemFactory(factory.django.DjangoModelFactory):
    """A catalogue item; pass `partners=[...]` for the partners providing it."""

    class Meta:
        model = ServiceItem
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"服务项目{n}")
    group = ServiceItem.Group.ELDERLY
    category = ServiceItem.Category.CLEANING
    unit = ServiceItem.Unit.HOUR
    subsidy = Decimal("20.00")

    @factory.post_generation
    def partners(self, create, extracted, **kwargs):
        if create and extracted:
            self.partners.set(extracted)


class MealItemFactory(ServiceItemFactory):
    name = factory.Sequence(lambda n: f"老年助餐{n}")
    category = ServiceItem.Category.MEAL
    unit = ServiceItem.Unit.MEAL
    subsidy = Decimal("8.00")


class FamilyDoctorItemFactory(ServiceItemFactory):
    """The catalogue's one family-doctor item (get-or-create by name), without a subsidy."""

    name = "家庭医生签约"
    category = ServiceItem.Category.FAMILY_DOCTOR
    unit = ServiceItem.Unit.VISIT
    subsidy = Decimal("0")


# Referrals and deliveries ---------------------------------------------------------------------


class ReferralFactory(factory.django.DjangoModelFactory):
    """A referral put straight into a state (consent recorded), as the tests need it."""

    class Meta:
        model = Referral

    resident = factory.SubFactory(ResidentFactory)
    service_item = factory.SubFactory(ServiceItemFactory)
    partner = factory.SubFactory(PartnerFactory)
    status = Referral.Status.IN_SERVICE
    description = "每周两次"
    consent_by = Referral.ConsentBy.RESIDENT
    consent_at = factory.LazyFunction(timezone.now)
    created_by = factory.SubFactory(UserFactory, username="t_ref_author", role=Role.STREET_CADRE)


class FamilyDoctorReferralFactory(ReferralFactory):
    """A family-doctor referral already assigned to a clinic and accepted (consent recorded)."""

    service_item = factory.SubFactory(FamilyDoctorItemFactory)
    partner = factory.SubFactory(ClinicFactory)
    status = Referral.Status.ACCEPTED
    description = "想签约家庭医生"
    created_by = factory.SubFactory(UserFactory, username="t_referral_worker")


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    partner = factory.SubFactory(PartnerFactory)
    service_item = factory.SubFactory(ServiceItemFactory)
    resident = factory.SubFactory(ResidentFactory)
    delivered_at = factory.LazyFunction(lambda: local_dt(2025, 3, 10))
    quantity = Decimal("1")
    staff_name = "服务员"
    verification = Delivery.Verification.CARD
    subsidy = factory.LazyAttribute(lambda o: o.quantity * o.service_item.subsidy)
    recorded_by = factory.SubFactory(
        UserFactory, username="t_delivery_author", role=Role.STREET_ADMIN
    )


class MealLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MealLog

    delivery = factory.SubFactory(DeliveryFactory, service_item=factory.SubFactory(MealItemFactory))
    resident = factory.SelfAttribute("delivery.resident")
    date = factory.LazyAttribute(lambda o: timezone.localdate(o.delivery.delivered_at))
    slot = MealLog.Slot.LUNCH
    subsidised = True


# Contracts and activities ---------------------------------------------------------------------


class ContractFactory(factory.django.DjangoModelFactory):
    """An active contract that started 100 days ago and runs the shortest term (a year)."""

    class Meta:
        model = FamilyDoctorContract

    resident = factory.SubFactory(ResidentFactory)
    partner = factory.SubFactory(ClinicFactory)
    doctor_name = "张医生"
    start_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=100))
    end_date = factory.LazyAttribute(lambda o: shortest_term_end(o.start_date))
    status = FamilyDoctorContract.Status.ACTIVE
    created_by = factory.SubFactory(
        UserFactory, username="t_contract_admin", role=Role.STREET_ADMIN
    )


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    title = factory.Sequence(lambda n: f"科普课堂第{n}期")
    theme = Activity.Theme.SCIENCE_CLASS
    target_group = ServiceItem.Group.CHILD
    community = factory.SubFactory(RegionFactory)
    team_name = "青年志愿队"
    starts_at = factory.LazyFunction(timezone.now)
    volunteer_count = 3
    volunteer_hours = Decimal("6.0")
    created_by = factory.SubFactory(
        UserFactory, username="t_activity_admin", role=Role.STREET_ADMIN
    )


# Bundled aid ----------------------------------------------------------------------------------


def aid_author():
    """Who created or recorded aid rows: one street account that never logs in (no
    password hash to compute, which would cost half a second per row)."""
    user, _ = User.objects.get_or_create(
        username="t_aid_author",
        defaults={"role": Role.STREET_ADMIN, "full_name": "资助录入员", "password": "!"},
    )
    return user


class FunderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Funder
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"资助方{n}")
    kind = Funder.Kind.FOUNDATION


class AidBundleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AidBundle

    name = factory.Sequence(lambda n: f"资助包{n}")
    period_start = date(2025, 1, 1)
    period_end = date(2025, 12, 31)
    created_by = factory.LazyFunction(aid_author)


class AidBundleLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AidBundleLine

    bundle = factory.SubFactory(AidBundleFactory)
    item = AidItem.LIVING
    amount = Decimal("1000.00")
    funder = factory.SubFactory(FunderFactory)


class AidCaseFactory(factory.django.DjangoModelFactory):
    """A case of a bundle for a household, over the bundle's whole period by default."""

    class Meta:
        model = AidCase

    household = factory.SubFactory(HouseholdFactory)
    bundle = factory.SubFactory(AidBundleFactory)
    period_start = factory.LazyAttribute(lambda o: o.bundle.period_start)
    period_end = factory.LazyAttribute(lambda o: o.bundle.period_end)
    status = AidCase.Status.OPEN
    created_by = factory.LazyFunction(aid_author)


class DisbursementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Disbursement

    case = factory.SubFactory(AidCaseFactory)
    line = factory.LazyAttribute(lambda o: o.case.bundle.lines.first())
    amount = Decimal("100.00")
    paid_on = date(2025, 3, 1)
    recorded_by = factory.LazyFunction(aid_author)


def bundle_with_lines(*lines: tuple[str, str, Funder], **fields) -> AidBundle:
    """`bundle_with_lines((AidItem.LIVING, "1200", funder), ...)` → a bundle with those lines."""
    bundle = AidBundleFactory(**fields)
    for item, amount, funder in lines:
        AidBundleLineFactory(bundle=bundle, item=item, amount=Decimal(amount), funder=funder)
    return bundle


# Meal-log uploads -----------------------------------------------------------------------------

MEAL_ROW_DEFAULTS = {
    "date": "2025-03-05",
    "slot": "午餐",
    "quantity": "1",
    "subsidised": "是",
    "verification": "刷卡",
    "staff_name": "张师傅",
    "note": "",
}


def meal_csv(rows: list[dict[str, str]], name: str = "meals.csv") -> SimpleUploadedFile:
    """A meal-log upload (CSV, UTF-8, the template's headers): one line per dict of cells, over
    MEAL_ROW_DEFAULTS (a subsidised lunch on 2025-03-05, paid by card)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.header for column in MEAL_COLUMNS])
    for cells in rows:
        values = MEAL_ROW_DEFAULTS | cells
        writer.writerow([values[column.key] for column in MEAL_COLUMNS])
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"))
