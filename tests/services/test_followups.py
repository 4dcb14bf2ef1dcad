"""Follow-up tasks (回访) and the reminders of the services loop (services/reminders.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.models import Notification
from services.models import FollowUpTask, Referral
from services.referrals import writes
from services.referrals.reminders import follow_up_reminders_send, referral_deadline_reminders_send
from services.tasks import reminders_send
from tests.grids.factories import HouseholdFactory, ResidentFactory
from tests.helpers import count_queries

Status = Referral.Status


@pytest.fixture
def in_service(make_referral):
    """`in_service(resident)` → a referral of that resident in service at partner P."""

    def make(resident, **fields):
        return make_referral(Status.IN_SERVICE, resident=resident, **fields)

    return make


def test_completing_opens_one_follow_up_for_the_grid_worker(
    in_service, resident_a, partner_staff, grid_worker, grid_leader
):
    referral = writes.referral_complete(actor=partner_staff, referral=in_service(resident_a))

    task = FollowUpTask.objects.get(referral=referral)
    assert task.assignee == grid_worker  # the grid's worker, not its leader
    assert task.due_on == timezone.localdate(referral.stage_deadline)
    assert task.done_at is None


def test_a_grid_without_worker_gives_the_follow_up_to_the_referral_creator(
    in_service, partner_staff, street_cadre, grid_b
):
    resident = ResidentFactory(household=HouseholdFactory(grid=grid_b))  # grid B has no worker
    referral = in_service(resident, created_by=street_cadre)

    writes.referral_complete(actor=partner_staff, referral=referral)

    assert FollowUpTask.objects.get(referral=referral).assignee == street_cadre


def test_closing_needs_outcome_and_satisfaction_and_marks_the_task_done(
    in_service, resident_a, partner_staff, grid_worker
):
    referral = writes.referral_complete(actor=partner_staff, referral=in_service(resident_a))
    referral = writes.referral_follow_up(actor=grid_worker, referral=referral, note="上门回访")

    with pytest.raises(Exception) as refused:
        writes.referral_close(actor=grid_worker, referral=referral, outcome="", satisfaction=0)
    assert set(refused.value.message_dict) == {"outcome", "satisfaction"}
    assert FollowUpTask.objects.get(referral=referral).done_at is None

    writes.referral_close(actor=grid_worker, referral=referral, outcome="已解决", satisfaction=4)
    task = FollowUpTask.objects.get(referral=referral)
    assert task.done_at is not None and task.done_by == grid_worker


def test_a_completed_referral_is_not_escalated_when_its_follow_up_is_late(
    in_service, resident_a, partner_staff
):
    from services.referrals.deadlines import referrals_escalate_overdue

    referral = writes.referral_complete(actor=partner_staff, referral=in_service(resident_a))
    later = referral.stage_deadline + timedelta(days=30)

    assert referrals_escalate_overdue(now=later)["escalated"] == 0
    referral.refresh_from_db()
    assert referral.status == Status.COMPLETED


def test_follow_up_reminder_once_per_task_and_due_date_then_the_community(
    in_service, resident_a, partner_staff, grid_worker, community_cadre, settings
):
    referral = writes.referral_complete(actor=partner_staff, referral=in_service(resident_a))
    due = FollowUpTask.objects.get(referral=referral).due_on

    assert follow_up_reminders_send(today=due - timedelta(days=1)) == {"due": 0, "sent": 0}
    assert follow_up_reminders_send(today=due)["sent"] == 1
    assert follow_up_reminders_send(today=due)["sent"] == 0  # beat fired again
    reminders = Notification.objects.filter(recipient=grid_worker, dedup_key__startswith="follow")
    assert reminders.count() == 1

    late = due + timedelta(days=settings.FOLLOW_UP_ESCALATE_DAYS)
    assert follow_up_reminders_send(today=late)["sent"] == 1  # the community cadre, once
    assert follow_up_reminders_send(today=late)["sent"] == 0
    reminder = Notification.objects.get(recipient=community_cadre)
    assert "王秀英" in reminder.title
    assert reminder.url == f"/services/referrals/{referral.pk}/"


def test_done_follow_ups_are_not_reminded(in_service, resident_a, partner_staff, grid_worker):
    referral = writes.referral_complete(actor=partner_staff, referral=in_service(resident_a))
    due = FollowUpTask.objects.get(referral=referral).due_on
    referral = writes.referral_follow_up(actor=grid_worker, referral=referral, note="电话回访")
    writes.referral_close(actor=grid_worker, referral=referral, outcome="好", satisfaction=5)

    assert follow_up_reminders_send(today=due + timedelta(days=10)) == {"due": 0, "sent": 0}


def test_follow_up_reminders_cost_the_same_queries_for_one_task_and_for_twenty(
    in_service, grid_a, partner_staff
):
    def complete(count):
        for _ in range(count):
            resident = ResidentFactory(household=HouseholdFactory(grid=grid_a))
            writes.referral_complete(actor=partner_staff, referral=in_service(resident))

    complete(1)
    due = FollowUpTask.objects.get().due_on
    one, _sql = count_queries(lambda: follow_up_reminders_send(today=due))
    complete(20)
    twenty, sql = count_queries(lambda: follow_up_reminders_send(today=due))
    assert one == twenty, "\n".join(sql)


def test_deadline_reminder_goes_to_who_must_act_once(
    make_referral, resident_a, grid_worker, partner_staff, other_partner_staff, street_cadre
):
    now = timezone.now()
    assigned = make_referral(
        Status.ASSIGNED,
        partner=partner_staff_partner(partner_staff),
        stage_deadline=now + timedelta(hours=5),
        consent=False,
    )
    submitted = make_referral(
        Status.SUBMITTED, partner=None, stage_deadline=now + timedelta(hours=20), consent=False
    )
    make_referral(  # far from its deadline: nobody hears yet
        Status.SUBMITTED, partner=None, stage_deadline=now + timedelta(days=3), consent=False
    )

    assert referral_deadline_reminders_send(now=now) == {"due": 2, "sent": 2}
    assert referral_deadline_reminders_send(now=now) == {"due": 2, "sent": 0}
    assert Notification.objects.get(recipient=partner_staff).url.endswith(f"/{assigned.pk}/")
    assert Notification.objects.get(recipient=street_cadre).url.endswith(f"/{submitted.pk}/")
    assert not Notification.objects.filter(recipient=other_partner_staff).exists()


def partner_staff_partner(user):
    from services.models import Partner, partners_of

    return Partner.objects.get(pk__in=partners_of(user))


def test_the_beat_task_runs_both_reminders(in_service, resident_a, partner_staff):
    writes.referral_complete(actor=partner_staff, referral=in_service(resident_a))

    result = reminders_send.apply().get()

    assert set(result) == {"deadlines", "follow_ups"}


def test_the_follow_up_list_and_home_card_show_what_is_not_done(
    client, in_service, resident_a, partner_staff, grid_worker, grid_leader
):
    from django.test import Client

    from tests.helpers import login

    done = writes.referral_complete(actor=partner_staff, referral=in_service(resident_a))
    done = writes.referral_follow_up(actor=grid_worker, referral=done, note="上门回访")
    writes.referral_close(actor=grid_worker, referral=done, outcome="好", satisfaction=5)
    late = writes.referral_complete(actor=partner_staff, referral=in_service(resident_a))
    FollowUpTask.objects.filter(referral=late).update(due_on=timezone.localdate() - timedelta(1))
    writes.referral_complete(actor=partner_staff, referral=in_service(resident_a))

    worker = login(Client(), grid_worker)
    page = worker.get("/services/referrals/?follow_up=mine").content.decode()
    home = worker.get("/").content.decode()

    assert page.count('data-testid="referral-row"') == 2  # the closed one is done
    assert "?follow_up=due" in home and "1 项已逾期" in home
    leader = login(Client(), grid_leader).get("/services/referrals/?follow_up=mine")
    assert leader.content.decode().count('data-testid="referral-row"') == 0  # not the leader's
    partner = login(Client(), partner_staff).get("/services/referrals/?follow_up=due")
    assert partner.status_code == 200  # the filter does not exist for partners: ignored
