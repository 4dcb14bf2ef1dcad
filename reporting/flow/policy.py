"""Who may move a reporting task — one gate per action, one condition per line.

- a task (one period of a form) is sent by whoever may send forms (street staff, a district
  integration): `add_reporttask`;
- the street decides it (approve, reject, answer from data, issue, accept or return a
  community's answer, archive): `change_reporttask`, which only street staff carry;
- a community cadre fills, delegates and submits their own community's assignment (scope:
  reporting/flow/querysets.py; street staff may too): `change_reportassignment` on a row they
  see;
- a grid worker fills exactly the fields delegated to them;
- partners and Party roles: nothing.

`actor=None` is the system (beat's reminders, the demo loader, the automatic decisions made
when a task arrives — whose sender passed `access_task_create`).
"""

from django.utils.translation import gettext_lazy as _

from portal.policy import deny_unless, require_active, require_in_scope, require_perm

MAY_NOT_DECIDE = _("Only the street office decides reporting tasks.")
MAY_NOT_FILL = _("You may not fill in this assignment.")


def access_task_list(actor, obj=None) -> None:
    require_perm(actor, "reporting.view_reporttask")


def access_task_create(actor, obj=None) -> None:
    if actor is None:
        return  # the demo loader
    require_active(actor)
    deny_unless(actor.has_perm("reporting.add_reporttask"), _("You may not send tasks."))


def _street_decides(actor, task) -> None:
    from reporting.flow.models import ReportTask

    require_active(actor)
    deny_unless(actor.has_perm("reporting.change_reporttask"), MAY_NOT_DECIDE)
    if task is not None:
        require_in_scope(actor, ReportTask.objects, task, "change")


def access_task_decide(actor, task=None) -> None:
    """Approve, reject, or answer a task from the data; the system decides on arrival."""
    if actor is None:
        return  # the decision made when a task arrives (its sender's gate was asked)
    _street_decides(actor, task)


def access_task_issue(actor, task=None) -> None:
    if actor is None:
        return  # the demo loader
    _street_decides(actor, task)


def access_task_accept(actor, assignment=None) -> None:
    """Accept a community's submitted answer."""
    if actor is None:
        return  # the demo loader
    _street_decides(actor, getattr(assignment, "task", None))


def access_task_return(actor, assignment=None) -> None:
    """Return a community's answer, with a reason, to be filled in again."""
    if actor is None:
        return  # the demo loader
    _street_decides(actor, getattr(assignment, "task", None))


def access_task_archive(actor, task=None) -> None:
    if actor is None:
        return
    _street_decides(actor, task)


def access_task_export(actor, task=None) -> None:
    """The department's own layout filled in (Excel): whoever sees the task's answer."""
    from reporting.flow.models import ReportTask

    require_perm(actor, "reporting.view_reporttask")
    if task is not None:
        require_in_scope(actor, ReportTask.objects, task, "view")


def _own_assignment(actor, assignment) -> None:
    from reporting.flow.models import ReportAssignment

    require_active(actor)
    deny_unless(actor.has_perm("reporting.change_reportassignment"), MAY_NOT_FILL)
    if assignment is not None:
        require_in_scope(actor, ReportAssignment.objects, assignment, "change")


def access_assignment_fill(actor, assignment=None) -> None:
    """Type the asked fields of a community's assignment."""
    if actor is None:
        return  # the demo loader
    _own_assignment(actor, assignment)


def access_assignment_delegate(actor, assignment=None) -> None:
    """Hand one asked field to a grid worker of the community."""
    if actor is None:
        return
    _own_assignment(actor, assignment)
    deny_unless(actor.has_perm("reporting.add_fielddelegation"), MAY_NOT_FILL)


def access_assignment_submit(actor, assignment=None) -> None:
    """The community has reviewed its answer and sends it to the street."""
    if actor is None:
        return
    _own_assignment(actor, assignment)


def access_delegation_fill(actor, delegation=None) -> None:
    """The grid worker a field was delegated to (or whoever may fill the assignment)."""
    if actor is None:
        return
    from reporting.flow.models import FieldDelegation

    require_active(actor)
    deny_unless(actor.has_perm("reporting.change_assignmentvalue"), MAY_NOT_FILL)
    if delegation is not None:
        require_in_scope(actor, FieldDelegation.objects, delegation, "view")


def access_reminders_send(actor, obj=None) -> None:
    if actor is None:
        return  # beat
    require_active(actor)
    deny_unless(actor.has_perm("reporting.change_reporttask"), MAY_NOT_DECIDE)


def access_assignment_list(actor, obj=None) -> None:
    require_perm(actor, "reporting.view_reportassignment")


def access_delegation_list(actor, obj=None) -> None:
    require_perm(actor, "reporting.view_fielddelegation")
