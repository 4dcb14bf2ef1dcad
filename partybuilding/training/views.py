"""Pages of training (培训): courses, their attendees (one form for the whole room, on a phone),
each member's hours this year against their threshold, the year-end report of those below it
(with its Excel export), and the thresholds.

Every write goes through partybuilding/training/writes.py, whose gates (policy.py) decide who
may act; rows come from the selectors (out of scope: 404, as missing; a person sees the hours of
the members they see: a secretary their branch, a member themself).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partybuilding.training import selectors, writes
from partybuilding.training.filters import CourseFilter
from partybuilding.training.forms import (
    AttendeesForm,
    CourseEditForm,
    CourseForm,
    PeriodForm,
    RecordForm,
    ThresholdForm,
)
from partybuilding.training.policy import (
    access_training_course_change,
    access_training_course_create,
    access_training_list,
    access_training_record_change,
    access_training_records_add,
    access_training_report_view,
    access_training_threshold_change,
)
from portal.policy import allowed
from portal.spreadsheets import workbook_response
from portal.ui import filtered_page, form_errors, form_page, paginate


@login_required
def course_list(request):
    access_training_list(request.user)
    filterset = CourseFilter(request.GET, queryset=selectors.course_list(actor=request.user))
    context = {
        "page": filtered_page(request, filterset),
        "filter": filterset,
        "can_add": allowed(access_training_course_create, request.user),
        "can_report": allowed(access_training_report_view, request.user),
    }
    return render(request, "partybuilding/training/list.html", context)


@login_required
def course_create(request):
    access_training_course_create(request.user)
    form = CourseForm(request.POST or None, initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            course = writes.training_course_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Course “%(title)s” recorded.") % {"title": course})
            return redirect("partybuilding:training-detail", course.pk)
    return form_page(
        request, form, title=_("New course"), cancel_url=reverse("partybuilding:training-list")
    )


@login_required
def course_detail(request, pk):
    course = get_object_or_404(selectors.course_list(actor=request.user), pk=pk)
    context = {
        "course": course,
        "records": selectors.course_records(actor=request.user, course=course),
        "can_add": allowed(access_training_records_add, request.user, course),
        "can_change": allowed(access_training_course_change, request.user, course),
    }
    return render(request, "partybuilding/training/detail.html", context)


@login_required
def course_edit(request, pk):
    course = get_object_or_404(selectors.course_list(actor=request.user), pk=pk)
    access_training_course_change(request.user, course)
    form = CourseEditForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        try:
            writes.training_course_update(actor=request.user, course=course, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Course saved."))
            return redirect("partybuilding:training-detail", course.pk)
    return form_page(
        request,
        form,
        title=_("Edit %(title)s") % {"title": course.title},
        cancel_url=reverse("partybuilding:training-detail", args=[course.pk]),
    )


def _record(request, pk, record_pk):
    course = get_object_or_404(selectors.course_list(actor=request.user), pk=pk)
    record = get_object_or_404(
        selectors.course_records(actor=request.user, course=course), pk=record_pk
    )
    return course, record


@login_required
def record_edit(request, pk, record_pk):
    """Correct one attendee's hours or day (or take them off the list)."""
    course, record = _record(request, pk, record_pk)
    access_training_record_change(request.user, record)
    form = RecordForm(request.POST or None, instance=record)
    if request.method == "POST" and form.is_valid():
        try:
            writes.training_record_update(actor=request.user, record=record, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Record saved."))
            return redirect("partybuilding:training-detail", course.pk)
    return form_page(
        request,
        form,
        title=_("%(member)s · %(title)s") % {"member": record.member.name, "title": course.title},
        cancel_url=reverse("partybuilding:training-detail", args=[course.pk]),
        template="partybuilding/training/record_form.html",
        course=course,
        record=record,
    )


@login_required
@require_POST
def record_remove(request, pk, record_pk):
    course, record = _record(request, pk, record_pk)
    writes.training_record_remove(actor=request.user, record=record)
    messages.success(request, _("%(member)s taken off the attendees.") % {"member": record.member})
    return redirect("partybuilding:training-detail", course.pk)


@login_required
def course_attendees(request, pk):
    """Tick who came (narrowed to one organisation with ?org=); hours default to the course's."""
    course = get_object_or_404(selectors.course_list(actor=request.user), pk=pk)
    access_training_records_add(request.user, course)
    period = PeriodForm(request.GET or None, user=request.user)
    org, _year = period.period()
    form = AttendeesForm(request.POST or None, user=request.user, course=course, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            records = writes.training_records_add(
                actor=request.user, course=course, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("%(n)s attendees recorded.") % {"n": len(records)})
            return redirect("partybuilding:training-detail", course.pk)
    recorded = set(course.records.values_list("member_id", flat=True))
    return form_page(
        request,
        form,
        title=_("Attendees of %(title)s") % {"title": course.title},
        cancel_url=reverse("partybuilding:training-detail", args=[course.pk]),
        template="partybuilding/training/attendees.html",
        course=course,
        period=period,
        recorded=recorded,
    )


def _period(request):
    access_training_report_view(request.user)
    form = PeriodForm(request.GET or None, user=request.user)
    org, year = form.period()
    return form, org, year


@login_required
def hours_view(request):
    """Year to date: each member's hours against their threshold (of one organisation)."""
    form, org, year = _period(request)
    today = timezone.localdate()
    until = selectors.period_end(year, today)
    rows = selectors.training_hours(actor=request.user, year=year, until=until, org=org)
    context = {
        "form": form,
        "org": org,
        "year": year,
        "until": until,
        "page": paginate(request, rows, per_page=50),
        "below": sum(1 for row in rows if row.below),
        "total": len(rows),
        "query": request.GET.urlencode(),
    }
    return render(request, "partybuilding/training/hours.html", context)


@login_required
def shortfalls_view(request):
    """The year-end report: exactly the members below their threshold for the year."""
    form, org, year = _period(request)
    rows = selectors.training_shortfalls(actor=request.user, year=year, org=org)
    context = {
        "form": form,
        "org": org,
        "year": year,
        "rows": rows,
        "query": request.GET.urlencode(),
    }
    return render(request, "partybuilding/training/shortfalls.html", context)


@login_required
def shortfalls_export(request):
    _form, org, year = _period(request)
    rows = selectors.training_shortfalls(actor=request.user, year=year, org=org)
    writes.training_shortfalls_export_record(actor=request.user, year=year, org=org, rows=len(rows))
    name = f"training-below-{year}" + (f"-{org.pk}" if org else "") + ".xlsx"
    return workbook_response(selectors.training_shortfalls_workbook(rows, year=year), filename=name)


@login_required
def threshold_list(request):
    access_training_list(request.user)
    context = {
        "thresholds": selectors.threshold_list(actor=request.user),
        "can_change": allowed(access_training_threshold_change, request.user),
    }
    return render(request, "partybuilding/training/thresholds.html", context)


@login_required
def threshold_edit(request, pk):
    threshold = get_object_or_404(selectors.threshold_list(actor=request.user), pk=pk)
    access_training_threshold_change(request.user, threshold)
    form = ThresholdForm(request.POST or None, instance=threshold)
    if request.method == "POST" and form.is_valid():
        try:
            writes.training_threshold_set(
                actor=request.user,
                threshold=threshold,
                yearly_hours=form.cleaned_data["yearly_hours"],
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Threshold saved."))
            return redirect("partybuilding:training-thresholds")
    return form_page(
        request,
        form,
        title=threshold.get_position_display(),
        cancel_url=reverse("partybuilding:training-thresholds"),
    )


urlpatterns = [
    path("training/", course_list, name="training-list"),
    path("training/new/", course_create, name="training-create"),
    path("training/hours/", hours_view, name="training-hours"),
    path("training/shortfalls/", shortfalls_view, name="training-shortfalls"),
    path("training/shortfalls.xlsx", shortfalls_export, name="training-shortfalls-export"),
    path("training/thresholds/", threshold_list, name="training-thresholds"),
    path("training/thresholds/<id:pk>/", threshold_edit, name="training-threshold-edit"),
    path("training/<id:pk>/", course_detail, name="training-detail"),
    path("training/<id:pk>/attendees/", course_attendees, name="training-attendees"),
    path("training/<id:pk>/edit/", course_edit, name="training-edit"),
    path(
        "training/<id:pk>/records/<id:record_pk>/edit/",
        record_edit,
        name="training-record-edit",
    ),
    path(
        "training/<id:pk>/records/<id:record_pk>/remove/",
        record_remove,
        name="training-record-remove",
    ),
]
