"""Reads of the burden dashboard: every figure counted in SQL inside the reader's scope.

Each count starts from a room's `visible_to(actor)` (reporting/intake and reporting/flow
querysets), so the street counts every department and community, and a community cadre their
communities' share: the forms issued to them, the fields prefilled and asked there (forms
turned away or answered from the data never reached a community, so they count none).

The page costs a fixed number of queries whatever the number of forms (`burden_dashboard`):
the rule, forms per department and month, tasks per department and month, values per
department and month, and the rejections' legal bases — five.

What is counted, by department and month (a form by the month it arrived, a task and its
values by the month the task arrived):
- forms received, rejected (on a withdrawn duty), found to repeat an earlier form;
- tasks received, answered from the data (never issued), turned away, issued to communities;
- fields prefilled and fields asked: one per field and community of an issued task (a field
  prefilled in five communities counts five: five people spared typing it);
- hours saved by the rule (models.BurdenRule): prefilled fields, answered and rejected tasks.
"""

import datetime
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth

from reporting.catalogue.models import Relation
from reporting.dashboards.models import BurdenRule
from reporting.flow.models import AssignmentValue, ReportTask, TaskEvent
from reporting.intake.models import ReportTemplate, TemplateDuplicate

S = ReportTask.State
COUNTS = (
    "forms",
    "rejected",
    "duplicates",
    "tasks",
    "answered",
    "tasks_rejected",
    "issued",
    "prefilled",
    "asked",
)


def _month(value) -> str:
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.strftime("%Y-%m") if value else "—"


def forms_by_department_month(*, actor) -> list[dict]:
    """Forms received, rejected, and repeating an earlier one, per department and month of
    arrival. One grouped query."""
    repeats = TemplateDuplicate.objects.visible_to(actor).filter(template=OuterRef("pk"))
    return [
        {
            "department": row["department__name"],
            "month": _month(row["month"]),
            "forms": row["n_forms"],
            "rejected": row["n_rejected"],
            "duplicates": row["n_duplicates"],
        }
        for row in ReportTemplate.objects.visible_to(actor)
        .annotate(month=TruncMonth("created_at"), repeats=Exists(repeats))
        .order_by()
        .values("department__name", "month")
        .annotate(
            n_forms=Count("pk"),
            n_rejected=Count("pk", filter=Q(rejected=True)),
            n_duplicates=Count("pk", filter=Q(repeats=True)),
        )
    ]


def tasks_by_department_month(*, actor) -> list[dict]:
    """Tasks received, answered from the data, turned away, issued — per department and month
    the task arrived; a task counts by what happened to it (its history), so an archived one
    still counts as answered or turned away. One grouped query."""

    def reached(state):
        return Exists(TaskEvent.objects.filter(task=OuterRef("pk"), to_state=state))

    return [
        {
            "department": row["template__department__name"],
            "month": _month(row["month"]),
            "tasks": row["n_tasks"],
            "answered": row["n_answered"],
            "tasks_rejected": row["n_tasks_rejected"],
            "issued": row["n_issued"],
        }
        for row in ReportTask.objects.visible_to(actor)
        .annotate(
            month=TruncMonth("created_at"),
            was_answered=reached(S.ANSWERED_FROM_DATA),
            was_rejected=reached(S.REJECTED),
            was_issued=reached(S.ISSUED),
        )
        .order_by()
        .values("template__department__name", "month")
        .annotate(
            n_tasks=Count("pk"),
            n_answered=Count("pk", filter=Q(was_answered=True)),
            n_tasks_rejected=Count("pk", filter=Q(was_rejected=True)),
            n_issued=Count("pk", filter=Q(was_issued=True)),
        )
    ]


def values_by_department_month(*, actor) -> list[dict]:
    """Fields prefilled and fields asked of the communities (one per field and community),
    per department and month the task arrived; the street's own header lines (填报单位 …) are
    not figures and count neither. One grouped query."""
    return [
        {
            "department": row["assignment__task__template__department__name"],
            "month": _month(row["month"]),
            "prefilled": row["n_prefilled"],
            "asked": row["n_asked"],
        }
        for row in AssignmentValue.objects.visible_to(actor)
        .exclude(field__review__relation=Relation.HEADER)
        .annotate(month=TruncMonth("assignment__task__created_at"))
        .order_by()
        .values("assignment__task__template__department__name", "month")
        .annotate(
            n_prefilled=Count("pk", filter=Q(prefilled=True)),
            n_asked=Count("pk", filter=Q(prefilled=False)),
        )
    ]


def rejection_bases(*, actor) -> list[dict]:
    """The withdrawn duties forms were turned away on, with their legal basis and how many
    forms each. One grouped query."""
    return list(
        ReportTemplate.objects.visible_to(actor)
        .filter(rejected=True, duty_item__isnull=False)
        .order_by()
        .values("duty_item__code", "duty_item__name", "duty_item__basis")
        .annotate(forms=Count("pk"))
        .order_by("-forms", "duty_item__code")
    )


def _blank(**keys) -> dict:
    return {**keys, **dict.fromkeys(COUNTS, 0)}


def _finish(row: dict, rule: BurdenRule) -> dict:
    fields = row["prefilled"] + row["asked"]
    row["share_prefilled"] = (
        (Decimal(100 * row["prefilled"]) / fields).quantize(Decimal("0.1")) if fields else None
    )
    row["hours_saved"] = rule.hours(
        prefilled=row["prefilled"], answered=row["answered"], rejected=row["tasks_rejected"]
    )
    return row


def burden_dashboard(*, actor) -> dict:
    """Every figure of the dashboard: per department and month, per department, per month and
    in total, with the rule in force and the rejections' bases. Five queries."""
    rule = BurdenRule.current()
    cells: dict[tuple[str, str], dict] = {}
    for source in (
        forms_by_department_month(actor=actor),
        tasks_by_department_month(actor=actor),
        values_by_department_month(actor=actor),
    ):
        for row in source:
            key = (row["department"], row["month"])
            cell = cells.setdefault(key, _blank(department=key[0], month=key[1]))
            for name in COUNTS:
                cell[name] += row.get(name, 0)
    departments: dict[str, dict] = {}
    months: dict[str, dict] = {}
    total = _blank()
    for (department, month), cell in sorted(cells.items()):
        for bucket in (
            departments.setdefault(department, _blank(department=department)),
            months.setdefault(month, _blank(month=month)),
            total,
        ):
            for name in COUNTS:
                bucket[name] += cell[name]
    by_department = sorted(
        (_finish(row, rule) for row in departments.values()),
        key=lambda r: (-r["forms"], -r["tasks"], r["department"]),
    )
    by_month = [_finish(months[m], rule) for m in sorted(months)]
    return {
        "rule": rule,
        "total": _finish(total, rule),
        "by_department": by_department,
        "by_month": by_month,
        "cells": [_finish(cells[k], rule) for k in sorted(cells)],
        "bases": rejection_bases(actor=actor),
    }


def chart_data(dashboard: dict) -> dict:
    """What the page's charts draw (plain numbers, for json_script)."""
    return {
        "months": [row["month"] for row in dashboard["by_month"]],
        "forms": [row["forms"] for row in dashboard["by_month"]],
        "rejected": [row["rejected"] for row in dashboard["by_month"]],
        "answered": [row["answered"] for row in dashboard["by_month"]],
        "issued": [row["issued"] for row in dashboard["by_month"]],
        "prefilled": [row["prefilled"] for row in dashboard["by_month"]],
        "asked": [row["asked"] for row in dashboard["by_month"]],
        "hours": [float(row["hours_saved"]) for row in dashboard["by_month"]],
        "departments": [row["department"] for row in dashboard["by_department"]],
        "department_forms": [row["forms"] for row in dashboard["by_department"]],
        "department_rejected": [row["rejected"] for row in dashboard["by_department"]],
        "department_answered": [row["answered"] for row in dashboard["by_department"]],
    }
