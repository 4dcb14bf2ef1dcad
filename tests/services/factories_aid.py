"""factory_boy factories of bundled aid: funders, bundles, lines, cases, disbursements.

They write rows directly (no service, no audit): the tests of services/aid.py call the
services themselves.
"""

from datetime import date
from decimal import Decimal

import factory

from portal.models import User
from portal.roles import Role
from services.models import AidBundle, AidBundleLine, AidCase, AidItem, Disbursement, Funder
from tests.factories import HouseholdFactory


def author():
    """Who created or recorded factory rows: one street account that never logs in (no
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
    created_by = factory.LazyFunction(author)


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
    created_by = factory.LazyFunction(author)


class DisbursementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Disbursement

    case = factory.SubFactory(AidCaseFactory)
    line = factory.LazyAttribute(lambda o: o.case.bundle.lines.first())
    amount = Decimal("100.00")
    paid_on = date(2025, 3, 1)
    recorded_by = factory.LazyFunction(author)


def bundle_with_lines(*lines: tuple[str, str, Funder], **fields) -> AidBundle:
    """`bundle_with_lines((AidItem.LIVING, "1200", funder), ...)` → a bundle with those lines."""
    bundle = AidBundleFactory(**fields)
    for item, amount, funder in lines:
        AidBundleLineFactory(bundle=bundle, item=item, amount=Decimal(amount), funder=funder)
    return bundle
