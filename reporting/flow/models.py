"""The task flow: one period of a form (ReportTask) from the department's request to the
archive, the communities' share of an issued task (ReportAssignment), each field's value per
community (AssignmentValue: prefilled from the data, or typed for a new field) and the fields a
community hands to a grid worker (FieldDelegation).

TRANSITIONS is the one table of the task's states (shared/DOMAIN.md):
requested → under_review → answered_from_data | approved | rejected → issued → prefilled →
community_review → submitted → accepted | returned → archived. Who may run each transition is
its gate in reporting/flow/policy.py; the functions that run them are reporting/flow/writes.py.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reporting.flow.querysets import (
    AssignmentValueQuerySet,
    FieldDelegationQuerySet,
    ReportAssignmentQuerySet,
    ReportTaskQuerySet,
    TaskEventQuerySet,
)
from reporting.intake.models import ReportTemplate, TemplateField


class ReportTask(models.Model):
    """报送任务 — one period of a department's form, with its deadline (the period's end, or the
    day it arrived if later, plus the form's days to answer) and its state."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        UNDER_REVIEW = "under_review", _("Under review")
        ANSWERED_FROM_DATA = "answered_from_data", _("Answered from data")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ISSUED = "issued", _("Issued")
        PREFILLED = "prefilled", _("Prefilled")
        COMMUNITY_REVIEW = "community_review", _("Communities filling in")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")
        ARCHIVED = "archived", _("Archived")

    template = models.ForeignKey(
        ReportTemplate, verbose_name=_("form"), on_delete=models.PROTECT, related_name="tasks"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    deadline = models.DateField(_("deadline"))
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.REQUESTED
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    # Answered from data: {field id: value}; accepted: the street's totals, {field id: value}.
    answer = models.JSONField(_("answer"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = ReportTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("reporting task")
        verbose_name_plural = _("reporting tasks")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "deadline"], name="reporting_task_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_start__lte=models.F("period_end")),
                name="reporting_task_period",
            ),
        ]

    def __str__(self):
        return f"{self.template} {self.period_start:%Y-%m-%d}—{self.period_end:%Y-%m-%d}"


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str


S = ReportTask.State
TRANSITIONS = {
    "review": Transition((S.REQUESTED,), S.UNDER_REVIEW),
    "reject": Transition((S.REQUESTED, S.UNDER_REVIEW, S.APPROVED), S.REJECTED),
    "answer": Transition((S.UNDER_REVIEW, S.APPROVED), S.ANSWERED_FROM_DATA),
    "approve": Transition((S.UNDER_REVIEW,), S.APPROVED),
    "issue": Transition((S.APPROVED,), S.ISSUED),
    "prefill": Transition((S.ISSUED,), S.PREFILLED),
    # The task follows its communities (reporting/flow/writes.py: _task_follow).
    "fill": Transition((S.PREFILLED, S.RETURNED, S.SUBMITTED), S.COMMUNITY_REVIEW),
    "submit": Transition((S.PREFILLED, S.COMMUNITY_REVIEW, S.RETURNED), S.SUBMITTED),
    "return": Transition((S.SUBMITTED, S.COMMUNITY_REVIEW, S.ACCEPTED), S.RETURNED),
    "accept": Transition((S.SUBMITTED,), S.ACCEPTED),
    "archive": Transition((S.ANSWERED_FROM_DATA, S.REJECTED, S.ACCEPTED), S.ARCHIVED),
}
# States in which the street (not a community) holds the task.
STREET_HOLDS = (S.REQUESTED, S.UNDER_REVIEW, S.APPROVED, S.SUBMITTED)
OPEN_STATES = (
    S.REQUESTED, S.UNDER_REVIEW, S.APPROVED, S.ISSUED, S.PREFILLED, S.COMMUNITY_REVIEW,
    S.SUBMITTED, S.RETURNED,
)  # fmt: skip


class TaskEvent(models.Model):
    """任务记录 — one step of a task's history: from which state to which, who, why."""

    task = models.ForeignKey(
        ReportTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="events"
    )
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    objects = TaskEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("task event")
        verbose_name_plural = _("task events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.task_id}: {self.from_state} → {self.to_state}"


class ReportAssignment(models.Model):
    """社区分派 — a community's share of an issued task: the answerable fields prefilled from
    the data, only the new fields asked; filled, reviewed and submitted by the community,
    accepted or returned (with a reason) by the street."""

    class State(models.TextChoices):
        PREFILLED = "prefilled", _("Prefilled, waiting for the community")
        COMMUNITY_REVIEW = "community_review", _("Being filled in")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    task = models.ForeignKey(
        ReportTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="assignments"
    )
    community = models.ForeignKey(
        "grids.Region",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PREFILLED
    )
    return_reason = models.TextField(_("reason for return"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted or returned by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("accepted or returned at"), null=True, blank=True)

    objects = ReportAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("community assignment")
        verbose_name_plural = _("community assignments")
        ordering = ["task", "community__code"]
        constraints = [
            models.UniqueConstraint(fields=["task", "community"], name="reporting_assignment_once"),
        ]

    def __str__(self):
        return f"{self.task} · {self.community}"

    @property
    def open_for_input(self) -> bool:
        return self.state in (
            self.State.PREFILLED,
            self.State.COMMUNITY_REVIEW,
            self.State.RETURNED,
        )


class AssignmentValue(models.Model):
    """填报值 — one field's value for one community: prefilled from the data (read-only; a wrong
    figure is corrected in the record it came from, 一数一源) or typed for a new field."""

    assignment = models.ForeignKey(
        ReportAssignment,
        verbose_name=_("assignment"),
        on_delete=models.CASCADE,
        related_name="values",
    )
    field = models.ForeignKey(
        TemplateField, verbose_name=_("field"), on_delete=models.CASCADE, related_name="+"
    )
    prefilled = models.BooleanField(_("prefilled from the data"), default=False)
    value = models.JSONField(_("value"), null=True, blank=True)
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    filled_at = models.DateTimeField(_("filled at"), null=True, blank=True)

    objects = AssignmentValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment value")
        verbose_name_plural = _("assignment values")
        ordering = ["assignment", "field__position"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "field"], name="reporting_value_once"),
        ]

    def __str__(self):
        return f"{self.field}: {self.value}"

    @property
    def filled(self) -> bool:
        return self.value not in (None, "")


class FieldDelegation(models.Model):
    """委派 — a community hands one asked field to a grid worker, who sees that field and
    nothing else of the form."""

    assignment = models.ForeignKey(
        ReportAssignment,
        verbose_name=_("assignment"),
        on_delete=models.CASCADE,
        related_name="delegations",
    )
    field = models.ForeignKey(
        TemplateField, verbose_name=_("field"), on_delete=models.CASCADE, related_name="+"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("grid worker"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    delegated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("delegated at"), default=timezone.now, editable=False)

    objects = FieldDelegationQuerySet.as_manager()

    class Meta:
        verbose_name = _("field delegation")
        verbose_name_plural = _("field delegations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "field"], name="reporting_delegation_once"
            ),
        ]

    def __str__(self):
        return f"{self.field} → {self.worker}"
