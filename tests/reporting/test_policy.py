"""The reporting gates, once each, with the named people of tests/conftest.py."""

from datetime import date

import pytest

from portal.policy import allowed
from reporting.catalogue.policy import access_alias_change, access_element_change
from reporting.flow import writes as flow_writes
from reporting.flow.policy import (
    access_assignment_delegate,
    access_assignment_fill,
    access_assignment_submit,
    access_delegation_fill,
    access_reminders_send,
    access_task_accept,
    access_task_create,
    access_task_decide,
    access_task_export,
    access_task_issue,
    access_task_return,
)
from reporting.intake.policy import (
    access_field_review_confirm,
    access_template_create,
    access_template_file,
    access_template_upload,
)
from reporting.models import FieldReview, ReportAssignment
from tests.reporting import flowkit

pytestmark = pytest.mark.django_db

PEOPLE = [
    "street_admin", "street_cadre", "community_cadre", "other_community_cadre", "grid_worker",
    "partner_staff", "party_officer", "integration", "outsider",
]  # fmt: skip


def who(request, gate, obj=None) -> set[str]:
    return {name for name in PEOPLE if allowed(gate, request.getfixturevalue(name), obj)}


STREET = {"street_admin", "street_cadre"}


@pytest.fixture
def issued(street_cadre, community_a, community_b):
    flowkit.catalogue_ensure()
    template = flowkit.send_form(street_cadre, form_id="G1", labels=["户籍人口数", "情况说明"])
    task = flow_writes.task_create(
        actor=street_cadre,
        template=template,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
    )
    task = flow_writes.task_approve(actor=street_cadre, task=task)
    return flow_writes.task_issue(actor=street_cadre, task=task)


def test_catalogue_gates(request):
    assert who(request, access_element_change) == STREET
    assert who(request, access_alias_change) == STREET


def test_intake_gates(request, issued):
    assert who(request, access_template_create) == STREET | {"integration"}
    assert who(request, access_template_upload) == STREET
    review = FieldReview.objects.filter(field__template=issued.template).first()
    assert who(request, access_field_review_confirm, review) == STREET
    assert who(request, access_template_file, issued.template) == STREET


def test_task_gates(request, issued, community_a):
    assert who(request, access_task_create) == STREET | {"integration"}
    assert who(request, access_task_decide, issued) == STREET
    assert who(request, access_task_issue, issued) == STREET
    assert who(request, access_task_export, issued) == STREET | {
        "community_cadre",
        "other_community_cadre",
    }
    assignment = ReportAssignment.objects.get(task=issued, community=community_a)
    assert who(request, access_task_accept, assignment) == STREET
    assert who(request, access_task_return, assignment) == STREET
    assert who(request, access_reminders_send) == STREET


def test_assignment_gates_are_the_communitys_own(
    request, issued, community_a, community_cadre, grid_worker
):
    assignment = ReportAssignment.objects.get(task=issued, community=community_a)
    assert who(request, access_assignment_fill, assignment) == STREET | {"community_cadre"}
    assert who(request, access_assignment_submit, assignment) == STREET | {"community_cadre"}
    assert who(request, access_assignment_delegate, assignment) == STREET | {"community_cadre"}
    asked = assignment.values.get(prefilled=False)
    delegation = flow_writes.assignment_delegate(
        actor=community_cadre, assignment=assignment, field_value=asked, worker=grid_worker
    )
    assert who(request, access_delegation_fill, delegation) == STREET | {
        "community_cadre",
        "grid_worker",
    }
