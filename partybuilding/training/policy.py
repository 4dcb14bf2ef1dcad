"""Who may run training (培训): courses, attendance records, the yearly thresholds and the
year-end report — one gate per action, one condition per line.

- courses, records, thresholds: the Party-work roles (party officer, street staff) through the
  role's permission; records only for a course they see, and (the write checks, as field
  errors) only for members in their scope;
- the year-to-date view and the year-end report: whoever may read training records — each row
  is a member the reader sees (`visible_to`), so a secretary reads their branch, a member
  themself;
- the year-end notice to secretaries: the system (beat) or the Party office.

`actor=None` is the system (the beat task, the demo loader): it records courses and sends the
year-end notice as the Party office would.
"""

from django.utils.translation import gettext_lazy as _

from portal.policy import deny_unless, require_active, require_in_scope, require_perm

MAY_NOT_RUN = _("You may not run the training records.")


def access_training_list(actor, obj=None) -> None:
    require_perm(actor, "partybuilding.view_trainingcourse")


def access_training_report_view(actor, obj=None) -> None:
    """The hours pages and the export: rows are the members the reader sees."""
    require_perm(actor, "partybuilding.view_trainingrecord")


def access_training_course_create(actor, obj=None) -> None:
    if actor is None:
        return  # the demo loader
    require_active(actor)
    deny_unless(actor.has_perm("partybuilding.add_trainingcourse"), MAY_NOT_RUN)


def access_training_records_add(actor, course) -> None:
    if actor is None:
        return  # the demo loader
    from partybuilding.training.models import TrainingCourse

    require_active(actor)
    deny_unless(actor.has_perm("partybuilding.add_trainingrecord"), MAY_NOT_RUN)
    require_in_scope(actor, TrainingCourse.objects, course, "view")


def access_training_course_change(actor, course) -> None:
    """Correct a course (title, topic, hours, mode, day, provider): as for recording one."""
    if actor is None:
        return  # the demo loader
    from partybuilding.training.models import TrainingCourse

    require_active(actor)
    deny_unless(actor.has_perm("partybuilding.change_trainingcourse"), MAY_NOT_RUN)
    require_in_scope(actor, TrainingCourse.objects, course, "change")


def access_training_record_change(actor, record) -> None:
    """Correct one attendance record (hours, day) or take it off: whoever may record attendees,
    the record in their change scope."""
    if actor is None:
        return  # the demo loader
    from partybuilding.training.models import TrainingRecord

    require_active(actor)
    deny_unless(actor.has_perm("partybuilding.change_trainingrecord"), MAY_NOT_RUN)
    require_in_scope(actor, TrainingRecord.objects, record, "change")


def access_training_threshold_change(actor, threshold=None) -> None:
    if actor is None:
        return  # a data migration or the demo loader
    require_active(actor)
    deny_unless(actor.has_perm("partybuilding.change_trainingthreshold"), MAY_NOT_RUN)


def access_training_report_export(actor, obj=None) -> None:
    access_training_report_view(actor)


def access_training_shortfalls_notify(actor, obj=None) -> None:
    if actor is None:
        return  # the year-end beat task
    require_active(actor)
    deny_unless(actor.has_perm("partybuilding.change_trainingthreshold"), MAY_NOT_RUN)
