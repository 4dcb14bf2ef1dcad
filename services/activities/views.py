"""Pages of themed activities: list with the year's totals, detail, record and edit with an
attendee picker. Every write goes through services/activities.py.

Access: lists and details start from `visible_to(user)` (out of scope: 404, as missing); a
role without `view_activity` gets 403 on the list, without `add_activity` on the form; editing
needs the activity in the user's change scope (else 403). The list uses the same number of
queries for 1 row and for 20.

The attendee picker searches residents by name (or full ID number / phone) among those the
user may see (`activity-attendee-search`, an htmx fragment); partner staff have no picker and
count attendees under "other attendees".
"""

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models import Resident
from portal.ui import ALL, FilterSet, ScopedFormMixin
from services.activities import writes as flow
from services.models import Activity, ServiceItem

PAGE_SIZE = 20


# --- Access: one condition per line --------------------------------------------------------


def access_list(user) -> None:
    if not user.has_perm("services.view_activity"):
        raise PermissionDenied


def access_add(user) -> None:
    if not user.has_perm("services.add_activity"):
        raise PermissionDenied


def may_change(user, activity) -> bool:
    return Activity.objects.visible_to(user, "change").filter(pk=activity.pk).exists()


# --- Filters and forms ---------------------------------------------------------------------


def _communities(request):
    return flow.activity_communities(request.user)


class ActivityFilter(FilterSet):
    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("Title, team or place")}
        ),
    )
    theme = django_filters.ChoiceFilter(
        label=gettext_lazy("theme"), choices=Activity.Theme.choices, empty_label=ALL
    )
    target_group = django_filters.ChoiceFilter(
        label=gettext_lazy("target group"), choices=ServiceItem.Group.choices, empty_label=ALL
    )
    community = django_filters.ModelChoiceFilter(
        label=gettext_lazy("community"), queryset=_communities, empty_label=ALL
    )
    year = django_filters.NumberFilter(
        label=gettext_lazy("year"), method="filter_year", min_value=2000, max_value=2100
    )

    class Meta:
        model = Activity
        fields = ["q", "theme", "target_group", "community", "year"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__contains=value) | Q(team_name__contains=value) | Q(place__contains=value)
        )

    def filter_year(self, queryset, name, value):
        return flow.activities_in_year(queryset, int(value))


class DateTimeInput(forms.DateTimeInput):
    """The phone's own date-and-time picker."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class ActivityForm(ScopedFormMixin, forms.ModelForm):
    """The activity's details; `attendees` (residents the user may see) unless partner staff."""

    attendees = forms.ModelMultipleChoiceField(
        label=capfirst(gettext_lazy("attendees")),
        queryset=Resident.objects.none(),
        required=False,
        widget=forms.MultipleHiddenInput,
    )

    class Meta:
        model = Activity
        fields = [
            "title", "theme", "target_group", "community", "partner", "team_name", "starts_at",
            "place", "volunteer_count", "volunteer_hours", "extra_attendees", "summary",
        ]  # fmt: skip
        widgets = {
            "starts_at": DateTimeInput(),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "volunteer_hours": forms.NumberInput(attrs={"step": "0.5", "min": "0"}),
        }

    def limit_choices(self):
        self.fields["community"].queryset = flow.activity_communities(self.user).order_by("code")
        self.fields["partner"].queryset = flow.activity_partners(self.user)
        self.fields["team_name"].required = False
        self.fields["team_name"].help_text = _("Leave empty to use the partner's name.")
        if flow.is_partner_staff(self.user):
            self.fields["partner"].required = True
            self.fields["partner"].empty_label = None
            del self.fields["attendees"]
        else:
            self.fields["attendees"].queryset = Resident.objects.visible_to(self.user)
            if not self.fields["partner"].queryset.exists():
                del self.fields["partner"]  # community and grid staff work with no partners

    def chosen_attendees(self):
        """The residents to show as picked: those posted back, or those already recorded."""
        if "attendees" not in self.fields:
            return []
        if self.is_bound:
            self.is_valid()  # cleans once; cached afterwards
            if "attendees" in self.cleaned_data:
                return list(self.cleaned_data["attendees"])
            ids = [pk for pk in self.data.getlist("attendees") if pk.isdigit()]
            return list(self.fields["attendees"].queryset.filter(pk__in=ids))
        return list(self.initial.get("attendees", []))


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _form_page(request, form, *, title, cancel_url, activity=None):
    context = {
        "form": form,
        "title": title,
        "cancel_url": cancel_url,
        "activity": activity,
        "picked": form.chosen_attendees(),
        "can_name": "attendees" in form.fields,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "services/activities/form.html", context, status=status)


# --- Pages ---------------------------------------------------------------------------------


@login_required
def activity_list(request):
    access_list(request.user)
    queryset = flow.activity_list(actor=request.user).order_by("-starts_at", "-pk")
    filterset = ActivityFilter(request.GET, queryset=queryset, request=request)
    queryset = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    year = timezone.localdate().year
    if filterset.is_valid() and filterset.form.cleaned_data.get("year"):
        year = int(filterset.form.cleaned_data["year"])
    context = {
        "page": page,
        "filter": filterset,
        "year": year,
        "totals": flow.activity_totals(actor=request.user, year=year),
        "can_add": request.user.has_perm("services.add_activity"),
    }
    return render(request, "services/activities/list.html", context)


@login_required
def activity_detail(request, pk: int):
    activity = get_object_or_404(flow.activity_list(actor=request.user), pk=pk)
    attendees = (
        Resident.objects.visible_to(request.user)
        .filter(pk__in=activity.attendance.values("resident"))
        .select_related("household__grid")
        .order_by("name", "pk")
    )
    context = {
        "activity": activity,
        "attendees": attendees,
        "can_change": may_change(request.user, activity),
    }
    return render(request, "services/activities/detail.html", context)


@login_required
def activity_create(request):
    access_add(request.user)
    form = ActivityForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            activity = flow.activity_record(actor=request.user, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Activity “%(title)s” recorded.") % {"title": activity})
            return redirect("services:activity-detail", activity.pk)
    return _form_page(
        request, form, title=_("Record an activity"), cancel_url=reverse("services:activity-list")
    )


@login_required
def activity_edit(request, pk: int):
    activity = get_object_or_404(Activity.objects.visible_to(request.user), pk=pk)
    if not may_change(request.user, activity):
        raise PermissionDenied
    initial = {}
    if not flow.is_partner_staff(request.user):
        initial["attendees"] = list(
            Resident.objects.visible_to(request.user)
            .filter(pk__in=activity.attendance.values("resident"))
            .select_related("household__grid")
            .order_by("name", "pk")
        )
    form = ActivityForm(request.POST or None, instance=activity, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        attendees = data.pop("attendees", None)
        try:
            with transaction.atomic():
                activity = flow.activity_update(actor=request.user, activity=activity, **data)
                if attendees is not None:
                    flow.activity_attendees_set(
                        actor=request.user, activity=activity, residents=attendees
                    )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Activity “%(title)s” saved.") % {"title": activity})
            return redirect("services:activity-detail", activity.pk)
    return _form_page(
        request,
        form,
        title=_("Edit %(title)s") % {"title": activity.title},
        cancel_url=reverse("services:activity-detail", args=[activity.pk]),
        activity=activity,
    )


@login_required
def activity_attendee_search(request):
    """Residents the user may name as attendees, matching ?q= (an htmx fragment, 20 at most)."""
    access_add(request.user)
    search = request.GET.get("q", "").strip()
    residents = (
        flow.attendee_candidates(actor=request.user, search=search)
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
    path("activities/<int:pk>/", activity_detail, name="activity-detail"),
    path("activities/<int:pk>/edit/", activity_edit, name="activity-edit"),
]
