"""Service packages on family-doctor contracts (issue 12): the free basic package and paid ones,
configurable (FAMILY_DOCTOR_PACKAGES), chosen on signing and kept (or changed) on renewal and
switch, in the pages and the API."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from services.contracts import writes
from services.contracts.models import shortest_term_end
from services.models import FamilyDoctorContract
from tests.helpers import login
from tests.services.factories import ContractFactory

pytestmark = pytest.mark.django_db


def _sign(actor, resident, partner, **extra):
    start = timezone.localdate()
    return writes.family_doctor_contract_sign(
        actor=actor,
        resident=resident,
        partner=partner,
        doctor_name="陈医生",
        start_date=start,
        end_date=shortest_term_end(start),
        **extra,
    )


def test_a_contract_is_basic_unless_a_package_is_chosen(
    clinics, street_admin, resident_a, resident_b, partner_p
):
    assert _sign(street_admin, resident_a, partner_p).package == "basic"
    paid = _sign(street_admin, resident_b, partner_p, package="chronic_disease")
    assert paid.package == "chronic_disease"
    assert paid.package_fee == Decimal("150")


def test_an_unknown_package_is_a_field_error(clinics, street_admin, resident_a, partner_p):
    with pytest.raises(ValidationError) as refused:
        _sign(street_admin, resident_a, partner_p, package="gold")
    assert "package" in refused.value.message_dict
    assert not FamilyDoctorContract.objects.filter(resident=resident_a).exists()


def test_the_packages_are_configurable(settings, clinics, street_admin, resident_a, partner_p):
    settings.FAMILY_DOCTOR_PACKAGES = {
        "basic": ("基础包", Decimal("0")),
        "rehab": ("康复包", Decimal("200")),
    }
    contract = _sign(street_admin, resident_a, partner_p, package="rehab")
    assert contract.package_label == "康复包"
    with pytest.raises(ValidationError) as refused:
        writes.family_doctor_contract_renew(
            actor=street_admin,
            contract=contract,
            end_date=shortest_term_end(contract.end_date + timedelta(days=1)),
            package="chronic_disease",  # a default package this street does not offer
        )
    assert list(refused.value.message_dict) == ["package"]


def test_renewal_keeps_the_package_unless_another_is_chosen(
    clinics, street_admin, resident_a, partner_p
):
    old = ContractFactory(
        resident=resident_a, partner=partner_p, created_by=street_admin, package="elderly_care"
    )
    new = writes.family_doctor_contract_renew(
        actor=street_admin, contract=old, end_date=shortest_term_end(old.end_date + timedelta(1))
    )
    assert new.package == "elderly_care"


def test_the_api_signs_with_a_package(clinics, street_admin, resident_a, partner_p, api_client_for):
    start = timezone.localdate()
    body = {
        "resident": resident_a.pk,
        "partner": partner_p.pk,
        "doctor_name": "陈医生",
        "start_date": start.isoformat(),
        "end_date": shortest_term_end(start).isoformat(),
        "package": "home_visits",
    }
    client = api_client_for(street_admin)
    response = client.post("/api/v1/family-doctor-contracts/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["package"] == "home_visits"
    bad = client.post(
        "/api/v1/family-doctor-contracts/", {**body, "package": "gold"}, format="json"
    )
    assert bad.status_code == 400
    assert "package" in bad.json()


def test_the_sign_page_offers_the_packages_and_the_detail_shows_it(
    clinics, street_admin, resident_a, partner_p, client, english
):
    login(client, street_admin)
    url = reverse("services:contract-sign") + f"?resident={resident_a.pk}"
    with translation.override("en"):
        form = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="package"' in form
    assert "chronic_disease" in form
    start = timezone.localdate()
    response = client.post(
        url,
        {
            "partner": partner_p.pk,
            "doctor_name": "陈医生",
            "package": "chronic_disease",
            "start_date": start.isoformat(),
            "end_date": shortest_term_end(start).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    contract = FamilyDoctorContract.objects.get(resident=resident_a)
    assert contract.package == "chronic_disease"
    with translation.override("en"):
        detail = client.get(
            reverse("services:contract-detail", args=[contract.pk]), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    assert 'data-testid="contract-package"' in detail
    assert "Chronic disease package" in detail
