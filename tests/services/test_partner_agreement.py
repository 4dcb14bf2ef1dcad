"""A partner takes new work only under an agreement in force.

New work is a referral assigned to it or a family-doctor contract starting with it; each is
refused, as a field error on `partner` with nothing written, before the agreement starts and
after it ends (both days included in the agreement). What it already holds runs on. The forms
offer only partners in force; the partner pages and the API say the agreement's state.
"""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent, Notification
from portal.validators import uscc_make
from services.catalogue import writes as catalogue_writes
from services.catalogue.writes import partner_create, partner_update
from services.contracts import writes as contract_writes
from services.contracts.models import shortest_term_end
from services.models import FamilyDoctorContract, Partner, Referral, ReferralEvent
from services.referrals import writes
from tests.helpers import assert_constant_queries, login
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


# --- The reminder before an agreement ends ---------------------------------------------------


@pytest.fixture
def reminded_people(street_admin, street_cadre, partner_staff, community_cadre):
    """Street staff (admin and cadre), partner P's staff, and a community cadre (not told)."""
    return {"street": {street_admin.pk, street_cadre.pk}, "partner": {partner_staff.pk}}


def agreement_notifications():
    return Notification.objects.filter(dedup_key__startswith="partner-agreement:")


@pytest.mark.django_db
def test_the_street_and_the_partners_staff_hear_before_the_agreement_ends(
    reminded_people, partner_p, partner_q, community_cadre
):
    set_agreement(partner_p, days(-300), days(10))
    set_agreement(partner_q, days(-300), days(61))  # beyond the 60 days
    PartnerFactory(agreement_end=days(-1))  # ended: nothing more to remind
    PartnerFactory()  # open-ended

    result = catalogue_writes.partner_agreements_daily(today=today())

    assert result == {"skipped": False, "slot": today().isoformat(), "ending": 1, "sent": 3}
    rows = list(agreement_notifications())
    assert {n.recipient_id for n in rows} == reminded_people["street"] | reminded_people["partner"]
    assert {n.dedup_key for n in rows} == {f"partner-agreement:{partner_p.pk}:{days(10)}"}
    assert {(n.object_id, n.url) for n in rows} == {
        (partner_p.pk, reverse("services:partner-detail", args=[partner_p.pk]))
    }
    for n in rows:
        assert "安康家政" in n.title and days(10).isoformat() in n.title
        if n.recipient_id in reminded_people["partner"]:
            assert "贵单位" in n.body
        else:
            assert "安康家政" in n.body and "10 天后" in n.body
    assert not Notification.objects.filter(recipient=community_cadre).exists()


@pytest.mark.django_db
def test_each_reminder_once_per_partner_and_end_date(reminded_people, partner_p):
    set_agreement(partner_p, days(-300), days(10))
    catalogue_writes.partner_agreements_daily(today=today())
    assert catalogue_writes.partner_agreements_daily(today=today())["skipped"] is True
    tomorrow = catalogue_writes.partner_agreements_daily(today=days(1))
    assert (tomorrow["ending"], tomorrow["sent"]) == (1, 0)
    assert agreement_notifications().count() == 3

    # Extended to a new end date: reminded again before that one.
    set_agreement(partner_p, days(-300), days(40))
    again = catalogue_writes.partner_agreement_reminders_send(today=days(2))
    assert again == {"ending": 1, "sent": 3}
    assert agreement_notifications().count() == 6


@pytest.mark.django_db
def test_on_the_last_day_the_reminder_says_today(street_admin, partner_p):
    set_agreement(partner_p, days(-300), days(0))
    catalogue_writes.partner_agreement_reminders_send(today=today())
    assert "今天" in agreement_notifications().get(recipient=street_admin).body


@pytest.mark.django_db
def test_the_reminder_costs_the_same_for_one_partner_as_for_twenty(street_admin, partner_staff):
    made = []

    def add_rows(n):
        for _ in range(n):
            made.append(PartnerFactory(agreement_end=days(5 + len(made) % 50)))

    def fetch():
        Notification.objects.all().delete()
        catalogue_writes.partner_agreement_reminders_send(today=today())

    assert_constant_queries(add_rows=add_rows, fetch=fetch)
    assert agreement_notifications().count() == len(made)  # the street admin, per partner


@pytest.mark.django_db
def test_only_the_daily_task_sends_the_reminders(street_admin):
    with pytest.raises(PermissionDenied):
        catalogue_writes.partner_agreement_reminders_send(actor=street_admin, today=today())
    with pytest.raises(PermissionDenied):
        catalogue_writes.partner_agreements_daily(actor=street_admin, today=today())


@pytest.mark.django_db
def test_the_daily_task_is_scheduled_and_known_to_the_worker():
    from django_celery_beat.models import PeriodicTask

    from portal.celery import app

    app.loader.import_default_modules()
    assert "services.partner_agreements_daily" in app.tasks
    assert PeriodicTask.objects.filter(task="services.partner_agreements_daily").exists()


@pytest.mark.django_db
def test_the_partner_pages_warn_of_an_agreement_ending_soon(client, street_cadre, partner_p):
    login(client, street_cadre)
    page = reverse("services:partner-detail", args=[partner_p.pk])
    set_agreement(partner_p, days(-300), days(61))
    assert 'data-testid="agreement-state"' not in client.get(page).content.decode()
    set_agreement(partner_p, days(-300), days(60))
    assert "协议 60 天后到期" in client.get(page).content.decode()
    set_agreement(partner_p, days(-300), days(0))
    assert "协议今天到期" in client.get(page).content.decode()
    assert partner_p.agreement_days_left == 0


@pytest.mark.django_db
def test_the_sign_form_leaves_out_clinics_whose_agreement_ended(
    client, clinics, street_cadre, partner_p, partner_q, resident_a
):
    set_agreement(partner_q, days(-365), days(-1))
    set_agreement(partner_p, days(5), None)  # starts later: a contract may start then
    login(client, street_cadre)
    url = reverse("services:contract-sign") + f"?resident={resident_a.pk}"
    html = client.get(url).content.decode()
    select = re.search(r'<select name="partner".*?</select>', html, re.S)
    assert select, "no clinic select on the page"
    assert {int(v) for v in re.findall(r'<option value="(\d+)"', select.group(0))} == {partner_p.pk}


@pytest.mark.django_db
def test_partners_are_filtered_by_their_agreement_state(
    client, street_cadre, street_admin, api_client_for
):
    made = {
        "in_force": {PartnerFactory().pk, PartnerFactory(agreement_end=days(0)).pk},
        "not_started": {PartnerFactory(agreement_start=days(1)).pk},
        "ended": {PartnerFactory(agreement_end=days(-1)).pk},
    }
    api = api_client_for(street_admin)
    for state, expected in made.items():
        rows = api.get(reverse("partner-list"), {"agreement_state": state}).json()["results"]
        assert {row["id"] for row in rows} == expected, state
        assert {row["agreement_state"] for row in rows} == {state}
    bad = api.get(reverse("partner-list"), {"agreement_state": "expired"})
    assert bad.status_code == 400 and "agreement_state" in bad.json()

    login(client, street_cadre)
    page = client.get(reverse("services:partner-list"), {"agreement_state": "ended"})
    assert page.content.decode().count('data-testid="partner-row"') == 1


@pytest.mark.django_db
def test_the_street_administrator_edits_the_agreement_from_the_partner_page(
    client, street_admin, street_cadre, partner_p
):
    page = reverse("services:partner-detail", args=[partner_p.pk])
    edit = reverse("administration:partner-edit", args=[partner_p.pk])
    login(client, street_admin)
    assert f'href="{edit}"' in client.get(page).content.decode()
    client.logout()
    login(client, street_cadre)  # reads the page, does not administer the street
    html = client.get(page).content.decode()
    assert 'data-testid="partner-edit"' not in html
