"""Registry pages: grids (with micro-grids, staff and handover), buildings, households.

Function views. Every object is fetched through a selector (out of scope: 404, as missing);
every read, count and list comes from grids/selectors.py; every write goes through
grids.writes, whose gate (grids/policy.py) decides who may do it — a PermissionDenied is a
403, a ValidationError the form again with its errors. The pages ask the same gates
(`allowed`) which buttons and forms to offer. Lists are filtered with grids/filters.py, 20 to a
page, and use the same number of queries for 1 row and for 20.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from grids import policy, selectors, writes
from grids.filters import BuildingFilter, GridFilter, HouseholdFilter
from grids.forms import (
    BuildingEditForm,
    BuildingForm,
    GridEditForm,
    GridForm,
    HandoverForm,
    HouseholdForm,
    MicroGridForm,
)
from grids.views.residents import household_file_sections
from portal.params import id_param
from portal.policy import allowed
from portal.ui import filtered_page, form_errors, form_page

# --- Grids ----------------------------------------------------------------------------------


@login_required
def grid_list(request):
    policy.access_grid_list(request.user)
    queryset = selectors.grid_overview_list(actor=request.user, on=timezone.localdate())
    filterset = GridFilter(request.GET, queryset=queryset, request=request)
    page = filtered_page(request, filterset)
    return render(request, "grids/grid_list.html", {"page": page, "filter": filterset})


def _visible_grid(request, pk):
    return get_object_or_404(selectors.grid_list(actor=request.user), pk=pk)


@login_required
def grid_detail(request, pk: int):
    grid = _visible_grid(request, pk)
    return _grid_detail(request, grid)


def _grid_detail(request, grid, *, micro_grid_form=None, status=200):
    user = request.user
    if micro_grid_form is None and allowed(policy.access_micro_grid_create, user, grid):
        micro_grid_form = MicroGridForm(user=user, prefix="micro")
    context = {
        "grid": grid,
        "micro_grids": selectors.micro_grid_list(actor=user, grid=grid),
        "staff": selectors.grid_staff_list(actor=user, grid=grid, on=timezone.localdate()),
        **selectors.grid_counts(actor=user, grid=grid),
        "can_change": allowed(policy.access_grid_change, user, grid),
        "micro_grid_form": micro_grid_form,
    }
    return render(request, "grids/grid_detail.html", context, status=status)


@login_required
def grid_create(request):
    policy.access_grid_create(request.user)
    form = GridForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            grid = writes.grid_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Grid %(name)s created.") % {"name": grid.name})
            return redirect("grids:grid-detail", grid.pk)
    return form_page(request, form, title=_("New grid"), cancel_url=reverse("grids:grid-list"))


@login_required
def grid_edit(request, pk: int):
    grid = _visible_grid(request, pk)
    policy.access_grid_change(request.user, grid)
    form = GridEditForm(request.POST or None, instance=grid, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            grid = writes.grid_update(actor=request.user, grid=grid, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Grid %(name)s saved.") % {"name": grid.name})
            return redirect("grids:grid-detail", grid.pk)
    return form_page(
        request,
        form,
        title=_("Edit grid %(name)s") % {"name": grid.name},
        cancel_url=reverse("grids:grid-detail", args=[grid.pk]),
    )


@login_required
@require_POST
def micro_grid_create(request, pk: int):
    grid = _visible_grid(request, pk)
    policy.access_micro_grid_create(request.user, grid)
    form = MicroGridForm(request.POST, user=request.user, prefix="micro")
    if form.is_valid():
        try:
            writes.micro_grid_create(actor=request.user, grid=grid, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request, _("Micro-grid %(name)s added.") % {"name": form.cleaned_data["name"]}
            )
            return redirect("grids:grid-detail", grid.pk)
    return _grid_detail(request, grid, micro_grid_form=form, status=400)


# --- Staffing and handover ------------------------------------------------------------------


@login_required
def grid_staffing(request, pk: int):
    grid = _visible_grid(request, pk)
    return _grid_staffing(request, grid)


def _grid_staffing(request, grid, *, form=None, status=200):
    user = request.user
    assignments = selectors.grid_staff_list(actor=user, grid=grid)
    can_hand_over = allowed(policy.access_grid_handover, user, grid)
    if form is None and can_hand_over:
        form = HandoverForm(user=user, grid=grid)
    today = timezone.localdate()
    context = {
        "grid": grid,
        "current": [a for a in assignments if a.end_date is None or a.end_date >= today],
        "past": [a for a in assignments if a.end_date is not None and a.end_date < today],
        "form": form if can_hand_over else None,
    }
    return render(request, "grids/grid_staffing.html", context, status=status)


@login_required
@require_POST
def grid_handover(request, pk: int):
    grid = _visible_grid(request, pk)
    policy.access_grid_handover(request.user, grid)
    form = HandoverForm(request.POST, user=request.user, grid=grid)
    if form.is_valid():
        try:
            result = writes.grid_handover(
                actor=request.user,
                grid=grid,
                from_person=form.cleaned_data["from_person"],
                to_person=form.cleaned_data["to_person"],
                on_date=form.cleaned_data["on_date"],
                post=form.cleaned_data["post"] or None,
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "%(to)s has taken over %(grid)s from %(from)s; %(needs)d open need was handed over.",
                    "%(to)s has taken over %(grid)s from %(from)s; %(needs)d open needs were handed over.",
                    result.needs_moved,
                )
                % {
                    "to": form.cleaned_data["to_person"],
                    "from": form.cleaned_data["from_person"],
                    "grid": grid,
                    "needs": result.needs_moved,
                },
            )
            return redirect("grids:grid-staffing", grid.pk)
    return _grid_staffing(request, grid, form=form, status=400)


# --- Buildings ------------------------------------------------------------------------------


@login_required
def building_list(request):
    policy.access_building_list(request.user)
    queryset = selectors.building_overview_list(actor=request.user)
    filterset = BuildingFilter(request.GET, queryset=queryset, request=request)
    page = filtered_page(request, filterset)
    return render(request, "grids/building_list.html", {"page": page, "filter": filterset})


def _visible_building(request, pk):
    return get_object_or_404(selectors.building_list(actor=request.user), pk=pk)


@login_required
def building_detail(request, pk: int):
    building = _visible_building(request, pk)
    user = request.user
    context = {
        "building": building,
        "dwellings": selectors.dwelling_households_list(actor=user, building=building),
        "can_change": allowed(policy.access_building_change, user, building),
        "can_add_household": allowed(policy.access_household_create, user),
    }
    return render(request, "grids/building_detail.html", context)


@login_required
def building_create(request):
    policy.access_building_create(request.user)
    initial = {}
    grid = (
        selectors.grid_list(actor=request.user)
        .filter(pk=id_param(request.GET.get("grid")) or 0)
        .first()
    )
    if grid is not None:
        initial = {"grid": grid.pk, "community": grid.community_id}
    form = BuildingForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            building = writes.building_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Building %(name)s added.") % {"name": building.name})
            return redirect("grids:building-detail", building.pk)
    return form_page(
        request, form, title=_("New building"), cancel_url=reverse("grids:building-list")
    )


@login_required
def building_edit(request, pk: int):
    building = _visible_building(request, pk)
    policy.access_building_change(request.user, building)
    form = BuildingEditForm(request.POST or None, instance=building, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            building = writes.building_update(
                actor=request.user, building=building, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Building %(name)s saved.") % {"name": building.name})
            return redirect("grids:building-detail", building.pk)
    return form_page(
        request,
        form,
        title=_("Edit building %(name)s") % {"name": building.name},
        cancel_url=reverse("grids:building-detail", args=[building.pk]),
    )


# --- Households -----------------------------------------------------------------------------


@login_required
def household_list(request):
    policy.access_household_list(request.user)
    queryset = selectors.household_overview_list(actor=request.user)
    filterset = HouseholdFilter(request.GET, queryset=queryset, request=request)
    page = filtered_page(request, filterset)
    return render(request, "grids/household_list.html", {"page": page, "filter": filterset})


def _visible_household(request, pk):
    return get_object_or_404(selectors.household_list(actor=request.user), pk=pk)


@login_required
def household_detail(request, pk: int):
    household = _visible_household(request, pk)
    user = request.user
    context = {
        "household": household,
        # Visiting cadence from the one function that decides it (grids/cadence.py).
        "members": selectors.household_members(actor=user, household=household),
        "can_change": allowed(policy.access_household_change, user, household),
        "can_add_resident": allowed(policy.access_resident_create, user),
        # The household's file: its visits and aid, newest first (grids/views/residents.py).
        "sections": household_file_sections(request, household),
    }
    return render(request, "grids/household_detail.html", context)


def _dwelling_for(*, actor, building, unit: str, room: str):
    """The dwelling at building/unit/room, created on first use; None without a building."""
    if building is None:
        return None
    dwelling = (
        selectors.dwelling_list(actor=actor, building=building).filter(unit=unit, room=room).first()
    )
    if dwelling is None:
        dwelling = writes.dwelling_create(actor=actor, building=building, unit=unit, room=room)
    return dwelling


def _household_fields(form, *, actor) -> dict:
    data = form.cleaned_data
    fields = {
        "number": data["number"],
        "kind": data["kind"],
        "grid": data["grid"],
        "dwelling": _dwelling_for(
            actor=actor, building=data.get("building"), unit=data["unit"], room=data["room"]
        ),
    }
    if "head" in form.fields:
        fields["head"] = data.get("head")
    return fields


@login_required
def household_create(request):
    policy.access_household_create(request.user)
    initial = {}
    building = (
        selectors.building_list(actor=request.user)
        .filter(pk=id_param(request.GET.get("building")) or 0)
        .first()
    )
    if building is not None:
        initial = {"building": building.pk, "grid": building.grid_id}
    form = HouseholdForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # the new dwelling and the household, or neither
                household = writes.household_create(
                    actor=request.user, **_household_fields(form, actor=request.user)
                )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request, _("Household %(number)s added.") % {"number": household.number}
            )
            return redirect("grids:household-detail", household.pk)
    return form_page(
        request, form, title=_("New household"), cancel_url=reverse("grids:household-list")
    )


@login_required
def household_edit(request, pk: int):
    household = _visible_household(request, pk)
    policy.access_household_change(request.user, household)
    form = HouseholdForm(request.POST or None, instance=household, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                household = writes.household_update(
                    actor=request.user,
                    household=household,
                    **_household_fields(form, actor=request.user),
                )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request, _("Household %(number)s saved.") % {"number": household.number}
            )
            return redirect("grids:household-detail", household.pk)
    return form_page(
        request,
        form,
        title=_("Edit household %(number)s") % {"number": household.number},
        cancel_url=reverse("grids:household-detail", args=[household.pk]),
    )


urlpatterns = [
    path("grids/", grid_list, name="grid-list"),
    path("grids/new/", grid_create, name="grid-create"),
    path("grids/<id:pk>/", grid_detail, name="grid-detail"),
    path("grids/<id:pk>/edit/", grid_edit, name="grid-edit"),
    path("grids/<id:pk>/micro-grids/new/", micro_grid_create, name="micro-grid-create"),
    path("grids/<id:pk>/staffing/", grid_staffing, name="grid-staffing"),
    path("grids/<id:pk>/handover/", grid_handover, name="grid-handover"),
    path("buildings/", building_list, name="building-list"),
    path("buildings/new/", building_create, name="building-create"),
    path("buildings/<id:pk>/", building_detail, name="building-detail"),
    path("buildings/<id:pk>/edit/", building_edit, name="building-edit"),
    path("households/", household_list, name="household-list"),
    path("households/new/", household_create, name="household-create"),
    path("households/<id:pk>/", household_detail, name="household-detail"),
    path("households/<id:pk>/edit/", household_edit, name="household-edit"),
]
