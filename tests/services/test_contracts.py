"""Family-doctor contracts: who may sign, renew, switch and lapse; one active contract per
resident; the term of a year; the history; the daily lapse and the expiry reminders, sent
once per contract and end date in a constant number of queries; the API and the pages.
"""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from portal.models import AuditEvent, Notification, ScheduledRun
from portal.roles import Role
from services.catalogue.writes import partner_staff_bind
from services.contracts import selectors, writes
from services.contracts import tasks as contracts_tasks
from services.contracts.models import longest_term_end, shortest_term_end, years_after
from services.models import FamilyDoctorContract, Partner, Referral
from tests.grids.factories import GridFactory, HouseholdFactory, ResidentFactory
from tests.helpers import (
    Call,
    assert_access_matrix,
    assert_constant_queries,
    count_queries,
    login,
    page_call,
)
from tests.portal.factories import UserFactory
from tests.services.factories import (
    ClinicFactory,
    ContractFactory,
    FamilyDoctorReferralFactory,
)

Status = FamilyDoctorContract.Status


def today():
    return timezone.localdate()


@pytest.fixture
def contract_a(clinics, resident_a, partner_p, street_admin):
    """resident_a (grid A) at clinic P, started 100 days ago, a year's term."""
    return ContractFactory(resident=resident_a, partner=partner_p, created_by=street_admin)


@pytest.fixture
def contract_b(clinics, resident_b, partner_q, street_admin):
    """resident_b (grid B) at clinic Q."""
    return ContractFactory(resident=resident_b, partner=partner_q, created_by=street_admin)


def sign_kwargs(**overrides):
    start = today()
    values = {
        "doctor_name": "陈医生",
        "start_date": start,
        "end_date": shortest_term_end(start),
    }
    values.update(overrides)
    return values


# --- Signing ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_street_signs_a_resident_for_a_year(clinics, street_admin, resident_a, partner_p):
    contract = writes.family_doctor_contract_sign(
        actor=street_admin, resident=resident_a, partner=partner_p, **sign_kwargs()
    )
    assert contract.status == Status.ACTIVE
    assert contract.end_date == shortest_term_end(today())
    assert AuditEvent.objects.filter(
        action="family_doctor_contract.sign", object_id=str(contract.pk)
    ).exists()


@pytest.mark.django_db
def test_a_term_shorter_than_a_year_is_refused(clinics, street_admin, resident_a, partner_p):
    start = today()
    with pytest.raises(ValidationError) as exc:
        writes.family_doctor_contract_sign(
            actor=street_admin,
            resident=resident_a,
            partner=partner_p,
            **sign_kwargs(end_date=shortest_term_end(start) - timedelta(days=1)),
        )
    assert "end_date" in exc.value.message_dict
    assert not FamilyDoctorContract.objects.exists()


@pytest.mark.django_db
def test_one_active_contract_per_resident(contract_a, street_admin, resident_a, partner_q):
    with pytest.raises(ValidationError) as exc:
        writes.family_doctor_contract_sign(
            actor=street_admin, resident=resident_a, partner=partner_q, **sign_kwargs()
        )
    assert "resident" in exc.value.message_dict
    assert FamilyDoctorContract.objects.filter(resident=resident_a).count() == 1


@pytest.mark.django_db
def test_the_database_keeps_one_active_contract(contract_a, resident_a, partner_q):
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractFactory(resident=resident_a, partner=partner_q)
    # A lapsed or renewed one beside the active one is fine.
    ContractFactory(resident=resident_a, partner=partner_q, status=Status.LAPSED)


@pytest.mark.django_db
def test_a_race_that_passes_the_check_meets_the_constraint(
    contract_a, street_admin, resident_a, partner_q, monkeypatch
):
    """Two signings at once both pass the check; the index refuses the second, as a field error."""
    monkeypatch.setattr(writes, "_active_contract_exists", lambda *args, **kwargs: False)
    with pytest.raises(ValidationError) as exc:
        writes.family_doctor_contract_sign(
            actor=street_admin, resident=resident_a, partner=partner_q, **sign_kwargs()
        )
    assert exc.value.message_dict["resident"] == [str(writes.ACTIVE_EXISTS)]
    assert FamilyDoctorContract.objects.filter(resident=resident_a).count() == 1


@pytest.mark.django_db
def test_only_a_family_doctor_clinic(clinics, street_admin, resident_a):
    housekeeping = ClinicFactory(kind=Partner.Kind.HOUSEKEEPING)
    clinic_without_item = ClinicFactory()
    for partner in (housekeeping, clinic_without_item):
        with pytest.raises(ValidationError) as exc:
            writes.family_doctor_contract_sign(
                actor=street_admin, resident=resident_a, partner=partner, **sign_kwargs()
            )
        assert "partner" in exc.value.message_dict


@pytest.mark.django_db
def test_partner_staff_sign_only_a_resident_referred_to_them(
    clinics, partner_staff, partner_p, partner_q, resident_a
):
    # No referral: refused.
    with pytest.raises(ValidationError) as exc:
        writes.family_doctor_contract_sign(
            actor=partner_staff, resident=resident_a, partner=partner_p, **sign_kwargs()
        )
    assert "resident" in exc.value.message_dict
    # A referral only assigned (not yet accepted) does not count either.
    FamilyDoctorReferralFactory(
        resident=resident_a,
        partner=partner_p,
        service_item=clinics,
        status=Referral.Status.ASSIGNED,
    )
    with pytest.raises(ValidationError):
        writes.family_doctor_contract_sign(
            actor=partner_staff, resident=resident_a, partner=partner_p, **sign_kwargs()
        )
    accepted = FamilyDoctorReferralFactory(
        resident=resident_a, partner=partner_p, service_item=clinics
    )
    # Not for another clinic, even with the referral.
    with pytest.raises(ValidationError) as exc:
        writes.family_doctor_contract_sign(
            actor=partner_staff, resident=resident_a, partner=partner_q, **sign_kwargs()
        )
    assert "partner" in exc.value.message_dict
    contract = writes.family_doctor_contract_sign(
        actor=partner_staff, resident=resident_a, partner=partner_p, **sign_kwargs()
    )
    assert contract.referral == accepted  # linked without being named


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["community_cadre", "grid_worker", "party_officer", "outsider"])
def test_who_may_not_sign(person, request, clinics, resident_a, partner_p):
    with pytest.raises(PermissionDenied):
        writes.family_doctor_contract_sign(
            actor=request.getfixturevalue(person),
            resident=resident_a,
            partner=partner_p,
            **sign_kwargs(),
        )


# --- Renew, switch, lapse --------------------------------------------------------------------


@pytest.mark.django_db
def test_renew_continues_at_the_same_clinic(contract_a, partner_staff):
    end = shortest_term_end(contract_a.end_date + timedelta(days=1))
    new = writes.family_doctor_contract_renew(
        actor=partner_staff, contract=contract_a, end_date=end
    )
    contract_a.refresh_from_db()
    assert (contract_a.status, contract_a.ended_on) == (Status.RENEWED, contract_a.end_date)
    assert new.status == Status.ACTIVE
    assert new.partner_id == contract_a.partner_id
    assert new.doctor_name == contract_a.doctor_name
    assert new.start_date == contract_a.end_date + timedelta(days=1)
    assert new.previous == contract_a
    with pytest.raises(writes.ContractConflict):
        writes.family_doctor_contract_renew(actor=partner_staff, contract=contract_a, end_date=end)
    assert FamilyDoctorContract.objects.filter(resident=contract_a.resident).count() == 2


@pytest.mark.django_db
def test_renew_needs_a_full_year(contract_a, street_admin):
    short = shortest_term_end(contract_a.end_date + timedelta(days=1)) - timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        writes.family_doctor_contract_renew(actor=street_admin, contract=contract_a, end_date=short)
    assert "end_date" in exc.value.message_dict
    contract_a.refresh_from_db()
    assert contract_a.status == Status.ACTIVE


@pytest.mark.django_db
def test_a_lapsed_contract_may_still_be_renewed(clinics, resident_a, partner_p, street_admin):
    start = today() - timedelta(days=400)
    old = ContractFactory(resident=resident_a, partner=partner_p, start_date=start)
    assert writes.family_doctor_contracts_lapse_expired(today=today()) == 1
    new = writes.family_doctor_contract_renew(
        actor=street_admin, contract=old, end_date=today() + timedelta(days=400)
    )
    old.refresh_from_db()
    assert old.status == Status.RENEWED
    assert new.start_date == old.end_date + timedelta(days=1)


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["other_partner_staff", "grid_worker", "community_cadre"])
def test_who_may_not_renew(person, request, contract_a):
    end = shortest_term_end(contract_a.end_date + timedelta(days=1))
    with pytest.raises(PermissionDenied):
        writes.family_doctor_contract_renew(
            actor=request.getfixturevalue(person), contract=contract_a, end_date=end
        )


@pytest.mark.django_db
def test_switch_ends_the_old_contract_the_day_before(contract_a, street_admin, partner_q):
    start = today() + timedelta(days=10)
    new = writes.family_doctor_contract_switch(
        actor=street_admin,
        contract=contract_a,
        partner=partner_q,
        doctor_name="刘医生",
        start_date=start,
        end_date=shortest_term_end(start),
    )
    contract_a.refresh_from_db()
    assert contract_a.status == Status.SWITCHED
    assert contract_a.ended_on == start - timedelta(days=1)
    assert (new.partner, new.previous, new.status) == (partner_q, contract_a, Status.ACTIVE)
    history = selectors.family_doctor_contract_history(actor=street_admin, contract=new)
    assert [(c.pk, c.status) for c in history] == [
        (contract_a.pk, Status.SWITCHED),
        (new.pk, Status.ACTIVE),
    ]


@pytest.mark.django_db
def test_switch_is_for_the_street_and_to_another_clinic(
    contract_a, partner_staff, street_admin, partner_p, partner_q
):
    start = today()
    kwargs = {"doctor_name": "刘医生", "start_date": start, "end_date": shortest_term_end(start)}
    with pytest.raises(PermissionDenied):
        writes.family_doctor_contract_switch(
            actor=partner_staff, contract=contract_a, partner=partner_q, **kwargs
        )
    with pytest.raises(ValidationError) as exc:
        writes.family_doctor_contract_switch(
            actor=street_admin, contract=contract_a, partner=partner_p, **kwargs
        )
    assert "partner" in exc.value.message_dict
    contract_a.refresh_from_db()
    assert contract_a.status == Status.ACTIVE


@pytest.mark.django_db
def test_lapse_by_hand_ends_today_and_only_once(contract_a, partner_staff):
    lapsed = writes.family_doctor_contract_lapse(actor=partner_staff, contract=contract_a)
    assert (lapsed.status, lapsed.ended_on) == (Status.LAPSED, today())
    with pytest.raises(writes.ContractConflict):
        writes.family_doctor_contract_lapse(actor=partner_staff, contract=contract_a)


@pytest.mark.django_db
def test_lapse_expired_is_set_wise_and_idempotent(clinics, partner_p, grid_a):
    expired = [
        ContractFactory(
            resident=ResidentFactory(household=HouseholdFactory(grid=grid_a)),
            partner=partner_p,
            start_date=today() - timedelta(days=366 + n),
        )
        for n in range(3)
    ]
    running = ContractFactory(partner=partner_p)  # ends in about 265 days
    assert writes.family_doctor_contracts_lapse_expired(today=today()) == 3
    for contract in expired:
        contract.refresh_from_db()
        assert (contract.status, contract.ended_on) == (Status.LAPSED, contract.end_date)
    running.refresh_from_db()
    assert running.status == Status.ACTIVE
    assert writes.family_doctor_contracts_lapse_expired(today=today()) == 0
    assert AuditEvent.objects.filter(action="family_doctor_contract.lapse_expired").count() == 1


# --- Expiry reminders ------------------------------------------------------------------------


def ending_in(days, **kwargs):
    """An active contract whose term ends `days` from today."""
    end = today() + timedelta(days=days)
    start = end - timedelta(days=364)
    return ContractFactory(start_date=start, end_date=end, **kwargs)


@pytest.mark.django_db
def test_reminders_go_to_the_clinic_and_the_grid_worker_once(
    clinics, resident_a, partner_p, partner_staff, grid_worker, other_grid_worker, resident_b
):
    soon = ending_in(20, resident=resident_a, partner=partner_p)
    ending_in(45, resident=resident_b, partner=partner_p)  # outside the 30 days
    result = writes.family_doctor_contract_reminders_send(today=today())
    assert result == {"expiring": 1, "sent": 2}
    key = f"fdc-expiry:{soon.pk}:{soon.end_date.isoformat()}"
    assert set(Notification.objects.filter(dedup_key=key).values_list("recipient", flat=True)) == {
        partner_staff.pk,
        grid_worker.pk,
    }
    assert not Notification.objects.filter(recipient=other_grid_worker).exists()
    notification = Notification.objects.get(recipient=grid_worker)
    assert notification.url == reverse("services:contract-detail", args=[soon.pk])
    # Again today, and again tomorrow: nothing new.
    assert writes.family_doctor_contract_reminders_send(today=today())["sent"] == 0
    tomorrow = today() + timedelta(days=1)
    assert writes.family_doctor_contract_reminders_send(today=tomorrow)["sent"] == 0
    assert Notification.objects.count() == 2


@pytest.mark.django_db
def test_the_daily_task_runs_once_a_day(clinics, resident_a, partner_p, partner_staff, grid_worker):
    expired = ContractFactory(partner=partner_p, start_date=today() - timedelta(days=400))
    ending_in(10, resident=resident_a, partner=partner_p)
    first = contracts_tasks.family_doctor_contracts_daily.apply().get()
    assert first["skipped"] is False
    assert (first["lapsed"], first["expiring"], first["sent"]) == (1, 1, 2)
    second = contracts_tasks.family_doctor_contracts_daily.apply().get()
    assert second["skipped"] is True
    assert Notification.objects.count() == 2
    expired.refresh_from_db()
    assert expired.status == Status.LAPSED
    assert ScheduledRun.objects.filter(task=writes.DAILY_TASK).count() == 1
    # The run of another day sends nothing twice either.
    later = writes.family_doctor_contracts_daily(today=today() + timedelta(days=1))
    assert (later["skipped"], later["sent"]) == (False, 0)


@pytest.mark.django_db
def test_a_renewal_is_reminded_again(clinics, resident_a, partner_p, partner_staff, street_admin):
    soon = ending_in(5, resident=resident_a, partner=partner_p)
    assert writes.family_doctor_contract_reminders_send(today=today())["sent"] == 1
    new = writes.family_doctor_contract_renew(
        actor=street_admin,
        contract=soon,
        end_date=shortest_term_end(soon.end_date + timedelta(days=1)),
    )
    # A year later the new contract ends in turn: its own key.
    day = new.end_date - timedelta(days=3)
    assert writes.family_doctor_contract_reminders_send(today=day)["sent"] == 1


@pytest.mark.django_db
def test_reminders_take_constant_queries(clinics, partner_p, partner_q):
    """Contracts across many grids and both clinics, each grid with a worker: the same queries
    for 1 contract as for 20 — contracts, clinic staff, grid workers, keys sent, insert."""
    for n, partner in enumerate((partner_p, partner_q)):
        user = UserFactory(username=f"t_clinic{n}", role=Role.PARTNER_STAFF)
        partner_staff_bind(actor=None, person=user, partner=partner)

    def add(count):
        from grids import writes as grid_writes

        for n in range(count):
            grid = GridFactory()
            worker = UserFactory(role=Role.GRID_WORKER)
            grid_writes.grid_assign(
                actor=None, person=worker, grid=grid, post="full_time", start_date=today()
            )
            ending_in(
                n % 30,
                resident=ResidentFactory(household=HouseholdFactory(grid=grid)),
                partner=(partner_p, partner_q)[n % 2],
            )

    add(1)
    one, _sql = count_queries(lambda: writes.family_doctor_contract_reminders_send(today=today()))
    Notification.objects.all().delete()
    add(19)
    twenty, sql = count_queries(lambda: writes.family_doctor_contract_reminders_send(today=today()))
    assert one == twenty == 5, "\n".join(sql)
    assert Notification.objects.count() == 40  # a clinic person and a grid worker each


# --- API -------------------------------------------------------------------------------------


def api_url(contract=None, action=None):
    if contract is None:
        return reverse("familydoctorcontract-list")
    if action is None:
        return reverse("familydoctorcontract-detail", args=[contract.pk])
    return reverse(f"familydoctorcontract-{action}", args=[contract.pk])


@pytest.mark.django_db
def test_api_matrix(request, contract_a, contract_b, clinics, partner_p, grid_a):
    newcomer = ResidentFactory(name="赵新", household=HouseholdFactory(grid=grid_a))
    referral = FamilyDoctorReferralFactory(
        resident=newcomer, partner=partner_p, service_item=clinics
    )
    start = today()
    renew_to = shortest_term_end(contract_a.end_date + timedelta(days=1))
    actions = {
        "list": Call("get", api_url()),
        "mine": Call("get", api_url(contract_a)),
        "theirs": Call("get", api_url(contract_b)),
        "sign": Call(
            "post",
            api_url(),
            {
                "referral": referral.pk,
                "partner": partner_p.pk,
                "doctor_name": "陈医生",
                "start_date": start.isoformat(),
                "end_date": shortest_term_end(start).isoformat(),
            },
        ),
        "renew": Call("post", api_url(contract_a, "renew"), {"end_date": renew_to.isoformat()}),
        "lapse": Call("post", api_url(contract_a, "lapse")),
    }

    assert_access_matrix(
        request,
        actions,
        """
                           list  mine  theirs  sign  renew  lapse
        street_admin       200   200   200     201   201    200
        street_cadre       200   200   200     201   201    200
        community_cadre    200   200   404     403   403    403
        grid_leader        200   200   404     403   403    403
        grid_worker        200   200   404     403   403    403
        other_grid_worker  200   404   200     403   404    404
        partner_staff      200   200   404     201   201    200
        party_officer      403   404   404     403   404    404
        outsider           403   404   404     403   404    404
        anonymous          401   401   401     401   401    401
        """,
    )


@pytest.mark.django_db
def test_api_lists_hold_only_the_scope(
    contract_a, contract_b, api_client_for, grid_worker, partner_staff, other_partner_staff
):
    def ids(user):
        return [row["id"] for row in api_client_for(user).get(api_url()).json()["results"]]

    assert ids(grid_worker) == [contract_a.pk]
    assert ids(partner_staff) == [contract_a.pk]
    assert ids(other_partner_staff) == [contract_b.pk]


@pytest.mark.django_db
def test_api_partner_staff_see_the_name_only(contract_a, api_client_for, partner_staff):
    body = api_client_for(partner_staff).get(api_url(contract_a)).json()
    assert body["resident_name"] == contract_a.resident.name
    assert "resident" not in body
    assert contract_a.resident.id_number not in str(body)
    assert contract_a.resident.phone not in str(body)


@pytest.mark.django_db
def test_api_bad_input_is_400_with_fields(
    contract_a, api_client_for, street_admin, partner_p, resident_b, clinics
):
    client = api_client_for(street_admin)
    start = today()
    short = client.post(
        api_url(),
        {
            "resident": resident_b.pk,
            "partner": partner_p.pk,
            "doctor_name": "陈医生",
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=200)).isoformat(),
        },
        format="json",
    )
    assert short.status_code == 400
    assert "end_date" in short.json()
    twice = client.post(
        api_url(),
        {
            "resident": contract_a.resident_id,
            "partner": partner_p.pk,
            "doctor_name": "陈医生",
            "start_date": start.isoformat(),
            "end_date": shortest_term_end(start).isoformat(),
        },
        format="json",
    )
    assert twice.status_code == 400
    assert "resident" in twice.json()
    nobody = client.post(
        api_url(),
        {
            "partner": partner_p.pk,
            "doctor_name": "陈医生",
            "start_date": start.isoformat(),
            "end_date": shortest_term_end(start).isoformat(),
        },
        format="json",
    )
    assert nobody.status_code == 400
    assert "resident" in nobody.json()
    same_clinic = client.post(
        api_url(contract_a, "switch"),
        {
            "partner": partner_p.pk,
            "doctor_name": "刘医生",
            "start_date": start.isoformat(),
            "end_date": shortest_term_end(start).isoformat(),
        },
        format="json",
    )
    assert same_clinic.status_code == 400
    assert "partner" in same_clinic.json()
    bad_date = client.post(api_url(contract_a, "renew"), {"end_date": "soon"}, format="json")
    assert bad_date.status_code == 400
    assert "end_date" in bad_date.json()
    assert FamilyDoctorContract.objects.count() == 1


@pytest.mark.django_db
def test_api_conflict_is_409(contract_a, api_client_for, street_admin):
    client = api_client_for(street_admin)
    assert client.post(api_url(contract_a, "lapse")).status_code == 200
    response = client.post(api_url(contract_a, "lapse"))
    assert response.status_code == 409
    assert "detail" in response.json()


@pytest.mark.django_db
def test_api_renew_and_switch_answer_the_new_contract(
    contract_a, api_client_for, street_admin, partner_q
):
    client = api_client_for(street_admin)
    renewed = client.post(
        api_url(contract_a, "renew"),
        {"end_date": shortest_term_end(contract_a.end_date + timedelta(days=1)).isoformat()},
        format="json",
    )
    assert renewed.status_code == 201, renewed.content
    body = renewed.json()
    assert (body["previous"], body["status"]) == (contract_a.pk, "active")
    new = FamilyDoctorContract.objects.get(pk=body["id"])
    start = new.start_date + timedelta(days=30)
    switched = client.post(
        api_url(new, "switch"),
        {
            "partner": partner_q.pk,
            "doctor_name": "刘医生",
            "start_date": start.isoformat(),
            "end_date": shortest_term_end(start).isoformat(),
        },
        format="json",
    )
    assert switched.status_code == 201, switched.content
    assert switched.json()["partner"] == partner_q.pk
    old = client.get(api_url(contract_a)).json()
    assert (old["status"], old["next"]) == ("renewed", new.pk)


@pytest.mark.django_db
def test_api_filters(contract_a, contract_b, clinics, partner_p, api_client_for, street_admin):
    soon = ending_in(10, partner=partner_p)
    client = api_client_for(street_admin)

    def ids(**params):
        response = client.get(api_url(), params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(expiring_within_days=30) == {soon.pk}
    assert ids(partner=partner_p.pk) == {contract_a.pk, soon.pk}
    assert ids(resident=contract_b.resident_id) == {contract_b.pk}
    assert ids(status="lapsed") == set()


@pytest.mark.django_db
def test_api_filter_outside_the_scope_is_400(contract_a, contract_b, api_client_for, grid_worker):
    response = api_client_for(grid_worker).get(api_url(), {"resident": contract_b.resident_id})
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["grid_worker", "partner_staff", "street_admin"])
def test_api_list_constant_queries(person, request, clinics, partner_p, grid_a, api_client_for):
    client = api_client_for(request.getfixturevalue(person))

    def add_rows(n):
        for _ in range(n):
            ContractFactory(
                resident=ResidentFactory(household=HouseholdFactory(grid=grid_a)), partner=partner_p
            )

    # 2: the count; the page (contract, resident, household, grid, clinic and the contract it
    # renewed in one join). Grid worker and partner staff: their scope's resolution first (one
    # query per request).
    expected = {"grid_worker": 3, "partner_staff": 3, "street_admin": 2}[person]
    assert_constant_queries(
        add_rows=add_rows, fetch=lambda: client.get(api_url()), expected=expected
    )


# --- Pages -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_page_matrix(request, contract_a, contract_b):
    actions = {
        "list": Call("get", reverse("services:contract-list")),
        "mine": Call("get", reverse("services:contract-detail", args=[contract_a.pk])),
        "theirs": Call("get", reverse("services:contract-detail", args=[contract_b.pk])),
        "sign": Call("get", reverse("services:contract-sign")),
        "renew": Call("get", reverse("services:contract-renew", args=[contract_a.pk])),
        "switch": Call("get", reverse("services:contract-switch", args=[contract_a.pk])),
    }

    assert_access_matrix(
        request,
        actions,
        """
                           list  mine  theirs  sign  renew  switch
        street_admin       200   200   200     200   200    200
        street_cadre       200   200   200     200   200    200
        community_cadre    200   200   404     403   403    403
        grid_leader        200   200   404     403   403    403
        grid_worker        200   200   404     403   403    403
        other_grid_worker  200   404   200     403   404    404
        partner_staff      200   200   404     200   200    403
        party_officer      403   404   404     403   404    404
        outsider           403   404   404     403   404    404
        anonymous          302   302   302     302   302    302
        """,
        perform=page_call,
    )


@pytest.mark.django_db
def test_page_list_shows_only_the_scope(contract_a, contract_b, client, grid_worker):
    login(client, grid_worker)
    body = client.get(reverse("services:contract-list")).content.decode()
    assert contract_a.resident.name in body
    assert contract_b.resident.name not in body


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["grid_worker", "partner_staff"])
def test_page_list_constant_queries(person, request, clinics, partner_p, grid_a, client):
    login(client, request.getfixturevalue(person))

    def add_rows(n):
        for _ in range(n):
            ContractFactory(
                resident=ResidentFactory(household=HouseholdFactory(grid=grid_a)), partner=partner_p
            )

    # 5: the user; the count; the bell; the filter's clinics; the page (contract, resident,
    # household, grid, clinic and the contract it renewed in one join); no permission queries
    # (the role answers them, portal/backends.py). Grid worker and partner staff: 6, their
    # scope's resolution besides (one query per request).
    assert_constant_queries(
        add_rows=add_rows,
        fetch=lambda: client.get(reverse("services:contract-list")),
        expected=5 if person == "street_admin" else 6,
    )


@pytest.mark.django_db
def test_page_sign_renew_and_lapse(clinics, client, street_admin, resident_a, partner_p):
    login(client, street_admin)
    url = reverse("services:contract-sign") + f"?resident={resident_a.pk}"
    start = today()
    short = client.post(
        url,
        {
            "partner": partner_p.pk,
            "doctor_name": "陈医生",
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=30)).isoformat(),
        },
    )
    assert short.status_code == 400
    assert "error-end_date" in short.content.decode()
    signed = client.post(
        url,
        {
            "partner": partner_p.pk,
            "doctor_name": "陈医生",
            "start_date": start.isoformat(),
            "end_date": shortest_term_end(start).isoformat(),
        },
    )
    assert signed.status_code == 302
    contract = FamilyDoctorContract.objects.get(resident=resident_a)
    renewed = client.post(
        reverse("services:contract-renew", args=[contract.pk]),
        {"end_date": shortest_term_end(contract.end_date + timedelta(days=1)).isoformat()},
    )
    assert renewed.status_code == 302
    new = FamilyDoctorContract.objects.get(previous=contract)
    detail = client.get(reverse("services:contract-detail", args=[new.pk])).content.decode()
    assert detail.count('data-testid="history-row"') == 2  # both contracts
    lapsed = client.post(reverse("services:contract-lapse", args=[new.pk]))
    assert lapsed.status_code == 302
    new.refresh_from_db()
    assert new.status == Status.LAPSED


@pytest.mark.django_db
def test_page_sign_picker(clinics, client, partner_staff, partner_p, resident_a, resident_b):
    referral = FamilyDoctorReferralFactory(
        resident=resident_a, partner=partner_p, service_item=clinics
    )
    login(client, partner_staff)
    body = client.get(reverse("services:contract-sign")).content.decode()
    assert f"?referral={referral.pk}" in body
    assert resident_b.name not in body
    # A resident named directly is outside a clinic's scope: 404.
    response = client.get(reverse("services:contract-sign") + f"?resident={resident_a.pk}")
    assert response.status_code == 404
    form = client.get(reverse("services:contract-sign") + f"?referral={referral.pk}")
    assert form.status_code == 200
    assert resident_a.name in form.content.decode()


# --- The longest term ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_contract_runs_at_most_three_years(clinics, street_admin, resident_a, partner_p):
    start = today()
    with pytest.raises(ValidationError) as exc:
        writes.family_doctor_contract_sign(
            actor=street_admin,
            resident=resident_a,
            partner=partner_p,
            **sign_kwargs(end_date=date(9999, 12, 31)),
        )
    assert "end_date" in exc.value.message_dict
    assert not FamilyDoctorContract.objects.filter(resident=resident_a).exists()
    longest = longest_term_end(start)
    assert longest == years_after(start, 3) - timedelta(days=1)
    contract = writes.family_doctor_contract_sign(
        actor=street_admin,
        resident=resident_a,
        partner=partner_p,
        **sign_kwargs(end_date=longest),
    )
    assert contract.end_date == longest


@pytest.mark.django_db
def test_a_renewal_to_9999_is_refused(contract_a, street_admin):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        writes.family_doctor_contract_renew(
            actor=street_admin, contract=contract_a, end_date=date(9999, 12, 31)
        )
    assert "at most 3 years" in exc.value.message_dict["end_date"][0]
    contract_a.refresh_from_db()
    assert contract_a.status == Status.ACTIVE
    assert FamilyDoctorContract.objects.filter(resident=contract_a.resident).count() == 1


@pytest.mark.parametrize(
    ("listing", "index"),
    [
        (selectors.family_doctor_contracts_ending_first, "contract_ending_first"),
        (selectors.family_doctor_contract_list, "contract_newest_first"),  # the API's order
    ],
)
def test_a_page_of_contracts_is_read_in_order_from_its_index(street_cadre, listing, index):
    """Both orders come from an index: a street's page joins its 20 residents instead of
    sorting every contract of the street (bench, 5,000 contracts: 28 → 3 ms)."""
    from tests.helpers import plan_when_only_indexes

    sql, params = listing(actor=street_cadre)[:20].query.sql_with_params()
    plan = plan_when_only_indexes(sql, params)
    assert index in plan, plan
    assert "Sort" not in plan, plan
