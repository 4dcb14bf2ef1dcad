"""The task flow end to end, on the writes and the pages: issue → the community fills only the
new fields (prefilled figures read-only) → submit → accept; returned → refill; a field handed to
a grid worker, who sees nothing else; reminders once however often beat fires."""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from portal.models import Notification
from reporting.flow import selectors, writes
from reporting.flow.tasks import reminders_send
from reporting.models import AssignmentValue, FieldReview, ReportAssignment, ReportTask
from tests.helpers import Call, assert_access_matrix, assert_constant_queries, login, page_call
from tests.reporting import flowkit

pytestmark = pytest.mark.django_db

LABELS = ["户籍人口数", "户籍户数", "存在问题及下步计划", "辖区内老年食堂数量"]
START, END = date(2026, 1, 1), date(2026, 3, 31)


@pytest.fixture(autouse=True)
def _catalogue(db):
    flowkit.catalogue_ensure()


@pytest.fixture
def figures(monkeypatch, community_a, community_b):
    flowkit.fake_figures(monkeypatch, community_a, community_b)


@pytest.fixture
def issued(street_cadre, community_cadre, other_community_cadre, figures):
    template = flowkit.send_form(street_cadre, form_id="T1", labels=LABELS)
    task = writes.task_create(
        actor=street_cadre, template=template, period_start=START, period_end=END
    )
    assert task.state == ReportTask.State.UNDER_REVIEW
    task = writes.task_approve(actor=street_cadre, task=task)
    assert task.state == ReportTask.State.APPROVED  # two new fields: not answerable
    return writes.task_issue(actor=street_cadre, task=task)


def _mine(task, community):
    return ReportAssignment.objects.get(task=task, community=community)


def _asked(assignment):
    return {v.field.label: v for v in assignment.values.select_related("field") if not v.prefilled}


def test_issue_prefills_per_community_and_asks_only_the_new_fields(
    issued, community_a, community_b
):
    assert issued.state == ReportTask.State.PREFILLED
    a = _mine(issued, community_a)
    values = {v.field.label: v for v in a.values.select_related("field")}
    assert values["户籍人口数"].prefilled and values["户籍人口数"].value == 60
    assert values["户籍户数"].prefilled and values["户籍户数"].value == 25
    assert set(_asked(a)) == {"存在问题及下步计划", "辖区内老年食堂数量"}
    assert _mine(issued, community_b).values.get(field__label="户籍人口数").value == 40


def test_end_to_end_fill_submit_accept(
    issued, community_a, community_b, community_cadre, other_community_cadre, street_cadre
):
    for cadre, community, canteens in (
        (community_cadre, community_a, "2"),
        (other_community_cadre, community_b, "3"),
    ):
        assignment = _mine(issued, community)
        asked = _asked(assignment)
        writes.assignment_fill(
            actor=cadre,
            assignment=assignment,
            values={
                asked["存在问题及下步计划"].field_id: "无",
                asked["辖区内老年食堂数量"].field_id: canteens,
            },
        )
        writes.assignment_submit(actor=cadre, assignment=assignment)
    issued.refresh_from_db()
    assert issued.state == ReportTask.State.SUBMITTED
    for community in (community_a, community_b):
        writes.assignment_accept(actor=street_cadre, assignment=_mine(issued, community))
    issued.refresh_from_db()
    assert issued.state == ReportTask.State.ACCEPTED
    assert issued.answer["T1-01"] == 100  # the street's figure
    assert issued.answer["T1-04"] == 5  # asked numbers summed
    answer = selectors.task_answer(selectors.task_list(actor=street_cadre).get(pk=issued.pk))
    assert answer["decision"] == "issued"
    assert answer["progress"]["accepted"] == 2
    assert answer["values"]["T1-04"] == 5


def test_a_prefilled_figure_cannot_be_typed_over(issued, community_a, community_cadre):
    assignment = _mine(issued, community_a)
    prefilled = assignment.values.get(field__label="户籍人口数")
    with translation.override("en"), pytest.raises(Exception, match="correct the record"):
        writes.assignment_fill(
            actor=community_cadre, assignment=assignment, values={prefilled.field_id: "61"}
        )


def test_submit_needs_every_asked_field(issued, community_a, community_cadre):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        writes.assignment_submit(actor=community_cadre, assignment=_mine(issued, community_a))


def test_returned_then_filled_again(issued, community_a, community_cadre, street_cadre):
    assignment = _mine(issued, community_a)
    asked = _asked(assignment)
    writes.assignment_fill(
        actor=community_cadre,
        assignment=assignment,
        values={v.field_id: "1" for v in asked.values()},
    )
    writes.assignment_submit(actor=community_cadre, assignment=assignment)
    writes.assignment_return(actor=street_cadre, assignment=assignment, reason="食堂数量有误")
    assignment.refresh_from_db()
    issued.refresh_from_db()
    assert assignment.state == ReportAssignment.State.RETURNED
    assert issued.state == ReportTask.State.RETURNED
    assert Notification.objects.filter(recipient=community_cadre, body="食堂数量有误").exists()
    writes.assignment_fill(
        actor=community_cadre,
        assignment=assignment,
        values={asked["辖区内老年食堂数量"].field_id: "4"},
    )
    writes.assignment_submit(actor=community_cadre, assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.state == ReportAssignment.State.SUBMITTED
    assert assignment.values.get(field__label="辖区内老年食堂数量").value == 4


def test_a_cadre_cannot_touch_another_communitys_assignment(issued, community_b, community_cadre):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        writes.assignment_submit(actor=community_cadre, assignment=_mine(issued, community_b))


def test_a_grid_worker_sees_only_the_field_handed_to_them(
    issued, community_a, community_cadre, grid_worker, other_grid_worker, client
):
    assignment = _mine(issued, community_a)
    asked = _asked(assignment)
    canteens = asked["辖区内老年食堂数量"]
    delegation = writes.assignment_delegate(
        actor=community_cadre, assignment=assignment, field_value=canteens, worker=grid_worker
    )
    visible = AssignmentValue.objects.visible_to(grid_worker)
    assert list(visible.values_list("field__label", flat=True)) == ["辖区内老年食堂数量"]
    assert not AssignmentValue.objects.visible_to(other_grid_worker).exists()
    assert not ReportAssignment.objects.visible_to(grid_worker).exists()
    writes.delegation_fill(actor=grid_worker, delegation=delegation, value="2")
    assert AssignmentValue.objects.get(pk=canteens.pk).value == 2
    login(client, grid_worker)
    page = client.get("/reporting/asked/")
    assert "辖区内老年食堂数量" in page.content.decode()
    assert "存在问题" not in page.content.decode()
    assert client.get(f"/reporting/assignments/{assignment.pk}/").status_code == 404
    login(client, other_grid_worker)
    assert client.get(f"/reporting/asked/{delegation.pk}/").status_code == 404


def test_the_fill_page_on_a_phone_asks_only_the_new_fields(
    issued, community_a, community_cadre, client
):
    assignment = _mine(issued, community_a)
    login(client, community_cadre)
    page = client.get(f"/reporting/assignments/{assignment.pk}/").content.decode()
    assert page.count('data-testid="asked-row"') == 2
    assert page.count('data-testid="prefilled-row"') == 2
    assert 'data-testid="source-link"' in page  # 一数一源: correct the record, not the form
    asked = _asked(assignment)
    response = client.post(
        f"/reporting/assignments/{assignment.pk}/",
        {f"f{v.field_id}": "3" for v in asked.values()},
    )
    assert response.status_code == 302
    assert client.post(f"/reporting/assignments/{assignment.pk}/submit/").status_code == 302
    assignment.refresh_from_db()
    assert assignment.state == ReportAssignment.State.SUBMITTED


def test_pages_access_matrix(request, issued, community_a):
    assignment = _mine(issued, community_a)
    actions = {
        "tasks": Call("get", "/reporting/"),
        "task": Call("get", f"/reporting/tasks/{issued.pk}/"),
        "forms": Call("get", "/reporting/forms/"),
        "review": Call("get", f"/reporting/forms/{issued.template_id}/"),
        "mine": Call("get", "/reporting/assignments/"),
        "fill": Call("get", f"/reporting/assignments/{assignment.pk}/"),
        "submit": Call("post", f"/reporting/assignments/{assignment.pk}/submit/"),
        "accept": Call("post", f"/reporting/assignments/{assignment.pk}/accept/"),
        "asked": Call("get", "/reporting/asked/"),
        "catalogue": Call("get", "/reporting/catalogue/"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          tasks  task  forms  review  mine  fill  submit  accept  asked  catalogue
        # the street does everything (a submit with empty fields is refused with a message)
        street_admin      200    200   200    200     200   200   302     302     200    200
        street_cadre      200    200   200    200     200   200   302     302     200    200
        # a community cadre: their own community's assignment (and the fields it handed on);
        # the forms, their review and the acceptance are the street's
        community_cadre   200    200   403    403     200   200   302     403     200    403
        other_community_cadre 200 200  403    403     200   404   404     404     200    403
        grid_worker       403    404   403    403     403   404   404     404     200    403
        partner_staff     403    404   403    403     403   404   404     404     403    403
        party_officer     403    404   403    403     403   404   404     404     403    403
        outsider          403    404   403    403     403   404   404     404     403    403
        anonymous         302    302   302    302     302   302   302     302     302    302
        """,
        perform=page_call,
    )


def test_reminders_go_once_per_task_holder_and_deadline(
    issued, community_a, community_cadre, other_community_cadre, street_cadre
):
    today = timezone.localdate()
    ReportTask.objects.filter(pk=issued.pk).update(deadline=today + timedelta(days=2))
    waiting = writes.task_create(
        actor=street_cadre,
        template=flowkit.send_form(street_cadre, form_id="T2", labels=["情况说明"]),
        period_start=START,
        period_end=END,
    )
    ReportTask.objects.filter(pk=waiting.pk).update(deadline=today)
    first = writes.reminders_send(actor=None, today=today)
    second = writes.reminders_send(actor=None, today=today)
    assert second["sent"] == 0
    key_issued = f"reporting-deadline:{issued.pk}:{today + timedelta(days=2)}:2"
    assert set(
        Notification.objects.filter(dedup_key=key_issued).values_list(
            "recipient__username", flat=True
        )
    ) == {
        "t_community",
        "t_community2",
    }
    key_waiting = f"reporting-deadline:{waiting.pk}:{today}:0"
    assert set(
        Notification.objects.filter(dedup_key=key_waiting).values_list(
            "recipient__username", flat=True
        )
    ) == {"t_cadre"}
    assert first["sent"] == 3


def test_the_beat_task_runs_once_per_day(issued, community_a):
    ReportTask.objects.filter(pk=issued.pk).update(deadline=timezone.localdate())
    first = reminders_send.apply().get()
    again = reminders_send.apply().get()
    assert first["sent"] >= 1
    assert again == {"day": str(timezone.localdate()), "skipped": True}


def test_assignment_list_queries_do_not_grow(
    street_cadre, community_cadre, community_a, figures, client
):
    template = flowkit.send_form(street_cadre, form_id="Q1", labels=LABELS)
    login(client, community_cadre)
    counter = iter(range(1, 1000))

    def add_rows(n):
        for _ in range(n):
            day = START + timedelta(days=next(counter))
            task = writes.task_create(
                actor=street_cadre, template=template, period_start=START, period_end=day
            )
            task = writes.task_approve(actor=street_cadre, task=task)
            writes.task_issue(actor=street_cadre, task=task)

    # session, user, the page of assignments (count + rows with their empty counts), the
    # notifications badge
    assert_constant_queries(add_rows=add_rows, fetch=lambda: client.get("/reporting/assignments/"))
    assert_constant_queries(add_rows=lambda n: None, fetch=lambda: client.get("/reporting/"))


def test_field_reviews_are_stored_with_their_reasons(street_cadre):
    template = flowkit.send_form(street_cadre, form_id="R1", labels=[*LABELS, "65周岁以上老人数"])
    reviews = {
        r.field.label: r
        for r in FieldReview.objects.filter(field__template=template).select_related(
            "field", "looks_like"
        )
    }
    assert reviews["户籍人口数"].element.code == "DE001"
    assert reviews["户籍人口数"].reason
    look_alike = reviews["65周岁以上老人数"]
    assert look_alike.element is None and look_alike.looks_like is not None
    assert "age" in look_alike.differs
