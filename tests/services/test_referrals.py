"""Referrals: the state machine of services/referrals.py and its API.

Every (state × transition) pair of the one table is tried: the illegal ones are refused with a
conflict and write nothing, the legal ones write one history row and one audit event. Then
the whole loop, consent, declines, two partners racing on one referral, and what partners see.
"""

import threading
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from grids.models import VisitNeed
from grids.writes import visit_record
from portal.models import AuditEvent, Notification
from services.models import Referral, ReferralEvent
from services.referrals import writes
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.helpers import Call, assert_access_matrix, assert_constant_queries

Status = Referral.Status


@pytest.fixture
def actors(grid_worker, street_admin, partner_staff):
    """The person who may perform each transition on a referral of grid A given to partner P."""
    local, street, partner = grid_worker, street_admin, partner_staff
    return {
        "submit": local,
        "approve": street,
        "reject": street,
        "assign": street,
        "accept": partner,
        "decline": partner,
        "start": partner,
        "complete": partner,
        "follow_up": local,
        "close": local,
        "cancel": local,
        "escalate": None,
    }


def arguments(name, partner):
    return {
        "reject": {"reason": "重复申请"},
        "assign": {"partner": partner},
        "decline": {"reason": writes.DeclineReason.CAPACITY},
        "follow_up": {"note": "老人满意"},
        "close": {"outcome": "已完成助洁", "satisfaction": 5},
        "cancel": {"reason": writes.CancelReason.DECEASED},
    }.get(name, {})


def perform(name, referral, actors, partner):
    return writes.TRANSITION_FUNCTIONS[name](
        actor=actors[name], referral=referral, **arguments(name, partner)
    )


def test_every_transition_has_a_function():
    assert set(writes.TRANSITION_FUNCTIONS) == set(writes.TRANSITIONS)
    assert all(t.target in Status.values for t in writes.TRANSITIONS.values())


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(writes.TRANSITIONS))
@pytest.mark.parametrize("state", Status.values)
def test_transition_table(state, name, make_referral, actors, partner_p):
    """Legal: one event, one audit row, the table's target. Illegal: a conflict, nothing written."""
    referral = make_referral(state)
    transition = writes.TRANSITIONS[name]
    events_before = ReferralEvent.objects.filter(referral=referral).count()
    if state in transition.sources:
        result = perform(name, referral, actors, partner_p)
        assert result.status == transition.target
        events = ReferralEvent.objects.filter(referral=referral)
        assert events.count() == events_before + 1
        event = events.last()
        assert (event.from_status, event.to_status) == (state, transition.target)
        assert event.actor == actors[name]
        assert (
            AuditEvent.objects.filter(action=f"referral.{name}", object_id=str(referral.pk)).count()
            == 1
        )
    else:
        with pytest.raises(writes.ReferralConflict):
            perform(name, referral, actors, partner_p)
        referral.refresh_from_db()
        assert referral.status == state
        assert ReferralEvent.objects.filter(referral=referral).count() == events_before
        assert not AuditEvent.objects.filter(action=f"referral.{name}").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "state", "wrong"),
    [
        ("approve", Status.SUBMITTED, "grid_worker"),
        ("assign", Status.APPROVED, "partner_staff"),
        ("accept", Status.ASSIGNED, "other_partner_staff"),
        ("accept", Status.ASSIGNED, "street_admin"),
        ("complete", Status.IN_SERVICE, "grid_worker"),
        ("close", Status.FOLLOWED_UP, "other_grid_worker"),
        ("close", Status.FOLLOWED_UP, "partner_staff"),
        ("submit", Status.DRAFT, "other_grid_worker"),
        ("escalate", Status.ASSIGNED, "grid_worker"),
    ],
)
def test_wrong_person_is_refused(name, state, wrong, make_referral, partner_p, request):
    referral = make_referral(state)
    actor = request.getfixturevalue(wrong)
    with pytest.raises(PermissionDenied):
        writes.TRANSITION_FUNCTIONS[name](
            actor=actor, referral=referral, **arguments(name, partner_p)
        )
    referral.refresh_from_db()
    assert referral.status == state


@pytest.mark.django_db
def test_full_loop_from_a_visit_need(
    grid_worker, street_admin, partner_staff, partner_p, cleaning, resident_a
):
    visit = visit_record(
        findings="身体尚好，无异常",
        actor=grid_worker,
        resident=resident_a,
        needs=[
            {
                "category": VisitNeed.Category.CLEANING,
                "description": "家里需要打扫",
                "resident": resident_a,
            }
        ],
    )
    need = visit.needs.get()
    referral = writes.referral_create_from_need(actor=grid_worker, need=need, service_item=cleaning)
    need.refresh_from_db()
    assert need.status == VisitNeed.Status.REFERRED
    assert referral.status == Status.DRAFT and referral.description == "家里需要打扫"

    writes.referral_record_consent(
        actor=grid_worker, referral=referral, consent_by=Referral.ConsentBy.RESIDENT
    )
    referral = writes.referral_submit(actor=grid_worker, referral=referral)
    assert referral.stage_deadline is not None
    writes.referral_approve(actor=street_admin, referral=referral)
    writes.referral_assign(actor=street_admin, referral=referral, partner=partner_p)
    assert Notification.objects.filter(recipient=partner_staff).count() == 1
    writes.referral_accept(actor=partner_staff, referral=referral)
    writes.referral_start(actor=partner_staff, referral=referral)
    writes.referral_complete(actor=partner_staff, referral=referral)
    assert Notification.objects.filter(recipient=grid_worker).count() == 2  # accepted, completed
    writes.referral_follow_up(actor=grid_worker, referral=referral, note="回访：很满意")
    referral = writes.referral_close(
        actor=grid_worker, referral=referral, outcome="每周助洁两次", satisfaction=5
    )
    assert referral.status == Status.CLOSED
    assert referral.stage_deadline is None
    assert (referral.outcome, referral.satisfaction) == ("每周助洁两次", 5)
    assert list(referral.events.values_list("to_status", flat=True)) == [
        "draft", "submitted", "approved", "assigned", "accepted", "in_service", "completed",
        "followed_up", "closed",
    ]  # fmt: skip


@pytest.mark.django_db
def test_close_needs_outcome_and_satisfaction(make_referral, grid_worker):
    referral = make_referral(Status.FOLLOWED_UP)
    with pytest.raises(ValidationError) as exc:
        writes.referral_close(actor=grid_worker, referral=referral, outcome="", satisfaction=6)
    assert set(exc.value.message_dict) == {"outcome", "satisfaction"}
    referral.refresh_from_db()
    assert referral.status == Status.FOLLOWED_UP


@pytest.mark.django_db
def test_decline_returns_to_approved_with_the_reason(make_referral, partner_staff, grid_worker):
    referral = make_referral(Status.ASSIGNED)
    result = writes.referral_decline(
        actor=partner_staff, referral=referral, reason=writes.DeclineReason.OUT_OF_AREA
    )
    assert result.status == Status.APPROVED
    assert result.partner is None
    event = referral.events.get()
    assert (event.from_status, event.to_status, event.reason) == (
        Status.ASSIGNED, Status.APPROVED, "out_of_area",
    )  # fmt: skip
    assert Notification.objects.filter(recipient=grid_worker).exists()


@pytest.mark.django_db
def test_decline_reason_from_the_list(make_referral, partner_staff):
    referral = make_referral(Status.ASSIGNED)
    with pytest.raises(ValidationError):
        writes.referral_decline(actor=partner_staff, referral=referral, reason="too busy")
    referral.refresh_from_db()
    assert referral.status == Status.ASSIGNED


@pytest.mark.django_db
def test_assign_needs_consent(make_referral, street_admin, partner_p):
    referral = make_referral(Status.APPROVED, partner=None, consent=False)
    with pytest.raises(ValidationError) as exc:
        writes.referral_assign(actor=street_admin, referral=referral, partner=partner_p)
    assert "consent_by" in exc.value.message_dict
    referral.refresh_from_db()
    assert (referral.status, referral.partner) == (Status.APPROVED, None)
    assert not referral.events.exists()


@pytest.mark.django_db
def test_a_child_needs_a_guardians_consent(
    make_referral, grid_a, grid_worker, street_admin, partner_p
):
    today = timezone.localdate()
    child = ResidentFactory(
        name="小明", birth_date=date(today.year - 10, 1, 1), household=HouseholdFactory(grid=grid_a)
    )
    referral = make_referral(Status.APPROVED, resident=child, partner=None)  # the child "consented"
    with pytest.raises(ValidationError):
        writes.referral_assign(actor=street_admin, referral=referral, partner=partner_p)
    with pytest.raises(ValidationError):
        writes.referral_record_consent(
            actor=grid_worker, referral=referral, consent_by=Referral.ConsentBy.RESIDENT
        )
    with pytest.raises(ValidationError):
        writes.referral_record_consent(
            actor=grid_worker, referral=referral, consent_by=Referral.ConsentBy.GUARDIAN
        )
    writes.referral_record_consent(
        actor=grid_worker,
        referral=referral,
        consent_by=Referral.ConsentBy.GUARDIAN,
        guardian_name="小明妈妈",
    )
    result = writes.referral_assign(actor=street_admin, referral=referral, partner=partner_p)
    assert result.status == Status.ASSIGNED


@pytest.mark.django_db
def test_assign_only_to_a_partner_that_provides_the_item(make_referral, street_admin, cleaning):
    from tests.services.factories import PartnerFactory

    stranger = PartnerFactory(name="别家机构")
    referral = make_referral(Status.APPROVED, partner=None)
    with pytest.raises(ValidationError) as exc:
        writes.referral_assign(actor=street_admin, referral=referral, partner=stranger)
    assert "partner" in exc.value.message_dict


@pytest.mark.django_db
def test_assign_checks_eligibility(make_referral, street_admin, partner_p, cleaning):
    """Depends on services/eligibility.py (resident_is_eligible)."""
    cleaning.eligibility_rule = "dibao"  # resident_a carries no tags
    cleaning.save()
    referral = make_referral(Status.APPROVED, partner=None)
    with pytest.raises(ValidationError) as exc:
        writes.referral_assign(actor=street_admin, referral=referral, partner=partner_p)
    assert "service_item" in exc.value.message_dict


@pytest.mark.django_db
def test_create_refuses_a_resident_out_of_scope(other_grid_worker, resident_a, cleaning):
    with pytest.raises(ValidationError):
        writes.referral_create(actor=other_grid_worker, resident=resident_a, service_item=cleaning)
    assert not Referral.objects.exists()


@pytest.mark.django_db
def test_partner_staff_cannot_create(partner_staff, resident_a, cleaning):
    with pytest.raises(PermissionDenied):
        writes.referral_create(actor=partner_staff, resident=resident_a, service_item=cleaning)


# --- Two partners' staff accept at the same moment ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_one_wins(make_referral, partner_p):
    from portal.roles import Role
    from services.catalogue.writes import partner_staff_bind
    from tests.portal.factories import UserFactory

    staff = []
    for n in range(2):
        user = UserFactory(username=f"t_race{n}", role=Role.PARTNER_STAFF)
        partner_staff_bind(actor=None, person=user, partner=partner_p)
        staff.append(user)
    referral = make_referral(Status.ASSIGNED)
    barrier = threading.Barrier(2)
    results = []

    def accept(user):
        try:
            barrier.wait(timeout=10)
            writes.referral_accept(actor=user, referral=referral)
            results.append("won")
        except writes.ReferralConflict:
            results.append("conflict")
        except Exception as exc:
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(user,)) for user in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["conflict", "won"]
    assert referral.events.filter(to_status=Status.ACCEPTED).count() == 1
    referral.refresh_from_db()
    assert referral.status == Status.ACCEPTED


# --- API -------------------------------------------------------------------------------------


def url(referral=None, action=None):
    if referral is None:
        return reverse("referral-list")
    if action is None:
        return reverse("referral-detail", args=[referral.pk])
    return reverse(f"referral-{action}", args=[referral.pk])


@pytest.mark.django_db
def test_api_conflict_is_409(make_referral, partner_staff, api_client_for):
    referral = make_referral(Status.ACCEPTED)
    response = api_client_for(partner_staff).post(url(referral, "accept"), {}, format="json")
    assert response.status_code == 409
    assert "detail" in response.json()


@pytest.mark.django_db
def test_api_bad_input_is_400_with_fields(make_referral, partner_staff, api_client_for):
    referral = make_referral(Status.ASSIGNED)
    response = api_client_for(partner_staff).post(
        url(referral, "decline"), {"reason": "busy"}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()
    referral.refresh_from_db()
    assert referral.status == Status.ASSIGNED


@pytest.mark.django_db
def test_api_walks_the_loop(
    grid_worker, street_admin, partner_staff, partner_p, cleaning, resident_a, api_client_for
):
    worker = api_client_for(grid_worker)
    created = worker.post(
        url(), {"resident": resident_a.pk, "service_item": cleaning.pk}, format="json"
    )
    assert created.status_code == 201, created.content
    referral = Referral.objects.get(pk=created.json()["id"])
    steps = [
        (worker, "consent", {"consent_by": "resident"}),
        (worker, "submit", {}),
        (api_client_for(street_admin), "approve", {}),
        (api_client_for(street_admin), "assign", {"partner": partner_p.pk}),
        (api_client_for(partner_staff), "accept", {}),
        (api_client_for(partner_staff), "start", {}),
        (api_client_for(partner_staff), "complete", {}),
        (worker, "follow-up", {"note": "满意"}),
        (worker, "close", {"outcome": "完成", "satisfaction": 4}),
    ]
    for client, action, body in steps:
        response = client.post(url(referral, action), body, format="json")
        assert response.status_code == 200, (action, response.content)
    assert response.json()["status"] == "closed"


@pytest.mark.django_db
def test_api_create_from_a_need(grid_worker, resident_a, cleaning, api_client_for):
    visit = visit_record(
        findings="身体尚好，无异常",
        actor=grid_worker,
        resident=resident_a,
        needs=[
            {"category": VisitNeed.Category.CLEANING, "description": "打扫", "resident": resident_a}
        ],
    )
    need = visit.needs.get()
    response = api_client_for(grid_worker).post(
        url(), {"need": need.pk, "service_item": cleaning.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["resident"] == resident_a.pk
    need.refresh_from_db()
    assert need.status == VisitNeed.Status.REFERRED


@pytest.mark.django_db
def test_api_matrix(request, make_referral, resident_b, partner_q, cleaning, other_partner_staff):
    mine = make_referral(Status.ASSIGNED)  # grid A, partner P
    theirs = make_referral(Status.ASSIGNED, resident=resident_b, partner=partner_q)
    actions = {
        "list": Call("get", url()),
        "mine": Call("get", url(mine)),
        "theirs": Call("get", url(theirs)),
        "create": Call("post", url(), {"resident": mine.resident_id, "service_item": cleaning.pk}),
        "accept": Call("post", url(mine, "accept")),
    }

    assert_access_matrix(
        request,
        actions,
        """
                           list  mine  theirs  create  accept
        street_admin       200   200   200     201     403
        street_cadre       200   200   200     201     403
        community_cadre    200   200   404     201     403
        grid_leader        200   200   404     201     403
        grid_worker        200   200   404     201     403
        other_grid_worker  200   404   200     400     404
        partner_staff      200   200   404     403     200
        party_officer      403   404   404     403     404
        outsider           403   404   404     403     404
        anonymous          401   401   401     401     401
        """,
    )


@pytest.mark.django_db
def test_partner_list_holds_only_its_own(
    make_referral, resident_b, partner_q, partner_staff, api_client_for
):
    mine = make_referral(Status.ASSIGNED)
    make_referral(Status.ASSIGNED, resident=resident_b, partner=partner_q)
    rows = api_client_for(partner_staff).get(url()).json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]


PARTNER_FIELDS = [
    "id", "resident_name", "resident_age", "resident_sex", "address", "contact_phone",
    "guardian_name", "description", "need_category", "service_item", "service_item_name",
    "status", "stage_deadline", "created_at", "updated_at",
    "plan_quantity", "plan_period", "plan_start", "plan_end",
]  # fmt: skip


@pytest.mark.django_db
def test_partner_sees_exactly_the_allowed_fields(
    make_referral, partner_staff, api_client_for, resident_a
):
    """Snapshot: adding a field to the partner serializer must be a decision, made here."""
    referral = make_referral(Status.ASSIGNED)
    body = api_client_for(partner_staff).get(url(referral)).json()
    assert list(body) == PARTNER_FIELDS
    assert body["contact_phone"] == resident_a.phone
    assert resident_a.id_number not in str(body)
    assert AuditEvent.objects.filter(action="referral.partner_view", actor=partner_staff).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["grid_worker", "partner_staff"])
def test_list_constant_queries(person, request, make_referral, grid_a, api_client_for):
    client = api_client_for(request.getfixturevalue(person))

    def add_rows(n):
        for _ in range(n):
            make_referral(
                Status.ASSIGNED, resident=ResidentFactory(household=HouseholdFactory(grid=grid_a))
            )

    # grid worker 3: the scope's resolution (one query per request); the count; the page
    # (referral with resident, household, dwelling, building, grid, service, the need and its
    # visit, partner and author in one join). Partner staff 4: the same and the audit row of
    # what they were shown (referral.partner_view).
    expected = {"grid_worker": 3, "partner_staff": 4}[person]
    assert_constant_queries(add_rows=add_rows, fetch=lambda: client.get(url()), expected=expected)
