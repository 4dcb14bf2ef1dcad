"""The demo's reporting step (portal/demo/reporting.py): through the real intake and flow, it
leaves a form in every state `cadre` and `community` should meet, and a second load adds
nothing."""

import pytest

from portal.demo import accounts, registry
from portal.demo import reporting as demo_reporting
from reporting.dashboards.selectors import burden_dashboard
from reporting.flow.selectors import assignment_list
from reporting.models import ReportAssignment, ReportTask, ReportTemplate, TemplateDuplicate
from tests.reporting import flowkit

S = ReportTask.State
A = ReportAssignment.State


@pytest.fixture
def demo(db):
    flowkit.catalogue_ensure()
    ctx = {"seed": 20261128}
    accounts.load(ctx)
    registry.load(ctx)
    demo_reporting.load(ctx)
    return ctx


def test_every_state_is_there(demo):
    forms = ReportTemplate.objects.filter(external_id__startswith=demo_reporting.PREFIX)
    assert forms.count() == len(demo_reporting.FORMS) >= 24
    states = set(ReportTask.objects.filter(template__in=forms).values_list("state", flat=True))
    assert {
        S.REJECTED,
        S.ANSWERED_FROM_DATA,
        S.UNDER_REVIEW,
        S.PREFILLED,
        S.COMMUNITY_REVIEW,
        S.SUBMITTED,
        S.ACCEPTED,
        S.RETURNED,
    } <= states
    # Turned away on a withdrawn duty, with its basis quoted to the department.
    rejected = ReportTask.objects.filter(state=S.REJECTED).select_related("template__duty_item")
    assert rejected.count() >= 5
    assert all(t.template.duty_item.is_withdrawn and t.rejection_reason for t in rejected)
    # Outside the duty list: waiting for a case-by-case filing.
    assert forms.filter(filing_needed=True, filed_at__isnull=True).exists()
    # Duplicates, full and partial.
    kinds = set(TemplateDuplicate.objects.values_list("kind", flat=True))
    assert kinds == {TemplateDuplicate.Kind.FULL, TemplateDuplicate.Kind.PARTIAL}
    # The accepted task has the street's totals for the department.
    accepted = ReportTask.objects.get(state=S.ACCEPTED)
    assert accepted.answer and len(accepted.answer) == accepted.template.fields.count()


def test_community_and_cadre_have_work_waiting(demo):
    community = demo["users"]["community"]
    mine = assignment_list(actor=community)
    states = set(mine.values_list("state", flat=True))
    assert {A.PREFILLED, A.COMMUNITY_REVIEW, A.RETURNED, A.ACCEPTED} <= states
    returned = mine.get(state=A.RETURNED)
    assert returned.return_reason == demo_reporting.RETURN_REASON
    cadre = demo["users"]["cadre"]
    total = burden_dashboard(actor=cadre)["total"]
    assert total["rejected"] >= 5 and total["answered"] >= 5 and total["duplicates"] >= 2
    assert total["prefilled"] > 0 and total["asked"] > 0 and total["hours_saved"] > 0
    dashboard = burden_dashboard(actor=cadre)
    assert len(dashboard["by_month"]) >= 4  # the finished forms are dated back over months
    assert burden_dashboard(actor=community)["total"]["rejected"] == 0


def test_a_second_load_adds_nothing(demo):
    before = (ReportTemplate.objects.count(), ReportTask.objects.count())
    demo_reporting.load(demo)
    assert (ReportTemplate.objects.count(), ReportTask.objects.count()) == before
