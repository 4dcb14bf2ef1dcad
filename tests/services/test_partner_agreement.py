"""A partner takes new work only under an agreement in force.

New work is a referral assigned to it or a family-doctor contract starting with it; each is
refused, as a field error on `partner` with nothing written, before the agreement starts and
after it ends (both days included in the agreement). What it already holds runs on. The forms
offer only partners in force; the partner pages and the API say the agreement's state.
"""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent
from portal.validators import uscc_make
from services.catalogue.writes import partner_create, partner_update
from services.contracts import writes as contract_writes
from services.contracts.models import shortest_term_end
from services.models import FamilyDoctorContract, Partner, Referral, ReferralEvent
from services.referrals import writes
from tests.helpers import login
from tests.services.factories import ContractFactory, PartnerFactory

Status = Referral.Status


def today():
    return timezone.localdate()


def days(n):
    return today() + timedelta(days=n)


def set_agreement(partner, start=None, end=None):
    Partner.objects.filter(pk=partner.pk).update(agreement_start=start, agreement_end=end)
    partner.refresh_from_db()
    return partner


# --- The rule --------------------------------------------------------------------------------


AGREEMENTS = [
    # (start, end) as days from today → in force today?
    ((None, None), True),
    ((-365, None), True),
    ((None, 30), True),
    ((0, 0), True),  # a one-day agreement, today
    ((-30, 0), True),  # its last day
    ((0, 30), True),  # its first day
    ((-365, -1), False),  # ended yesterday
    ((1, 365), False),  # starts tomorrow
    ((None, -1), False),
    ((1, None), False),
]


@pytest.mark.django_db
def test_the_model_and_the_queryset_agree_on_every_agreement():
    expected = {}
    for (start, end), in_force in AGREEMENTS:
        partner = PartnerFactory(
            agreement_start=days(start) if start is not None else None,
            agreement_end=days(end) if end is not None else None,
        )
        expected[partner.pk] = in_force
        assert (partner.agreement_problem(today()) is None) is in_force, (start, end)
        assert (partner.agreement_state == "in_force") is in_force, (start, end)
    found = set(Partner.objects.agreement_in_force(today()).values_list("pk", flat=True))
    assert found == {pk for pk, in_force in expected.items() if in_force}


@pytest.mark.django_db
def test_the_state_says_which_side_of_the_agreement_today_is():
    assert PartnerFactory(agreement_end=days(-1)).agreement_state == "ended"
    assert PartnerFactory(agreement_start=days(1)).agreement_state == "not_started"
    ended = PartnerFactory(name="旧约机构", agreement_end=days(-1))
    assert "旧约机构" in ended.agreement_problem(today())
    assert days(-1).isoformat() in ended.agreement_problem(today())


@pytest.mark.django_db
def test_an_agreement_cannot_end_before_it_starts(street_admin):
    with pytest.raises(ValidationError) as exc:
        partner_create(
            actor=street_admin,
            name="倒序机构",
            uscc=uscc_make("91330381MA9999999"),
            kind=Partner.Kind.HOUSEKEEPING,
            agreement_start=days(10),
            agreement_end=days(9),
        )
    assert "agreement_end" in exc.value.message_dict
    assert not Partner.objects.filter(name="倒序机构").exists()
    partner = PartnerFactory()
    with pytest.raises(ValidationError) as exc:
        partner_update(
            actor=street_admin, partner=partner, agreement_start=days(0), agreement_end=days(-1)
        )
    assert "agreement_end" in exc.value.message_dict
    partner.refresh_from_db()
    assert (partner.agreement_start, partner.agreement_end) == (None, None)


# --- Referrals -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("agreement", [(-365, -1), (1, 365)], ids=["ended", "not started"])
def test_assigning_to_a_partner_out_of_its_agreement_is_refused(
    agreement, make_referral, street_admin, partner_p
):
    set_agreement(partner_p, days(agreement[0]), days(agreement[1]))
    referral = make_referral(Status.APPROVED, partner=None)
    audits = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        writes.referral_assign(actor=street_admin, referral=referral, partner=partner_p)
    assert list(exc.value.message_dict) == ["partner"]
    referral.refresh_from_db()
    assert (referral.status, referral.partner) == (Status.APPROVED, None)
    assert not ReferralEvent.objects.filter(referral=referral).exists()
    assert AuditEvent.objects.count() == audits


@pytest.mark.django_db
def test_assigning_on_the_agreements_last_day_works(make_referral, street_admin, partner_p):
    set_agreement(partner_p, days(-365), days(0))
    referral = make_referral(Status.APPROVED, partner=None)
    result = writes.referral_assign(actor=street_admin, referral=referral, partner=partner_p)
    assert (result.status, result.partner) == (Status.ASSIGNED, partner_p)


@pytest.mark.django_db
def test_work_already_assigned_runs_on_after_the_agreement_ends(
    make_referral, partner_staff, partner_p
):
    referral = make_referral(Status.ASSIGNED)
    set_agreement(partner_p, days(-365), days(-1))
    writes.referral_accept(actor=partner_staff, referral=referral)
    result = writes.referral_start(actor=partner_staff, referral=referral)
    assert result.status == Status.IN_SERVICE


@pytest.mark.django_db
def test_the_api_answers_400_on_partner(make_referral, street_admin, partner_p, api_client_for):
    set_agreement(partner_p, days(-365), days(-1))
    referral = make_referral(Status.APPROVED, partner=None)
    response = api_client_for(street_admin).post(
        reverse("referral-assign", args=[referral.pk]), {"partner": partner_p.pk}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "partner" in response.json()
    referral.refresh_from_db()
    assert referral.status == Status.APPROVED


def _partner_options(html: str) -> set[int]:
    select = re.search(r'<select name="assign-partner".*?</select>', html, re.S)
    assert select, "no partner select on the page"
    return {int(v) for v in re.findall(r'<option value="(\d+)"', select.group(0))}


@pytest.mark.django_db
def test_the_assign_form_offers_only_partners_in_force(
    client, english, make_referral, street_cadre, partner_p, partner_q
):
    set_agreement(partner_q, days(-365), days(-1))
    referral = make_referral(Status.APPROVED, partner=None)
    login(client, street_cadre)
    html = client.get(reverse("services:referral-detail", args=[referral.pk])).content.decode()
    assert _partner_options(html) == {partner_p.pk}
    assert "under an agreement in force today" in html

    set_agreement(partner_p, days(1), days(365))
    html = client.get(reverse("services:referral-detail", args=[referral.pk])).content.decode()
    assert _partner_options(html) == set()
    assert "are not in force today" in html

    # A form posted from a page opened before the agreement ended: a message, nothing written.
    response = client.post(
        reverse("services:referral-act", args=[referral.pk, "assign"]),
        {"assign-partner": partner_q.pk},
    )
    assert response.status_code == 400
    referral.refresh_from_db()
    assert (referral.status, referral.partner) == (Status.APPROVED, None)


# --- Family-doctor contracts -----------------------------------------------------------------


def _sign(actor, resident, partner, start):
    return contract_writes.family_doctor_contract_sign(
        actor=actor,
        resident=resident,
        partner=partner,
        doctor_name="陈医生",
        start_date=start,
        end_date=shortest_term_end(start),
    )


@pytest.mark.django_db
def test_a_contract_starts_only_inside_the_clinics_agreement(
    clinics, street_admin, resident_a, partner_p
):
    set_agreement(partner_p, days(-365), days(10))
    with pytest.raises(ValidationError) as exc:
        _sign(street_admin, resident_a, partner_p, days(11))
    assert "partner" in exc.value.message_dict
    assert not FamilyDoctorContract.objects.exists()
    contract = _sign(street_admin, resident_a, partner_p, days(10))
    assert contract.status == FamilyDoctorContract.Status.ACTIVE


@pytest.mark.django_db
def test_a_contract_signed_late_needs_the_agreement_today(
    clinics, street_admin, resident_a, partner_p
):
    """A contract dated from last month is new work today: the agreement must hold today."""
    set_agreement(partner_p, days(-365), days(-1))
    with pytest.raises(ValidationError) as exc:
        _sign(street_admin, resident_a, partner_p, days(-30))
    assert "partner" in exc.value.message_dict


@pytest.mark.django_db
def test_renewal_needs_the_agreement_on_the_day_it_starts(
    clinics, resident_a, partner_p, street_admin
):
    old = ContractFactory(resident=resident_a, partner=partner_p, created_by=street_admin)
    set_agreement(partner_p, days(-400), old.end_date)  # ends with the old term
    end = shortest_term_end(old.end_date + timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        contract_writes.family_doctor_contract_renew(actor=street_admin, contract=old, end_date=end)
    assert "partner" in exc.value.message_dict
    old.refresh_from_db()
    assert old.status == FamilyDoctorContract.Status.ACTIVE
    assert FamilyDoctorContract.objects.count() == 1

    set_agreement(partner_p, days(-400), None)
    new = contract_writes.family_doctor_contract_renew(
        actor=street_admin, contract=old, end_date=end
    )
    assert new.start_date == old.end_date + timedelta(days=1)


@pytest.mark.django_db
def test_switching_to_a_clinic_whose_agreement_has_not_started_is_refused(
    clinics, resident_a, partner_p, partner_q, street_admin
):
    old = ContractFactory(resident=resident_a, partner=partner_p, created_by=street_admin)
    set_agreement(partner_q, days(30), None)
    start = days(10)
    with pytest.raises(ValidationError) as exc:
        contract_writes.family_doctor_contract_switch(
            actor=street_admin,
            contract=old,
            partner=partner_q,
            doctor_name="刘医生",
            start_date=start,
            end_date=shortest_term_end(start),
        )
    assert "partner" in exc.value.message_dict
    old.refresh_from_db()
    assert old.status == FamilyDoctorContract.Status.ACTIVE


# --- What the pages and the API say ----------------------------------------------------------


@pytest.mark.django_db
def test_the_partner_pages_mark_an_ended_agreement(client, street_cadre, partner_p, partner_q):
    set_agreement(partner_q, days(-365), days(-1))
    login(client, street_cadre)
    listing = client.get(reverse("services:partner-list")).content.decode()
    assert listing.count('data-testid="agreement-state"') == 1
    assert "协议已到期" in listing
    detail = client.get(reverse("services:partner-detail", args=[partner_q.pk])).content.decode()
    assert "协议已到期" in detail
    detail = client.get(reverse("services:partner-detail", args=[partner_p.pk])).content.decode()
    assert 'data-testid="agreement-state"' not in detail


@pytest.mark.django_db
def test_the_api_says_the_agreement_state(street_admin, partner_p, partner_q, api_client_for):
    set_agreement(partner_q, days(1), None)
    rows = api_client_for(street_admin).get(reverse("partner-list")).json()["results"]
    states = {row["id"]: row["agreement_state"] for row in rows}
    assert states == {partner_p.pk: "in_force", partner_q.pk: "not_started"}
