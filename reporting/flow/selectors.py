"""Reads of the task flow: task lists, a task's assignments and history, a community's values,
a grid worker's delegated fields, and the department's answer (`task_answer`).

Every read starts from `visible_to(actor)` (reporting/flow/querysets.py) and owns its joins:
the lists annotate their counts with correlated subqueries, never one query per row.
"""

import datetime

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from grids.selectors import grid_staff_list
from reporting.flow.models import (
    AssignmentValue,
    FieldDelegation,
    ReportAssignment,
    ReportTask,
    TaskEvent,
)
from reporting.intake.models import FieldReview

S = ReportTask.State
A = ReportAssignment.State


def _count(queryset, fk: str):
    counted = (
        queryset.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def task_list(*, actor):
    """Tasks the actor sees, with the form, department and duty item, and the communities'
    progress (assignments, submitted, accepted)."""
    assignments = ReportAssignment.objects.all()
    return (
        ReportTask.objects.visible_to(actor)
        .select_related("template__department", "template__duty_item")
        .annotate(
            assignment_count=_count(assignments, "task"),
            submitted_count=_count(assignments.filter(state__in=[A.SUBMITTED, A.ACCEPTED]), "task"),
            accepted_count=_count(assignments.filter(state=A.ACCEPTED), "task"),
            returned_count=_count(assignments.filter(state=A.RETURNED), "task"),
        )
        .order_by("-created_at", "-pk")
    )


def task_events(*, actor, task):
    return TaskEvent.objects.visible_to(actor).filter(task=task).select_related("actor")


def task_reviews(*, task=None, template=None):
    """The fields of the task's form with their reviews, in the form's order (the caller has
    read the task or the form through its selector)."""
    template = template if template is not None else task.template
    return list(
        FieldReview.objects.filter(field__template=template)
        .select_related("field", "element", "proposed_element", "looks_like")
        .order_by("field__position")
    )


def assignment_list(*, actor):
    """Assignments the actor sees (a community cadre: their communities'), with the task, the
    form and how many asked fields are still empty."""
    empty = AssignmentValue.objects.filter(prefilled=False).filter(
        Q(value__isnull=True) | Q(value="")
    )
    return (
        ReportAssignment.objects.visible_to(actor)
        .select_related("task__template__department", "community")
        .annotate(empty_count=_count(empty, "assignment"))
        .order_by("task__deadline", "pk")
    )


def task_assignments(*, actor, task):
    return assignment_list(actor=actor).filter(task=task).order_by("community__code", "pk")


def assignment_values(*, actor, assignment):
    """The assignment's values the actor sees, in the form's order, each with its field and
    the field's review (element: for the link to correct the source record)."""
    return (
        AssignmentValue.objects.visible_to(actor)
        .filter(assignment=assignment)
        .select_related("field__review__element", "filled_by")
        .order_by("field__position")
    )


def assignment_delegations(*, actor, assignment):
    return (
        FieldDelegation.objects.visible_to(actor)
        .filter(assignment=assignment)
        .select_related("worker", "field")
    )


def delegation_list(*, actor):
    """The fields delegated to a grid worker (or, for a cadre, in their communities), with the
    value, the task's deadline and the community — and nothing else of the form."""
    value = AssignmentValue.objects.filter(
        assignment=OuterRef("assignment"), field=OuterRef("field")
    ).values("value")[:1]
    return (
        FieldDelegation.objects.visible_to(actor)
        .select_related("field", "assignment__community", "assignment__task__template")
        .annotate(current_value=Subquery(value))
        .order_by("assignment__task__deadline", "-pk")
    )


def delegate_choices(*, actor, assignment):
    """The grid staff in post today in the assignment's community, whom the actor sees."""
    posts = grid_staff_list(actor=actor, on=timezone.localdate()).filter(
        grid__community=assignment.community
    )
    people = {}
    for post in posts:
        people.setdefault(post.person_id, post.person)
    return list(people.values())


def tasks_due(*, on, days: tuple[int, ...]):
    """Open tasks whose deadline is `on` plus one of `days` (the reminders' read, the system's:
    beat reminds the holders whoever they are)."""
    deadlines = [on + datetime.timedelta(days=d) for d in days]
    return (
        ReportTask.objects.filter(deadline__in=deadlines)
        .exclude(state__in=[S.ANSWERED_FROM_DATA, S.REJECTED, S.ACCEPTED, S.ARCHIVED])
        .select_related("template")
        .order_by("pk")
    )


def open_assignments(*, task_ids):
    return ReportAssignment.objects.filter(
        task_id__in=task_ids, state__in=[A.PREFILLED, A.COMMUNITY_REVIEW, A.RETURNED]
    ).values_list("task_id", "community_id")


# --- The department's answer ------------------------------------------------------------------


def task_answer(task) -> dict:
    # `task` comes from task_list() (its counts annotated: no query here but the form's).
    """What the department reads (GET /api/v1/report-tasks/{id}/): the decision and what
    follows from it.

    - rejected: the duty item and its legal basis (or the street's reason);
    - filing_needed: the form cites no duty item; whether the filing is recorded;
    - under_review: the street is reviewing;
    - answered_from_data: the values, by field id;
    - issued: the communities' progress, and (once accepted) the street's totals.
    """
    template = task.template
    duty = template.duty_item
    if task.state == S.REJECTED or (task.state == S.ARCHIVED and template.rejected):
        answer = {"decision": "rejected", "reason": task.rejection_reason}
        if duty is not None and duty.is_withdrawn:
            answer.update({"duty_item": duty.code, "duty_name": duty.name, "basis": duty.basis})
        return answer
    issued = getattr(task, "assignment_count", None)
    if issued is None:
        issued = task.assignments.count()
    if task.answer is not None and task.state in (S.ANSWERED_FROM_DATA, S.ARCHIVED) and not issued:
        return {"decision": "answered_from_data", "values": task.answer}
    if task.state in (S.REQUESTED, S.UNDER_REVIEW, S.APPROVED):
        if template.filing_needed and not template.filed:
            return {"decision": "filing_needed", "filed": False}
        return {"decision": "under_review"}
    answer = {
        "decision": "issued",
        "progress": {
            "communities": issued,
            "submitted": task.submitted_count,
            "accepted": task.accepted_count,
            "returned": task.returned_count,
        },
    }
    if task.answer is not None:
        answer["values"] = task.answer
    return answer
