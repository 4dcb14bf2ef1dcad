"""Small fixes of issue 12 on the services' pages: the consent is not offered again once it is
recorded (only a folded correction), and selects show "请选择…", never "---------"."""

import re

import pytest
from django.urls import reverse

from portal.ui import CHOOSE
from services.models import Referral
from tests.helpers import login
from tests.services.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def _consent_action(page: str) -> str:
    match = re.search(r'<(details|div) [^>]*data-testid="action-consent"', page)
    return match.group(1) if match else ""


def test_the_consent_form_is_a_step_only_until_consent_is_recorded(
    client, english, street_cadre, resident_a
):
    referral = ReferralFactory(
        resident=resident_a,
        status=Referral.Status.SUBMITTED,
        consent_by="",
        consent_at=None,
        created_by=street_cadre,
    )
    login(client, street_cadre)
    url = reverse("services:referral-detail", args=[referral.pk])
    page = client.get(url).content.decode()
    assert _consent_action(page) == "div"  # offered as the next step
    assert "Record consent" in page

    response = client.post(
        reverse("services:referral-act", args=[referral.pk, "consent"]),
        {"consent-consent_by": Referral.ConsentBy.RESIDENT},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.consent_at is not None

    page = client.get(url).content.decode()
    assert _consent_action(page) == "details"  # folded: a correction, not a step
    assert "Record consent" not in page
    assert "Correct the recorded consent" in page


def test_the_contract_form_offers_a_chinese_empty_choice(client, street_cadre, resident_a):
    login(client, street_cadre)
    response = client.get(reverse("services:contract-sign"), {"resident": resident_a.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="partner"' in html
    assert "---------" not in html
    assert f'<option value="" selected>{CHOOSE}</option>' in html
