"""Fixtures of the services tests (tests/services/): the catalogue item, referrals and clinics
that several rooms' tests share, in the little street of tests/conftest.py."""

import pytest
from django.utils import timezone

from services.models import AidItem, Funder, Partner, Referral
from tests.services.factories import (
    FamilyDoctorItemFactory,
    FunderFactory,
    ReferralFactory,
    ServiceItemFactory,
    bundle_with_lines,
)

Status = Referral.Status


@pytest.fixture
def cleaning(partner_p, partner_q):
    """助洁服务, provided by partners P and Q, open to everyone (no eligibility rule)."""
    return ServiceItemFactory(name="助洁服务", partners=[partner_p, partner_q], eligibility_rule="")


@pytest.fixture
def make_referral(cleaning, grid_worker, partner_p, resident_a):
    """`make_referral(status, resident=, partner=, consent=, **fields)` → a referral put straight
    into `status` (default draft): of resident_a, for cleaning at partner P, created by
    grid_worker, consent recorded unless `consent=False`. Other model fields by keyword
    (`stage_deadline=`, `service_item=`, `created_by=`, ...)."""

    def make(status=Status.DRAFT, *, resident=None, partner=partner_p, consent=True, **fields):
        fields.setdefault("service_item", cleaning)
        fields.setdefault("description", "每周打扫两次")
        fields.setdefault("created_by", grid_worker)
        return ReferralFactory(
            resident=resident or resident_a,
            partner=partner,
            status=status,
            consent_by=Referral.ConsentBy.RESIDENT if consent else "",
            consent_at=timezone.now() if consent else None,
            **fields,
        )

    return make


@pytest.fixture
def referral_p(cleaning, partner_p, resident_a):
    """resident_a (grid A), in service at partner P."""
    return ReferralFactory(resident=resident_a, service_item=cleaning, partner=partner_p)


@pytest.fixture
def referral_q(cleaning, partner_q, resident_b):
    """resident_b (grid B), in service at partner Q."""
    return ReferralFactory(resident=resident_b, service_item=cleaning, partner=partner_q)


@pytest.fixture
def clinics(partner_p, partner_q):
    """Partners P and Q become clinics providing the family-doctor item; returns the item."""
    Partner.objects.filter(pk__in=[partner_p.pk, partner_q.pk]).update(kind=Partner.Kind.CLINIC)
    partner_p.refresh_from_db()
    partner_q.refresh_from_db()
    return FamilyDoctorItemFactory(partners=[partner_p, partner_q])


@pytest.fixture
def civil(db):
    return FunderFactory(name="瑞安市民政局", kind=Funder.Kind.GOVERNMENT)


@pytest.fixture
def charity(db):
    return FunderFactory(name="瑞安市慈善总会", kind=Funder.Kind.FOUNDATION)


@pytest.fixture
def bundle(civil, charity):
    """助学包: living costs (1,200) from the civil-affairs bureau, schooling (800) from charity."""
    return bundle_with_lines(
        (AidItem.LIVING, "1200", civil), (AidItem.EDUCATION, "800", charity), name="助学包"
    )
