"""For a minor, the partner sees the guardian's name and phone, never the child's (issue 12).

The registry records no guardian as such: the guardian is the adult household member named in
the referral's consent, else the household head, else the oldest adult member
(services/referrals/selectors.py, referral_contact).
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from services.models import Referral
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.helpers import login

pytestmark = pytest.mark.django_db
Status = Referral.Status


def _born(years_ago: int) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years_ago) - datetime.timedelta(days=30)


@pytest.fixture
def family(grid_a):
    """A household in grid A: the grandfather (head), the mother, a 9-year-old child."""
    household = HouseholdFactory(grid=grid_a)
    grandfather = ResidentFactory(
        name="赵大山", household=household, birth_date=_born(70), phone="13900000001"
    )
    mother = ResidentFactory(
        name="赵梅", household=household, birth_date=_born(38), phone="13900000002"
    )
    child = ResidentFactory(
        name="赵小宝", household=household, birth_date=_born(9), phone="13900000009"
    )
    household.head = grandfather
    household.save()
    return {"grandfather": grandfather, "mother": mother, "child": child}


def _referral(make_referral, child, guardian_name):
    referral = make_referral(Status.ASSIGNED, resident=child, consent=False)
    referral.consent_by = Referral.ConsentBy.GUARDIAN
    referral.consent_guardian_name = guardian_name
    referral.consent_at = timezone.now()
    referral.save()
    return referral


def test_the_api_gives_the_consenting_guardians_name_and_phone(
    family, make_referral, partner_staff, api_client_for
):
    referral = _referral(make_referral, family["child"], "赵梅")
    body = api_client_for(partner_staff).get(f"/api/v1/referrals/{referral.pk}/").json()
    assert body["guardian_name"] == "赵梅"
    assert body["contact_phone"] == "13900000002"
    assert "13900000009" not in str(body)


def test_without_a_matching_member_the_household_heads_phone(
    family, make_referral, partner_staff, api_client_for
):
    referral = _referral(make_referral, family["child"], "外婆")
    body = api_client_for(partner_staff).get(f"/api/v1/referrals/{referral.pk}/").json()
    assert body["guardian_name"] == "外婆"
    assert body["contact_phone"] == "13900000001"


def test_an_adult_keeps_their_own_phone(make_referral, resident_a, partner_staff, api_client_for):
    referral = make_referral(Status.ASSIGNED)
    body = api_client_for(partner_staff).get(f"/api/v1/referrals/{referral.pk}/").json()
    assert body["contact_phone"] == resident_a.phone
    assert body["guardian_name"] == ""


def test_the_partner_page_shows_the_guardian_not_the_child(
    family, make_referral, partner_staff, client
):
    referral = _referral(make_referral, family["child"], "赵梅")
    login(client, partner_staff)
    with translation.override("en"):
        html = client.get(
            reverse("services:referral-detail", args=[referral.pk]), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    assert 'data-testid="guardian-name">赵梅<' in html
    assert "13900000002" in html
    assert "13900000009" not in html
