"""Pages of themed activities: list with the year's totals, detail, record and edit with an
attendee picker. Every write goes through services/activities/writes.py, whose gates
(services/activities/policy.py) decide who may act.

Access: lists and details start from the selectors (`visible_to(user)`: out of scope is a 404,
as missing); a role without `view_activity` gets 403 on the list, without `add_activity` on the
form; editing needs the activity in the user's change scope (else 403). The list uses the same
number of queries for 1 row and for 20.

The attendee picker searches residents by name (or full ID number / phone) among those the
user may see (`activity-attendee-search`, an htmx fragment); partner staff have no picker and
count attendees under "other attendees".
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.models import Resident
from portal.params import id_param
from portal.policy import allowed
from portal.ui import filtered_page, form_errors, form_page
from services.activities import selectors, writes
from services.activities.filters import ActivityFilter
from services.activities.forms import ActivityForm
from services.activities.policy import (
    access_activity_attendees_name,
    access_activity_enrol,
    access_activity_list,
    access_activity_record,
    access_activity_update,
)

FORM_TEMPLATE = "services/activities/form.html"


def _activity_form_page(request, form, *, title, cancel_url, activity=None):
    """The activity form with its attendee picker (services/activities/form.html)."""
    return form_page(
        request,
        form,
        title=title,
        cancel_url=cancel_url,
        template=FORM_TEMPLATE,
        activity=activity,
        picked=form.chosen_attendees(),
        can_name="attendees" in form.fields,
    )


# --- Pages ---------------------------------------------------------------------------------


@login_required
def activity_list(request):
    access_activity_list(request.user)
    queryset = selectors.activity_list(actor=request.user).order_by("-starts_at", "-pk")
    filterset = ActivityFilter(request.GET, queryset=queryset, request=request)
    page = filtered_page(request, filterset)
    year = timezone.localdate().year
    if filterset.is_valid() and filterset.form.cleaned_data.get("year"):
        year = int(filterset.form.cleaned_data["year"])
    context = {
        "page": page,
        "filter": filterset,
        "year": year,
        "totals": selectors.activity_totals(actor=request.user, year=year),
        "can_add": allowed(access_activity_record, request.user),
    }
    return render(request, "services/activities/list.html", context)


@login_required
def activity_detail(request, pk: int):
    activity = get_object_or_404(selectors.activity_list(actor=request.user), pk=pk)
    context = {
        "activity": activity,
        "attendees": selectors.activity_attendees(actor=request.user, activity=activity),
        "can_change": allowed(access_activity_update, request.user, activity),
        **_enrolment_context(request, activity),
    }
    return render(request, "services/activities/detail.html", context)


def _enrolment_context(request, activity) -> dict:
    """Enrolment before the event: who is enrolled, the places left, whether the user may enrol."""
    may_enrol = allowed(access_activity_enrol, request.user, activity)
    open_now = activity.starts_at > timezone.now()
    left = None
    if activity.capacity is not None:
        left = max(activity.capacity - activity.enrolled_count, 0)
    return {
        "enrolled": selectors.activity_enrolled(actor=request.user, activity=activity),
        "places_left": left,
        "can_enrol": may_enrol and open_now,
    }


@login_required
@require_POST
def activity_enrol_view(request, pk: int):
    """Enrol the ticked residents (`attendees`, from the resident search) before the event."""
    activity = get_object_or_404(selectors.activity_list(actor=request.user), pk=pk)
    access_activity_enrol(request.user, activity)
    ids = [i for i in (id_param(raw) for raw in request.POST.getlist("attendees")) if i]
    try:
        new = writes.activity_enrol(
            actor=request.user, activity=activity, residents=Resident.objects.filter(pk__in=ids)
        )
    except ValidationError as exc:
        for message in exc.message_dict.get("residents", exc.messages):
            messages.error(request, message)
    else:
        messages.success(request, _("%(n)s residents enrolled.") % {"n": len(new)})
    return redirect("services:activity-detail", activity.pk)


@login_required
@require_POST
def activity_withdraw_view(request, pk: int, resident_pk: int):
    """Take one resident's enrolment back before the event."""
    activity = get_object_or_404(selectors.activity_list(actor=request.user), pk=pk)
    access_activity_enrol(request.user, activity)
    resident = get_object_or_404(Resident.objects.visible_to(request.user), pk=resident_pk)
    try:
        writes.activity_enrolment_withdraw(actor=request.user, activity=activity, resident=resident)
    except ValidationError as exc:
        for message in exc.message_dict.get("residents", exc.messages):
            messages.error(request, message)
    else:
        messages.success(request, _("Enrolment withdrawn."))
    return redirect("services:activity-detail", activity.pk)


@login_required
def activity_create(request):
    access_activity_record(request.user)
    form = ActivityForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            activity = writes.activity_record(actor=request.user, **data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Activity “%(title)s” recorded.") % {"title": activity})
            return redirect("services:activity-detail", activity.pk)
    return _activity_form_page(
        request, form, title=_("Record an activity"), cancel_url=reverse("services:activity-list")
    )


@login_required
def activity_edit(request, pk: int):
    activity = get_object_or_404(selectors.activity_list(actor=request.user), pk=pk)
    access_activity_update(request.user, activity)
    initial = {}
    if allowed(access_activity_attendees_name, request.user):
        attendees = list(selectors.activity_attendees(actor=request.user, activity=activity))
        # No attendance recorded yet: start from the enrolment list, so recording attendance
        # after the event is unticking who did not come.
        initial["attendees"] = attendees or list(
            selectors.activity_enrolled(actor=request.user, activity=activity)
        )
    form = ActivityForm(request.POST or None, instance=activity, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        attendees = data.pop("attendees", None)
        try:
            with transaction.atomic():
                activity = writes.activity_update(actor=request.user, activity=activity, **data)
                if attendees is not None:
                    writes.activity_attendees_set(
                        actor=request.user, activity=activity, residents=attendees
                    )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Activity “%(title)s” saved.") % {"title": activity})
            return redirect("services:activity-detail", activity.pk)
    return _activity_form_page(
        request,
        form,
        title=_("Edit %(title)s") % {"title": activity.title},
        cancel_url=reverse("services:activity-detail", args=[activity.pk]),
        activity=activity,
    )


@login_required
def activity_attendee_search(request):
    """Residents the user may name as attendees, matching ?q= (an htmx fragment, 20 at most)."""
    access_activity_record(request.user)
    search = request.GET.get("q", "").strip()
    residents = (
        selectors.attendee_candidates(actor=request.user, search=search)
        if search
        else Resident.objects.none()
    )
    return render(
        request,
        "services/activities/_attendee_results.html",
        {"residents": residents, "q": search},
    )


urlpatterns = [
    path("activities/", activity_list, name="activity-list"),
    path("activities/new/", activity_create, name="activity-create"),
    path("activities/attendees/", activity_attendee_search, name="activity-attendee-search"),
    path("activities/<id:pk>/", activity_detail, name="activity-detail"),
    path("activities/<id:pk>/edit/", activity_edit, name="activity-edit"),
    path("activities/<id:pk>/enrol/", activity_enrol_view, name="activity-enrol"),
    path(
        "activities/<id:pk>/withdraw/<id:resident_pk>/",
        activity_withdraw_view,
        name="activity-withdraw",
    ),
]
