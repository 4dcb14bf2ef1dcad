"""The burden dashboard: its numbers against an independent count of a small fixture (written
as plain Python over the rows, not the dashboard's grouped queries), the access matrix, the
hours-saved rule, constant query counts, and the home card."""

import datetime
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from portal.hooks import home_card_providers, home_cards_for
from reporting.dashboards import home, selectors
from reporting.dashboards.models import BurdenRule
from reporting.dashboards.writes import burden_rule_set
from reporting.flow import writes
from reporting.models import (
    AssignmentValue,
    ReportAssignment,
    ReportTask,
    ReportTemplate,
    TaskEvent,
    TemplateDuplicate,
)
from tests.helpers import Call, assert_access_matrix, assert_constant_queries, login, page_call
from tests.reporting import flowkit

pytestmark = pytest.mark.django_db

START, END = date(2026, 1, 1), date(2026, 3, 31)
ISSUED = ["户籍人口数", "户籍户数", "存在问题及下步计划", "辖区内老年食堂数量"]
ANSWERABLE = ["户籍人口数", "户籍户数"]
HEALTH = "瑞安市卫生健康局"
CIVIL = "瑞安市民政局"


@pytest.fixture(autouse=True)
def _catalogue(db):
    flowkit.catalogue_ensure()


@pytest.fixture
def figures(monkeypatch, community_a, community_b):
    flowkit.fake_figures(monkeypatch, community_a, community_b)


@pytest.fixture
def street_forms(street_cadre, community_cadre, other_community_cadre, figures):
    """Three forms of two departments: one issued to both communities (two fields prefilled,
    two asked), one repeating it and answered from the data, one on a withdrawn duty (received
    a month earlier)."""
    issued = flowkit.send_form(street_cadre, form_id="B1", labels=ISSUED, department=CIVIL)
    task = writes.task_create(
        actor=street_cadre, template=issued, period_start=START, period_end=END
    )
    task = writes.task_approve(actor=street_cadre, task=task)
    writes.task_issue(actor=street_cadre, task=task)

    repeat = flowkit.send_form(street_cadre, form_id="B2", labels=ANSWERABLE, department=CIVIL)
    answered = writes.task_create(
        actor=street_cadre, template=repeat, period_start=START, period_end=END
    )
    assert answered.state == ReportTask.State.ANSWERED_FROM_DATA

    withdrawn = flowkit.send_form(
        street_cadre, form_id="B3", labels=ANSWERABLE, duty="D26", department=HEALTH
    )
    rejected = writes.task_create(
        actor=street_cadre, template=withdrawn, period_start=START, period_end=END
    )
    assert rejected.state == ReportTask.State.REJECTED
    earlier = withdrawn.created_at - datetime.timedelta(days=40)
    ReportTemplate.objects.filter(pk=withdrawn.pk).update(created_at=earlier)
    ReportTask.objects.filter(pk=rejected.pk).update(created_at=earlier)
    return {"issued": issued, "repeat": repeat, "withdrawn": withdrawn}


def _month(moment) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m")


def independent_count(*, community=None) -> dict:
    """The dashboard's figures counted row by row in Python, by department and month — over
    every row (the street) or over one community's share (written without visible_to)."""
    tasks = list(ReportTask.objects.select_related("template__department"))
    values = list(AssignmentValue.objects.select_related("assignment__task__template__department"))
    assignments = list(ReportAssignment.objects.all())
    reached = {(e.task_id, e.to_state) for e in TaskEvent.objects.all()}
    if community is not None:
        mine = {a.task_id for a in assignments if a.community_id == community.pk}
        tasks = [t for t in tasks if t.pk in mine]
        values = [v for v in values if v.assignment.community_id == community.pk]
        templates = [
            t for t in ReportTemplate.objects.all() if t.pk in {x.template_id for x in tasks}
        ]
        repeating = set()  # the duplicates are the street's review: not a community's to see
    else:
        templates = list(ReportTemplate.objects.select_related("department"))
        repeating = {d.template_id for d in TemplateDuplicate.objects.all()}
    out: dict = {}

    def cell(department, month):
        return out.setdefault(
            (department, month),
            dict.fromkeys(selectors.COUNTS, 0),
        )

    for t in templates:
        c = cell(t.department.name, _month(t.created_at))
        c["forms"] += 1
        c["rejected"] += t.rejected
        c["duplicates"] += t.pk in repeating
    for t in tasks:
        c = cell(t.template.department.name, _month(t.created_at))
        c["tasks"] += 1
        c["answered"] += (t.pk, ReportTask.State.ANSWERED_FROM_DATA) in reached
        c["tasks_rejected"] += (t.pk, ReportTask.State.REJECTED) in reached
        c["issued"] += (t.pk, ReportTask.State.ISSUED) in reached
    for v in values:
        c = cell(v.assignment.task.template.department.name, _month(v.assignment.task.created_at))
        c["prefilled" if v.prefilled else "asked"] += 1
    return out


def _cells(dashboard) -> dict:
    return {
        (row["department"], row["month"]): {name: row[name] for name in selectors.COUNTS}
        for row in dashboard["cells"]
    }


def test_street_numbers_match_an_independent_count(street_forms, street_cadre):
    dashboard = selectors.burden_dashboard(actor=street_cadre)
    assert _cells(dashboard) == independent_count()
    total = dashboard["total"]
    # The fixture as written: 3 forms, 1 turned away, 1 repeat, 1 answered, 1 issued to two
    # communities with 2 fields prefilled and 2 asked in each.
    assert {k: total[k] for k in selectors.COUNTS} == {
        "forms": 3,
        "rejected": 1,
        "duplicates": 1,
        "tasks": 3,
        "answered": 1,
        "tasks_rejected": 1,
        "issued": 1,
        "prefilled": 4,
        "asked": 4,
    }
    assert total["share_prefilled"] == Decimal("50.0")
    # 4 fields × 5 min + 1 answered × 120 min + 1 rejected × 60 min = 200 min
    assert total["hours_saved"] == Decimal("3.3")
    departments = {row["department"]: row for row in dashboard["by_department"]}
    assert departments[CIVIL]["forms"] == 2 and departments[CIVIL]["hours_saved"] == Decimal("2.3")
    assert departments[HEALTH]["rejected"] == 1 and departments[HEALTH]["hours_saved"] == Decimal(
        "1.0"
    )
    assert len(dashboard["by_month"]) == 2  # the withdrawn-duty form came a month earlier
    assert [b["duty_item__code"] for b in dashboard["bases"]] == ["D26"]
    assert dashboard["bases"][0]["duty_item__basis"]


def test_a_community_cadre_counts_their_communitys_share(
    street_forms, community_cadre, community_a
):
    dashboard = selectors.burden_dashboard(actor=community_cadre)
    assert _cells(dashboard) == independent_count(community=community_a)
    total = dashboard["total"]
    assert (total["forms"], total["rejected"], total["answered"], total["duplicates"]) == (
        1,
        0,
        0,
        0,
    )
    assert (total["prefilled"], total["asked"]) == (2, 2)
    assert total["hours_saved"] == Decimal("0.2")  # 2 × 5 min
    assert dashboard["bases"] == []


def test_the_rule_changes_the_hours_and_is_shown(street_forms, street_cadre, client, english):
    burden_rule_set(
        actor=street_cadre, minutes_per_prefilled_field=15, minutes_per_answered_form=60
    )
    rule = BurdenRule.current()
    assert (rule.minutes_per_prefilled_field, rule.minutes_per_answered_form) == (15, 60)
    assert rule.minutes_per_rejected_form == 60  # not given: kept
    total = selectors.burden_dashboard(actor=street_cadre)["total"]
    assert total["hours_saved"] == Decimal("3.0")  # (4×15 + 60 + 60) / 60
    login(client, street_cadre)
    page = client.get(reverse("reporting:dashboard")).content.decode()
    assert "15 minutes for each field prefilled in each community" in page
    assert 'data-testid="hours-saved">3.0<' in page


def test_the_rule_is_the_streets(community_cadre, street_cadre):
    with pytest.raises(PermissionDenied):
        burden_rule_set(actor=community_cadre, minutes_per_prefilled_field=1)
    rule = burden_rule_set(actor=street_cadre, minutes_per_prefilled_field=7)
    assert rule.updated_by == street_cadre
    from portal.models import AuditEvent

    assert AuditEvent.objects.filter(action="reporting.burden_rule_set").count() == 1


def test_defaults_without_a_stored_rule(db):
    rule = BurdenRule.current()
    assert rule.pk == 1 and not BurdenRule.objects.exists()
    assert rule.hours(prefilled=12, answered=0, rejected=0) == Decimal("1.0")


def test_access_matrix(request, street_forms):
    url = "/reporting/dashboard/"
    actions = {
        "dashboard": Call("get", url),
        "rule": Call("get", url + "rule/"),
        "rule_set": Call(
            "post",
            url + "rule/",
            {
                "minutes_per_prefilled_field": 4,
                "minutes_per_answered_form": 90,
                "minutes_per_rejected_form": 30,
            },
        ),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          dashboard  rule  rule_set
        street_admin      200        200   302
        street_cadre      200        200   302
        # their communities' share; the rule is the street's
        community_cadre   200        403   403
        # a grid worker sees single delegated fields, not the module's figures
        grid_leader       403        403   403
        grid_worker       403        403   403
        partner_staff     403        403   403
        party_officer     403        403   403
        integration       403        403   403
        outsider          403        403   403
        anonymous         302        302   302
        """,
        perform=page_call,
    )


def test_the_page_shows_the_figures(street_forms, street_cadre, community_cadre, client, english):
    login(client, street_cadre)
    page = client.get(reverse("reporting:dashboard")).content.decode()
    assert 'data-testid="forms">3<' in page
    assert 'data-testid="rejected">1<' in page
    assert 'data-testid="answered">1<' in page
    assert 'data-testid="share-prefilled">50.0%<' in page
    assert "D26" in page and HEALTH in page and CIVIL in page
    assert "chart.umd.min.js" in page
    login(client, community_cadre)
    page = client.get(reverse("reporting:dashboard")).content.decode()
    assert 'data-testid="forms">1<' in page
    assert HEALTH not in page  # the form turned away never reached a community


def test_dashboard_queries_are_constant(street_cadre, community_cadre, figures, client):
    login(client, street_cadre)
    serial = iter(range(10_000))

    def add_rows(n):
        for _ in range(n):
            i = next(serial)
            department = f"瑞安市第{i}局"
            rejected = flowkit.send_form(
                street_cadre,
                form_id=f"Q{i}R",
                labels=ANSWERABLE,
                duty="D27",
                department=department,
            )
            writes.task_create(
                actor=street_cadre, template=rejected, period_start=START, period_end=END
            )
            answered = flowkit.send_form(
                street_cadre, form_id=f"Q{i}A", labels=ANSWERABLE, department=department
            )
            writes.task_create(
                actor=street_cadre, template=answered, period_start=START, period_end=END
            )

    url = reverse("reporting:dashboard")
    assert_constant_queries(add_rows=add_rows, fetch=lambda: client.get(url))
    # The selector alone: rule, forms, tasks, values, bases.
    from tests.helpers import count_queries

    n, _sql = count_queries(lambda: selectors.burden_dashboard(actor=street_cadre))
    assert n == 5


def test_home_cards(street_forms, street_cadre, community_cadre, grid_worker, partner_staff):
    with translation.override("en"):
        (street,) = home.cards(street_cadre)
    assert street.title == "Reporting tasks waiting for the street"
    assert street.value == "0"  # the issued task is with the communities
    (card,) = home.cards(community_cadre)
    assert card.value == "1"
    assert card.url == reverse("reporting:assignment-list")
    assert home.cards(grid_worker) == []  # nothing handed to them
    assert home.cards(partner_staff) == []
    assert home.cards in home_card_providers
    assert any(c.url == card.url for c in home_cards_for(community_cadre))


def test_home_card_of_the_street_counts_what_it_holds(street_cadre, figures):
    template = flowkit.send_form(street_cadre, form_id="H1", labels=ISSUED)
    writes.task_create(actor=street_cadre, template=template, period_start=START, period_end=END)
    (card,) = home.cards(street_cadre)
    assert card.value == "1"  # under review
