"""Pages of organisational life (三会一课, 主题党日): the meetings of the organisations one
sees (filters: organisation, kind, year), a meeting with its attendance, recording a meeting
with its attendance sheet on one phone page, and the compliance page per branch.

Reads start from the selectors (out of scope: 404, as missing); writes go through
partybuilding/orglife/writes.py, whose gates decide (403 for an organisation outside the
user's jurisdiction).
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partybuilding.orglife import selectors, writes
from partybuilding.orglife.filters import MeetingFilter
from partybuilding.orglife.forms import ComplianceForm, MeetingForm, MeetingRequirementForm
from partybuilding.orglife.policy import (
    access_compliance_view,
    access_meeting_list,
    access_meeting_record,
    access_meeting_requirement_change,
    access_meeting_requirement_create,
    access_meeting_requirement_list,
    access_meeting_update,
)
from portal.params import id_param
from portal.policy import allowed
from portal.ui import filtered_page, form_errors, form_page, paginate

FORM = "partybuilding/orglife/meeting_form.html"


@login_required
def meeting_list(request):
    access_meeting_list(request.user)
    queryset = selectors.meeting_list(actor=request.user).order_by("-held_on", "-pk")
    filterset = MeetingFilter(request.GET, queryset=queryset, request=request)
    context = {
        "page": filtered_page(request, filterset),
        "filter": filterset,
        "can_add": allowed(access_meeting_record, request.user),
    }
    return render(request, "partybuilding/orglife/meeting_list.html", context)


@login_required
def meeting_detail(request, pk: int):
    meeting = get_object_or_404(selectors.meeting_list(actor=request.user), pk=pk)
    context = {
        "meeting": meeting,
        "attendance": selectors.meeting_attendance(actor=request.user, meeting=meeting),
        "can_change": allowed(access_meeting_update, request.user, meeting),
    }
    return render(request, "partybuilding/orglife/meeting_detail.html", context)


@login_required
def meeting_create(request):
    """First the organisation (?org=, a list of buttons when not given), then the form."""
    access_meeting_record(request.user)
    orgs = selectors.meeting_org_choices(actor=request.user)
    org_pk = id_param(request.GET.get("org"))
    if org_pk is None:
        return render(request, "partybuilding/orglife/meeting_org_pick.html", {"orgs": orgs[:200]})
    org = get_object_or_404(orgs, pk=org_pk)
    access_meeting_record(request.user, org)
    form = MeetingForm(request.POST or None, org=org, initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            meeting = writes.meeting_record(
                actor=request.user, org=org, attendance=form.attendance(), **form.details()
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Meeting recorded."))
            return redirect("partybuilding:meeting-detail", meeting.pk)
    return form_page(
        request,
        form,
        title=_("Record a meeting of %(org)s") % {"org": org.name},
        cancel_url=reverse("partybuilding:meeting-list"),
        template=FORM,
    )


@login_required
def meeting_edit(request, pk: int):
    meeting = get_object_or_404(selectors.meeting_list(actor=request.user), pk=pk)
    access_meeting_update(request.user, meeting)
    current = dict(meeting.attendance.values_list("member_id", "status"))
    form = MeetingForm(
        request.POST or None, instance=meeting, org=meeting.org, initial_status=current
    )
    if request.method == "POST" and form.is_valid():
        try:
            writes.meeting_update(
                actor=request.user,
                meeting=meeting,
                attendance=form.attendance(),
                **form.details(),
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Meeting saved."))
            return redirect("partybuilding:meeting-detail", meeting.pk)
    return form_page(
        request,
        form,
        title=_("Edit the meeting of %(date)s") % {"date": meeting.held_on.isoformat()},
        cancel_url=reverse("partybuilding:meeting-detail", args=[meeting.pk]),
        template=FORM,
    )


@login_required
def compliance(request):
    """For each organisation (one, with ?org=) and each required kind, the periods of the year
    so far: held, missed or still open."""
    access_compliance_view(request.user)
    today = timezone.localdate()
    form = ComplianceForm(request.GET or None)
    year = today.year
    if form.is_valid() and form.cleaned_data.get("year"):
        year = form.cleaned_data["year"]
    orgs = selectors.compliance_orgs(actor=request.user)
    org_pk = id_param(request.GET.get("org"))
    if org_pk is not None:
        orgs = orgs.filter(pk=org_pk)
    page = paginate(request, orgs)
    as_of = min(today, date(year, 12, 31))
    context = {
        "page": page,
        "year": year,
        "rows": selectors.compliance(orgs=list(page), year=year, today=as_of),
        "org": org_pk,
    }
    return render(request, "partybuilding/orglife/compliance.html", context)


# --- Required frequencies (组织生活频次要求) ------------------------------------------------------


@login_required
def requirement_list(request):
    access_meeting_requirement_list(request.user)
    context = {
        "requirements": selectors.requirement_list(actor=request.user),
        "can_add": allowed(access_meeting_requirement_create, request.user),
        "can_change": allowed(access_meeting_requirement_change, request.user),
    }
    return render(request, "partybuilding/orglife/requirements.html", context)


@login_required
def requirement_create(request):
    access_meeting_requirement_create(request.user)
    form = MeetingRequirementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            writes.meeting_requirement_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Requirement added."))
            return redirect("partybuilding:meeting-requirement-list")
    return form_page(
        request,
        form,
        title=_("New meeting requirement"),
        cancel_url=reverse("partybuilding:meeting-requirement-list"),
    )


def _requirement(request, pk):
    return get_object_or_404(selectors.requirement_list(actor=request.user), pk=pk)


@login_required
def requirement_edit(request, pk):
    requirement = _requirement(request, pk)
    access_meeting_requirement_change(request.user, requirement)
    form = MeetingRequirementForm(request.POST or None, instance=requirement)
    if request.method == "POST" and form.is_valid():
        try:
            writes.meeting_requirement_update(
                actor=request.user, requirement=requirement, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Requirement saved."))
            return redirect("partybuilding:meeting-requirement-list")
    return form_page(
        request,
        form,
        title=_("Edit the requirement %(name)s") % {"name": requirement},
        cancel_url=reverse("partybuilding:meeting-requirement-list"),
        template="partybuilding/orglife/requirement_form.html",
        requirement=requirement,
    )


@login_required
@require_POST
def requirement_delete(request, pk):
    requirement = _requirement(request, pk)
    writes.meeting_requirement_delete(actor=request.user, requirement=requirement)
    messages.success(request, _("Requirement removed."))
    return redirect("partybuilding:meeting-requirement-list")


urlpatterns = [
    path("meetings/requirements/", requirement_list, name="meeting-requirement-list"),
    path("meetings/requirements/new/", requirement_create, name="meeting-requirement-create"),
    path(
        "meetings/requirements/<id:pk>/edit/",
        requirement_edit,
        name="meeting-requirement-edit",
    ),
    path(
        "meetings/requirements/<id:pk>/delete/",
        requirement_delete,
        name="meeting-requirement-delete",
    ),
    path("meetings/", meeting_list, name="meeting-list"),
    path("meetings/new/", meeting_create, name="meeting-create"),
    path("meetings/<id:pk>/", meeting_detail, name="meeting-detail"),
    path("meetings/<id:pk>/edit/", meeting_edit, name="meeting-edit"),
    path("meetings/compliance/", compliance, name="orglife-compliance"),
]
