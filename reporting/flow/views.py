"""Pages of the task flow: the street's task list and a task's page (decide, issue, accept or
return each community's answer, export the department's layout filled in); a community's
assignments, filled on a phone (prefilled figures read-only, with a link to correct the record
they came from; only the new fields asked; a field handed to a grid worker); a grid worker's
asked fields.

Every write goes through reporting/flow/writes.py, whose gates decide who may act; rows come
from the selectors (out of scope: 404, as missing). A stale click (TaskConflict) is a message.
"""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.params import id_param
from portal.policy import allowed
from portal.spreadsheets import safe_cell, workbook_response
from portal.ui import form_errors, form_page, paginate
from reporting.flow import selectors, writes
from reporting.flow.forms import (
    DelegateForm,
    DelegationForm,
    ReasonForm,
    TaskForm,
    ValuesForm,
    quarter_default,
)
from reporting.flow.models import ReportTask
from reporting.flow.policy import (
    access_assignment_delegate,
    access_assignment_fill,
    access_assignment_list,
    access_assignment_submit,
    access_delegation_list,
    access_task_accept,
    access_task_archive,
    access_task_create,
    access_task_decide,
    access_task_export,
    access_task_issue,
    access_task_list,
)
from reporting.flow.sources import source_url
from reporting.intake import selectors as intake_selectors

S = ReportTask.State


def _task(request, pk):
    return get_object_or_404(selectors.task_list(actor=request.user), pk=pk)


def _run(request, write, success: str, **kwargs) -> bool:
    try:
        write(actor=request.user, **kwargs)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return False
    except writes.TaskConflict as exc:
        messages.warning(request, str(exc))
        return False
    messages.success(request, success)
    return True


@login_required
def task_list(request):
    access_task_list(request.user)
    rows = selectors.task_list(actor=request.user)
    state = request.GET.get("state")
    if state in S.values:
        rows = rows.filter(state=state)
    context = {"page": paginate(request, rows), "states": S.choices, "state": state}
    return render(request, "reporting/flow/list.html", context)


@login_required
def task_create(request):
    """One period of a form (?form=<pk>)."""
    access_task_create(request.user)
    template = get_object_or_404(
        intake_selectors.template_list(actor=request.user), pk=id_param(request.GET.get("form"))
    )
    start, end = quarter_default(timezone.localdate())
    form = TaskForm(request.POST or None, initial={"period_start": start, "period_end": end})
    if request.method == "POST" and form.is_valid():
        try:
            task = writes.task_create(actor=request.user, template=template, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request, _("Task received: %(state)s.") % {"state": task.get_state_display()}
            )
            return redirect("reporting:task-detail", task.pk)
    return form_page(
        request,
        form,
        title=_("New period of %(title)s") % {"title": template.title},
        cancel_url=reverse("reporting:template-detail", args=[template.pk]),
    )


@login_required
def task_detail(request, pk):
    task = _task(request, pk)
    user = request.user
    context = {
        "task": task,
        "answer": selectors.task_answer(task),
        "reviews": selectors.task_reviews(task=task),
        "events": selectors.task_events(actor=user, task=task),
        "assignments": selectors.task_assignments(actor=user, task=task),
        "can_decide": allowed(access_task_decide, user, task),
        "can_issue": allowed(access_task_issue, user, task),
        "can_accept": allowed(access_task_accept, user),
        "can_archive": allowed(access_task_archive, user, task),
        "can_export": allowed(access_task_export, user, task) and task.answer is not None,
        "reason_form": ReasonForm(),
    }
    return render(request, "reporting/flow/detail.html", context)


@login_required
@require_POST
def task_act(request, pk, action):
    """approve | reject | issue | archive, from the task's page."""
    task = _task(request, pk)
    if action == "approve":
        _run(request, writes.task_approve, _("Task approved."), task=task)
    elif action == "reject":
        form = ReasonForm(request.POST)
        if form.is_valid():
            _run(
                request, writes.task_reject, _("Task turned away."), task=task, **form.cleaned_data
            )
        else:
            messages.error(request, _("Say why the task is turned away."))
    elif action == "issue":
        _run(request, writes.task_issue, _("Task issued to the communities."), task=task)
    elif action == "archive":
        _run(request, writes.task_archive, _("Task archived."), task=task)
    return redirect("reporting:task-detail", task.pk)


@login_required
def task_export(request, pk):
    """The department's own layout, filled in with the answer (Excel)."""
    task = _task(request, pk)
    access_task_export(request.user, task)
    if task.answer is None:
        messages.warning(request, _("This task has no answer yet."))
        return redirect("reporting:task-detail", task.pk)
    writes.task_export_record(actor=request.user, task=task)
    content = _answer_workbook(task, selectors.task_reviews(task=task))
    return workbook_response(
        content, filename=f"{task.template.external_id}-{task.period_end:%Y%m%d}.xlsx"
    )


def _cell(value):
    if isinstance(value, dict) and "rows" in value:
        return safe_cell(f"{len(value['rows'])} 条")
    if isinstance(value, dict):
        return safe_cell("；".join(f"{k}：{v}" for k, v in value.items()))
    if isinstance(value, int | float):
        return value
    return safe_cell(value)


def _answer_workbook(task, reviews) -> bytes:
    """The form's labels in its own layout (down the first column, or across the header row)
    with the answer beside or below them; a list element gets a sheet of its own."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    template = task.template
    answer = task.answer or {}
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "报表"
    sheet.append([safe_cell(template.title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(
        [
            safe_cell(
                f"{template.department.name} · {task.period_start:%Y-%m-%d}—{task.period_end:%Y-%m-%d}"
            )
        ]
    )
    labels = [safe_cell(r.field.label) for r in reviews]
    values = [_cell(answer.get(r.field.external_id)) for r in reviews]
    if template.layout == template.Layout.COLUMNS:
        sheet.append(labels)
        sheet.append(values)
    else:
        sheet.append(["指标", "数值"])
        for label, value in zip(labels, values, strict=True):
            sheet.append([label, value])
        sheet.column_dimensions["A"].width = 48
    for review in reviews:
        value = answer.get(review.field.external_id)
        if isinstance(value, dict) and "rows" in value:
            extra = workbook.create_sheet(safe_cell(review.field.external_id)[:30])
            extra.append([safe_cell(c) for c in value["columns"]])
            for row in value["rows"]:
                extra.append([safe_cell(row.get(c)) for c in value["columns"]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Communities ------------------------------------------------------------------------------


@login_required
def assignment_list(request):
    access_assignment_list(request.user)
    context = {"page": paginate(request, selectors.assignment_list(actor=request.user))}
    return render(request, "reporting/flow/assignments.html", context)


def _assignment(request, pk):
    return get_object_or_404(selectors.assignment_list(actor=request.user), pk=pk)


@login_required
def assignment_detail(request, pk):
    """The community's page for one task: prefilled figures (read-only, with where to correct
    them), the asked fields to fill, who a field was handed to, submit."""
    assignment = _assignment(request, pk)
    user = request.user
    values = list(selectors.assignment_values(actor=user, assignment=assignment))
    can_fill = assignment.open_for_input and allowed(access_assignment_fill, user, assignment)
    form = ValuesForm(request.POST or None, values=values)
    if request.method == "POST":
        access_assignment_fill(user, assignment)
        saved = form.is_valid() and _run(
            request,
            writes.assignment_fill,
            _("Saved."),
            assignment=assignment,
            values=form.values(),
        )
        if saved:
            return redirect("reporting:assignment-detail", assignment.pk)
    asked = [v for v in values if not v.prefilled]
    can_delegate = can_fill and allowed(access_assignment_delegate, user, assignment)
    rows = [
        {
            "value": v,
            "source": source_url(v.field.review.element, assignment.community)
            if v.prefilled and hasattr(v.field, "review")
            else "",
            "input": form[f"f{v.field_id}"] if not v.prefilled else None,
        }
        for v in values
    ]
    context = {
        "assignment": assignment,
        "task": assignment.task,
        "rows": rows,
        "form": form,
        "can_fill": can_fill,
        "can_submit": assignment.open_for_input
        and allowed(access_assignment_submit, user, assignment),
        "can_accept": allowed(access_task_accept, user, assignment),
        "delegations": selectors.assignment_delegations(actor=user, assignment=assignment),
        "delegate_form": DelegateForm(
            asked=asked, workers=selectors.delegate_choices(actor=user, assignment=assignment)
        )
        if can_delegate and asked
        else None,
        "reason_form": ReasonForm(),
    }
    return render(
        request,
        "reporting/flow/assignment.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def assignment_act(request, pk, action):
    """submit | delegate (the community) · accept | return (the street)."""
    assignment = _assignment(request, pk)
    if action == "submit":
        _run(
            request, writes.assignment_submit, _("Submitted to the street."), assignment=assignment
        )
    elif action == "delegate":
        values = list(selectors.assignment_values(actor=request.user, assignment=assignment))
        workers = selectors.delegate_choices(actor=request.user, assignment=assignment)
        form = DelegateForm(
            request.POST, asked=[v for v in values if not v.prefilled], workers=workers
        )
        if form.is_valid():
            value = next(v for v in values if v.pk == form.cleaned_data["field"])
            worker = next(w for w in workers if w.pk == form.cleaned_data["worker"])
            _run(
                request,
                writes.assignment_delegate,
                _("Handed to %(name)s.") % {"name": worker.get_full_name() or worker.username},
                assignment=assignment,
                field_value=value,
                worker=worker,
            )
        else:
            messages.error(request, _("Choose an asked field and a grid worker."))
    elif action == "accept":
        _run(request, writes.assignment_accept, _("Accepted."), assignment=assignment)
        return redirect("reporting:task-detail", assignment.task_id)
    elif action == "return":
        form = ReasonForm(request.POST)
        if form.is_valid():
            _run(
                request,
                writes.assignment_return,
                _("Returned to the community."),
                assignment=assignment,
                **form.cleaned_data,
            )
        else:
            messages.error(request, _("Say what must be corrected."))
        return redirect("reporting:task-detail", assignment.task_id)
    return redirect("reporting:assignment-detail", assignment.pk)


# --- Grid workers -----------------------------------------------------------------------------


@login_required
def delegation_list(request):
    """The fields handed to me, and nothing else of their forms."""
    access_delegation_list(request.user)
    rows = selectors.delegation_list(actor=request.user)
    return render(request, "reporting/flow/delegations.html", {"page": paginate(request, rows)})


@login_required
def delegation_detail(request, pk):
    delegation = get_object_or_404(selectors.delegation_list(actor=request.user), pk=pk)
    current = delegation.current_value
    form = DelegationForm(
        request.POST or None,
        initial={"value": current if not isinstance(current, dict | list) else ""},
    )
    saved = (
        request.method == "POST"
        and form.is_valid()
        and _run(
            request,
            writes.delegation_fill,
            _("Saved."),
            delegation=delegation,
            value=form.cleaned_data["value"],
        )
    )
    if saved:
        return redirect("reporting:delegation-list")
    return form_page(
        request,
        form,
        title=delegation.field.label,
        cancel_url=reverse("reporting:delegation-list"),
        template="reporting/flow/delegation.html",
        delegation=delegation,
    )


urlpatterns = [
    path("", task_list, name="task-list"),
    path("tasks/new/", task_create, name="task-create"),
    path("tasks/<id:pk>/", task_detail, name="task-detail"),
    path("tasks/<id:pk>/export.xlsx", task_export, name="task-export"),
    path(
        "tasks/<id:pk>/<str:action>/",
        task_act,
        name="task-act",
    ),
    path("assignments/", assignment_list, name="assignment-list"),
    path("assignments/<id:pk>/", assignment_detail, name="assignment-detail"),
    path("assignments/<id:pk>/<str:action>/", assignment_act, name="assignment-act"),
    path("asked/", delegation_list, name="delegation-list"),
    path("asked/<id:pk>/", delegation_detail, name="delegation-detail"),
]
