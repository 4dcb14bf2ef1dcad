"""The task flow: a period of a form arrives, is decided (rejected on a withdrawn duty, answered
from the data when every field can be computed, else approved and issued), issued to every
community with the answerable fields prefilled and only the new fields asked, filled (a field
may be handed to a grid worker), submitted, accepted or returned by the street, archived.

Each transition is a row of TRANSITIONS (reporting/flow/models.py), run on the locked task: a
stale click gets TaskConflict (409 in the API, a message on the pages). The task follows its
communities (`_task_follow`): returned if one is returned, submitted when all have submitted,
accepted when all are accepted — then the street's totals are the communities' sum.

A prefilled value is read-only: a wrong figure is corrected in the record it came from (一数一
源), and the next computation reads the corrected record.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.selectors import community_cadres, community_list
from portal.audit import audit_record
from portal.figures import Span
from portal.models import Notification, User
from portal.notifications import notification_send, notifications_send_many
from reporting.catalogue.models import Relation
from reporting.flow import answers, selectors
from reporting.flow.models import (
    STREET_HOLDS,
    TRANSITIONS,
    AssignmentValue,
    FieldDelegation,
    ReportAssignment,
    ReportTask,
    TaskEvent,
)
from reporting.flow.policy import (
    access_assignment_delegate,
    access_assignment_fill,
    access_assignment_submit,
    access_delegation_fill,
    access_reminders_send,
    access_task_accept,
    access_task_archive,
    access_task_create,
    access_task_decide,
    access_task_export,
    access_task_issue,
    access_task_return,
)
from reporting.intake.models import FieldReview, ReportTemplate

S = ReportTask.State
A = ReportAssignment.State
REMIND_DAYS = (2, 0)  # two days before the deadline, and on the day


class TaskConflict(Exception):
    """The task (or the assignment) is no longer in a state that allows this step."""


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _event(task, *, actor, from_state: str, to_state: str, note: str = "") -> None:
    TaskEvent.objects.create(
        task=task, from_state=from_state, to_state=to_state, actor=_user(actor), note=note
    )


def _transition(
    *, name: str, actor, task: ReportTask, note: str = "", apply: Callable | None = None
) -> ReportTask:
    """Run one row of TRANSITIONS on the locked task (inside the caller's transaction)."""
    transition = TRANSITIONS[name]
    locked = ReportTask.objects.select_for_update().select_related("template").get(pk=task.pk)
    if locked.state not in transition.sources:
        raise TaskConflict(
            _("This task is now “%(state)s”: it cannot be %(action)s.")
            % {"state": locked.get_state_display(), "action": name}
        )
    previous = locked.state
    changed = apply(locked) if apply is not None else []
    locked.state = transition.target
    locked.updated_at = timezone.now()
    locked.save(update_fields=["state", "updated_at", *changed])
    _event(locked, actor=actor, from_state=previous, to_state=locked.state, note=note)
    audit_record(
        actor=actor,
        action=f"reporting.task_{name}",
        obj=locked,
        details={"from": previous, "to": locked.state, "note": note},
    )
    return locked


# --- Arrival and the street's decision -------------------------------------------------------


def _deadline_for(template: ReportTemplate, period_end: datetime.date) -> datetime.date:
    """The period's end (or today, when the task arrives after it) plus the form's days."""
    return max(period_end, timezone.localdate()) + datetime.timedelta(days=template.due_days)


def task_create(
    *,
    actor,
    template: ReportTemplate,
    period_start: datetime.date,
    period_end: datetime.date,
) -> ReportTask:
    """A department asks for one period of a form. It is decided at once where the rules
    decide: a withdrawn duty → rejected with its basis; every field answerable from the data
    (and no filing outstanding) → answered; otherwise it waits under review for a cadre."""
    access_task_create(actor)
    if period_start > period_end:
        raise ValidationError({"period_end": [_("The period ends before it starts.")]})
    with transaction.atomic():
        task = ReportTask(
            template=template,
            period_start=period_start,
            period_end=period_end,
            deadline=_deadline_for(template, period_end),
            created_by=_user(actor),
        )
        task.full_clean()
        task.save()
        _event(task, actor=actor, from_state="", to_state=S.REQUESTED)
        audit_record(
            actor=actor,
            action="reporting.task_create",
            obj=task,
            details={
                "template": template.external_id,
                "period": [str(period_start), str(period_end)],
            },
        )
        task = _transition(name="review", actor=None, task=task)
        if template.rejected:
            duty = template.duty_item

            def reason(locked):
                locked.rejection_reason = _("Withdrawn duty %(code)s: %(basis)s") % {
                    "code": duty.code,
                    "basis": duty.basis,
                }
                return ["rejection_reason"]

            task = _transition(name="reject", actor=None, task=task, apply=reason)
        elif not template.filing_needed:
            values = _computed_answer(task)
            if values is not None:
                task = _answer(task, actor=None, values=values)
    return task


def _computed_answer(task: ReportTask, *, reader=None) -> dict | None:
    """Every field's value for the whole street, by field id — or None as soon as one field
    is not answerable (unmapped, a look-alike, new, held, or not computed exactly)."""
    span = Span(task.period_start, task.period_end)
    values = {}
    for review in selectors.task_reviews(task=task):
        if review.relation == Relation.HEADER:
            continue  # 填报单位, 填报人 ...: the street's own header, not a figure
        if not _answerable(review):
            return None
        value = answers.review_value(review, span=span, area=None, reader=reader)
        if value is answers.NOT_COMPUTED:
            return None
        values[review.field.external_id] = answers.to_json(value)
    return values or None


def _answerable(review: FieldReview) -> bool:
    if not review.mapped or not review.element.computable:
        return False
    if review.decision == FieldReview.Decision.PENDING:
        return review.answerable  # the engine's word until a cadre decides
    return review.decision in (FieldReview.Decision.CONFIRMED, FieldReview.Decision.CORRECTED)


def _answer(task: ReportTask, *, actor, values: dict) -> ReportTask:
    def store(locked):
        locked.answer = values
        return ["answer"]

    return _transition(name="answer", actor=actor, task=task, apply=store)


def task_approve(*, actor, task: ReportTask, note: str = "") -> ReportTask:
    """The street takes the task on (a form outside the duty list only once its filing is
    recorded). If every field can now be answered from the data, it is answered at once."""
    access_task_decide(actor, task)
    template = ReportTemplate.objects.get(pk=task.template_id)  # the filing may be newer
    if template.filing_needed and not template.filed:
        raise ValidationError(
            _("This form cites no duty item: record its case-by-case filing first.")
        )
    with transaction.atomic():
        task = _transition(name="approve", actor=actor, task=task, note=note)
        values = _computed_answer(task, reader=actor)
        if values is not None:
            task = _answer(task, actor=actor, values=values)
    return task


def task_reject(*, actor, task: ReportTask, reason: str) -> ReportTask:
    """Turn the task away, with the reason the department reads."""
    access_task_decide(actor, task)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the task is turned away.")]})

    def store(locked):
        locked.rejection_reason = reason
        return ["rejection_reason"]

    with transaction.atomic():
        return _transition(name="reject", actor=actor, task=task, note=reason, apply=store)


def task_issue(*, actor, task: ReportTask) -> ReportTask:
    """Send the task to every community: one assignment each, the answerable fields prefilled
    for that community (read-only), only the rest asked."""
    access_task_issue(actor, task)
    communities = list(community_list(actor=actor).order_by("code")) if actor else []
    if actor is None:
        from grids.models import Region

        communities = list(Region.objects.filter(level=Region.Level.COMMUNITY).order_by("code"))
    if not communities:
        raise ValidationError(_("There is no community to issue the task to."))
    span = Span(task.period_start, task.period_end)
    reviews = [r for r in selectors.task_reviews(task=task) if r.relation != Relation.HEADER]
    with transaction.atomic():
        task = _transition(name="issue", actor=actor, task=task)
        rows = []
        for community in communities:
            assignment = ReportAssignment.objects.create(task=task, community=community)
            for review in reviews:
                value = answers.NOT_COMPUTED
                if _answerable(review):
                    value = answers.review_value(review, span=span, area=community)
                computed = value is not answers.NOT_COMPUTED
                rows.append(
                    AssignmentValue(
                        assignment=assignment,
                        field=review.field,
                        prefilled=computed,
                        value=answers.to_json(value) if computed else None,
                    )
                )
        AssignmentValue.objects.bulk_create(rows)
        task = _transition(
            name="prefill",
            actor=None,
            task=task,
            note=_("%(n)s of %(total)s fields prefilled per community")
            % {
                "n": sum(1 for r in rows[: len(reviews)] if r.prefilled),
                "total": len(reviews),
            },
        )
        _notify_communities(task, communities)
    return task


def _notify_communities(task: ReportTask, communities) -> None:
    cadres = _community_cadres()
    notifications = [
        Notification(
            recipient_id=user_id,
            title=_("New reporting task: %(title)s (due %(deadline)s)")
            % {"title": task.template.title, "deadline": task.deadline},
            url="/reporting/assignments/",
            dedup_key=f"reporting-issued:{task.pk}",
        )
        for community in communities
        for user_id in cadres.get(community.pk, [])
    ]
    transaction.on_commit(lambda: notifications_send_many(notifications))


def _community_cadres() -> dict[int, list[int]]:
    cadres, _names = community_cadres()
    return cadres


def task_archive(*, actor, task: ReportTask) -> ReportTask:
    """File a finished task away (answered from data, rejected, or accepted)."""
    access_task_archive(actor, task)
    with transaction.atomic():
        return _transition(name="archive", actor=actor, task=task)


def task_export_record(*, actor, task: ReportTask) -> None:
    """The department's layout filled in leaves the portal: the audit trail records who took it."""
    access_task_export(actor, task)
    audit_record(actor=actor, action="reporting.task_export", obj=task)


# --- The communities -------------------------------------------------------------------------


def _lock_assignment(assignment: ReportAssignment) -> ReportAssignment:
    return (
        ReportAssignment.objects.select_for_update(of=("self",))
        .select_related("task", "community")
        .get(pk=assignment.pk)
    )


def _parse(text):
    """What a person typed: a number when it reads as one, else the text."""
    text = str(text if text is not None else "").strip()
    if not text:
        return None
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return text[:2000]
    if not number.is_finite():
        return text[:2000]
    return answers.to_json(number)


def _set_values(*, actor, assignment, values: dict) -> list[str]:
    """Store typed values for asked fields (never a prefilled one); returns the field ids."""
    rows = {
        v.field_id: v
        for v in AssignmentValue.objects.select_for_update()
        .filter(assignment=assignment, field_id__in=list(values))
        .select_related("field")
    }
    changed, now = [], timezone.now()
    for field_id, text in values.items():
        row = rows.get(field_id)
        if row is None:
            raise ValidationError(_("That field is not part of this assignment."))
        if row.prefilled:
            raise ValidationError(
                _("“%(label)s” comes from the data: correct the record it came from instead.")
                % {"label": row.field.label}
            )
        value = _parse(text)
        if value == row.value:
            continue
        row.value, row.filled_by, row.filled_at = value, _user(actor), now
        row.save(update_fields=["value", "filled_by", "filled_at"])
        changed.append(row.field.external_id)
    return changed


def _assignment_move(*, actor, assignment, to: str, note: str = "", fields=()) -> None:
    previous = assignment.state
    assignment.state = to
    assignment.save(update_fields=["state", *fields])
    audit_record(
        actor=actor,
        action="reporting.assignment_" + to,
        obj=assignment,
        details={"from": previous, "to": to, "note": note},
    )
    _task_follow(assignment.task, actor=actor)


def assignment_fill(*, actor, assignment: ReportAssignment, values: dict) -> ReportAssignment:
    """The community types its asked fields ({field pk: text}); the assignment is then being
    reviewed by the community (a returned one too)."""
    access_assignment_fill(actor, assignment)
    with transaction.atomic():
        locked = _lock_assignment(assignment)
        if not locked.open_for_input:
            raise TaskConflict(_("This assignment was submitted: it can no longer be changed."))
        changed = _set_values(actor=actor, assignment=locked, values=values)
        if changed:
            audit_record(
                actor=actor,
                action="reporting.assignment_fill",
                obj=locked,
                details={"fields": changed},
            )
        if locked.state != A.COMMUNITY_REVIEW:
            _assignment_move(actor=actor, assignment=locked, to=A.COMMUNITY_REVIEW)
    return locked


def assignment_delegate(
    *, actor, assignment: ReportAssignment, field_value: AssignmentValue, worker
) -> FieldDelegation:
    """Hand one asked field to a grid worker of the community, who sees only that field."""
    access_assignment_delegate(actor, assignment)
    if field_value.assignment_id != assignment.pk or field_value.prefilled:
        raise ValidationError(
            {"field": [_("Only an asked field of this assignment can be handed on.")]}
        )
    if actor is not None and worker.pk not in {
        p.pk for p in selectors.delegate_choices(actor=actor, assignment=assignment)
    }:
        raise ValidationError({"worker": [_("Choose a grid worker of this community.")]})
    with transaction.atomic():
        locked = _lock_assignment(assignment)
        if not locked.open_for_input:
            raise TaskConflict(_("This assignment was submitted: it can no longer be changed."))
        delegation, _created = FieldDelegation.objects.update_or_create(
            assignment=locked,
            field=field_value.field,
            defaults={"worker": worker, "delegated_by": _user(actor)},
        )
        audit_record(
            actor=actor,
            action="reporting.assignment_delegate",
            obj=locked,
            details={"field": field_value.field.external_id, "worker": worker.pk},
        )
        notification_send(
            recipient=worker,
            title=_("Please fill in: %(label)s (due %(deadline)s)")
            % {"label": field_value.field.label, "deadline": locked.task.deadline},
            url=f"/reporting/asked/{delegation.pk}/",
            dedup_key=f"reporting-delegation:{delegation.pk}:{worker.pk}",
        )
    return delegation


def delegation_fill(*, actor, delegation: FieldDelegation, value) -> FieldDelegation:
    """The grid worker types the one field handed to them."""
    access_delegation_fill(actor, delegation)
    with transaction.atomic():
        locked = _lock_assignment(delegation.assignment)
        if not locked.open_for_input:
            raise TaskConflict(_("This assignment was submitted: it can no longer be changed."))
        changed = _set_values(actor=actor, assignment=locked, values={delegation.field_id: value})
        audit_record(
            actor=actor,
            action="reporting.delegation_fill",
            obj=locked,
            details={"fields": changed, "delegation": delegation.pk},
        )
        if locked.state != A.COMMUNITY_REVIEW:
            _assignment_move(actor=actor, assignment=locked, to=A.COMMUNITY_REVIEW)
    return delegation


def assignment_submit(*, actor, assignment: ReportAssignment) -> ReportAssignment:
    """The community has reviewed its answer and sends it; every asked field must be filled."""
    access_assignment_submit(actor, assignment)
    with transaction.atomic():
        locked = _lock_assignment(assignment)
        if not locked.open_for_input:
            raise TaskConflict(_("This assignment was submitted already."))
        empty = [
            v.field.label
            for v in AssignmentValue.objects.filter(
                assignment=locked, prefilled=False
            ).select_related("field")
            if not v.filled
        ]
        if empty:
            raise ValidationError(
                _("Fill in every asked field first: %(labels)s") % {"labels": "；".join(empty)}
            )
        locked.submitted_by, locked.submitted_at = _user(actor), timezone.now()
        _assignment_move(
            actor=actor,
            assignment=locked,
            to=A.SUBMITTED,
            fields=["submitted_by", "submitted_at"],
        )
    return locked


def assignment_accept(*, actor, assignment: ReportAssignment) -> ReportAssignment:
    """The street accepts a community's answer; when every community's is accepted, the task
    is accepted and its totals are the communities' sum."""
    access_task_accept(actor, assignment)
    with transaction.atomic():
        locked = _lock_assignment(assignment)
        if locked.state != A.SUBMITTED:
            raise TaskConflict(_("Only a submitted answer can be accepted."))
        locked.decided_by, locked.decided_at = _user(actor), timezone.now()
        _assignment_move(
            actor=actor, assignment=locked, to=A.ACCEPTED, fields=["decided_by", "decided_at"]
        )
    return locked


def assignment_return(*, actor, assignment: ReportAssignment, reason: str) -> ReportAssignment:
    """The street sends a community's answer back, with the reason, to be filled in again."""
    access_task_return(actor, assignment)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say what must be corrected.")]})
    with transaction.atomic():
        locked = _lock_assignment(assignment)
        if locked.state not in (A.SUBMITTED, A.ACCEPTED):
            raise TaskConflict(_("Only a submitted answer can be returned."))
        locked.return_reason = reason
        locked.decided_by, locked.decided_at = _user(actor), timezone.now()
        _assignment_move(
            actor=actor,
            assignment=locked,
            to=A.RETURNED,
            note=reason,
            fields=["return_reason", "decided_by", "decided_at"],
        )
        cadres = _community_cadres().get(locked.community_id, [])
        notifications_send_many(
            [
                Notification(
                    recipient_id=user_id,
                    title=_("Returned: %(title)s") % {"title": locked.task.template.title},
                    body=reason,
                    url=f"/reporting/assignments/{locked.pk}/",
                    dedup_key=f"reporting-returned:{locked.pk}:{locked.decided_at:%Y%m%d%H%M%S}",
                )
                for user_id in cadres
            ]
        )
    return locked


def _task_follow(task: ReportTask, *, actor) -> None:
    """The task's state from its communities' (inside the caller's transaction)."""
    locked = ReportTask.objects.select_for_update().get(pk=task.pk)
    states = list(ReportAssignment.objects.filter(task=locked).values_list("state", flat=True))
    if not states or locked.state in (S.ARCHIVED,):
        return
    if all(s == A.ACCEPTED for s in states):
        target = S.ACCEPTED
    elif any(s == A.RETURNED for s in states):
        target = S.RETURNED
    elif all(s in (A.SUBMITTED, A.ACCEPTED) for s in states):
        target = S.SUBMITTED
    elif any(s != A.PREFILLED for s in states):
        target = S.COMMUNITY_REVIEW
    else:
        target = S.PREFILLED
    if target == locked.state:
        return
    previous = locked.state
    locked.state = target
    locked.updated_at = timezone.now()
    fields = ["state", "updated_at"]
    if target == S.ACCEPTED:
        locked.answer = _totals(locked)
        fields.append("answer")
    locked.save(update_fields=fields)
    _event(locked, actor=actor, from_state=previous, to_state=target)


def _totals(task: ReportTask) -> dict:
    """The street's answer from its accepted communities: prefilled fields computed for the
    whole street (exact for every kind, rates included), asked numbers summed, asked text
    kept per community."""
    span = Span(task.period_start, task.period_end)
    reviews = {r.field_id: r for r in selectors.task_reviews(task=task)}
    totals: dict = {}
    rows = (
        AssignmentValue.objects.filter(assignment__task=task)
        .select_related("field", "assignment__community")
        .order_by("field__position", "assignment__community__code")
    )
    by_field: dict = {}
    for row in rows:
        by_field.setdefault(row.field_id, []).append(row)
    for field_id, values in by_field.items():
        field = values[0].field
        if all(v.prefilled for v in values):
            value = answers.review_value(reviews[field_id], span=span)
            if value is not answers.NOT_COMPUTED:
                totals[field.external_id] = answers.to_json(value)
                continue
        numbers = [v.value for v in values if isinstance(v.value, int | float)]
        if len(numbers) == len(values):
            total = sum(Decimal(str(n)) for n in numbers)
            totals[field.external_id] = answers.to_json(total)
        else:
            totals[field.external_id] = {
                v.assignment.community.name: v.value for v in values if v.value is not None
            }
    return totals


# --- Reminders --------------------------------------------------------------------------------


def reminders_send(*, actor=None, today: datetime.date | None = None) -> dict:
    """Remind whoever holds a task two days before its deadline and on the day: the community
    cadres of assignments not yet submitted, the street's staff for a task awaiting their
    review. Once per task, holder and deadline (the notification's dedup key) however often it
    runs."""
    access_reminders_send(actor)
    today = today or timezone.localdate()
    tasks = list(selectors.tasks_due(on=today, days=REMIND_DAYS))
    street = list(User.objects.street_staff().values_list("pk", flat=True))
    cadres = _community_cadres()
    waiting: dict[int, list[int]] = {}
    for task_id, community_id in selectors.open_assignments(task_ids=[t.pk for t in tasks]):
        waiting.setdefault(task_id, []).append(community_id)
    notifications = []
    for task in tasks:
        days_left = (task.deadline - today).days
        title = _("Due in %(n)s days: %(title)s") % {"n": days_left, "title": task.template.title}
        if days_left == 0:
            title = _("Due today: %(title)s") % {"title": task.template.title}
        key = f"reporting-deadline:{task.pk}:{task.deadline}:{days_left}"
        if task.state in STREET_HOLDS:
            recipients = street
            url = f"/reporting/tasks/{task.pk}/"
        else:
            recipients = [u for c in waiting.get(task.pk, []) for u in cadres.get(c, [])]
            url = "/reporting/assignments/"
        notifications += [
            Notification(recipient_id=user_id, title=title, url=url, dedup_key=key)
            for user_id in sorted(set(recipients))
        ]
    with transaction.atomic():
        sent = notifications_send_many(notifications)
        if sent:
            audit_record(
                actor=actor,
                action="reporting.reminders_send",
                details={"day": str(today), "sent": len(sent)},
            )
    return {"day": str(today), "tasks": len(tasks), "sent": len(sent)}
