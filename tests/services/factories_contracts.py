"""Factories for family-doctor contracts and themed activities (tests/services/)."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from portal.roles import Role
from services.contracts.models import shortest_term_end
from services.models import Activity, FamilyDoctorContract, Partner, Referral, ServiceItem
from tests.factories import PartnerFactory, RegionFactory, ResidentFactory, UserFactory


class ClinicFactory(PartnerFactory):
    name = factory.Sequence(lambda n: f"社区卫生服务站{n}")
    kind = Partner.Kind.CLINIC


class FamilyDoctorItemFactory(factory.django.DjangoModelFactory):
    """The catalogue's family-doctor item; pass `partners=[...]` for the clinics providing it."""

    class Meta:
        model = ServiceItem
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = "家庭医生签约"
    group = ServiceItem.Group.ELDERLY
    category = ServiceItem.Category.FAMILY_DOCTOR
    unit = ServiceItem.Unit.VISIT

    @factory.post_generation
    def partners(self, create, extracted, **kwargs):
        if create and extracted:
            self.partners.add(*extracted)


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


class FamilyDoctorReferralFactory(factory.django.DjangoModelFactory):
    """A family-doctor referral already assigned to a clinic and accepted (consent recorded)."""

    class Meta:
        model = Referral

    resident = factory.SubFactory(ResidentFactory)
    service_item = factory.SubFactory(FamilyDoctorItemFactory)
    partner = factory.SubFactory(ClinicFactory)
    status = Referral.Status.ACCEPTED
    description = "想签约家庭医生"
    consent_by = Referral.ConsentBy.RESIDENT
    consent_at = factory.LazyFunction(timezone.now)
    created_by = factory.SubFactory(UserFactory, username="t_referral_worker")


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
