"""factory_boy factories of deliveries, meal logs and the referrals and items behind them.

They write rows directly (no service, no audit): the tests of services/deliveries.py and
services/meal_import.py call the services themselves.
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from portal.roles import Role
from services.models import Delivery, MealLog, Referral, ServiceItem
from tests.factories import PartnerFactory, ResidentFactory, UserFactory


def local_dt(year, month, day, hour=10, minute=0) -> datetime.datetime:
    """An aware datetime in the portal's time zone (Asia/Shanghai)."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


class ServiceItemFactory(factory.django.DjangoModelFactory):
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
