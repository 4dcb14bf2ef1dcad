"""Registry pages: grids (with micro-grids, staff and handover), buildings, households.

Function views in the style of grids/views/residents.py. Every object is fetched through
`visible_to(user)` (out of scope: 404, as missing); a write also needs the object in
`visible_to(user, "change")` or the role's add permission (else 403); writes go through
grids.writes. Lists are filtered with grids/filters.py, 20 to a page, and use the same
number of queries for 1 row and for 20.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from grids import selectors, writes
from grids.cadence import residents_due, residents_with_due
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
from grids.models import (
    Building,
    Dwelling,
    Grid,
    GridAssignment,
    Household,
    MicroGrid,
    Resident,
)
from grids.querysets import granted_communities
from portal.roles import STREET_ROLES, Role
from portal.validators import mask_mobile

PAGE_SIZE = 20


# --- Access: one condition per line --------------------------------------------------------


def access_list(user, perm: str) -> None:
    """A list the role may not read at all is a 403 (an empty scope is an empty list)."""
    if not user.has_perm(perm):
        raise PermissionDenied


def access_add(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


def access_change(user, queryset, obj) -> None:
    """`obj` is visible (else the caller already gave 404); changing it needs more."""
    if not queryset.visible_to(user, "change").filter(pk=obj.pk).exists():
        raise PermissionDenied


def may_hand_over(user, grid: Grid) -> bool:
    """Street roles for any grid; a community cadre for the grids of their own community."""
    if not user.is_active:
        return False
    if user.is_superuser or user.role in STREET_ROLES:
        return True
    if user.role != Role.COMMUNITY_CADRE:
        return False
    return granted_communities(user).filter(pk=grid.community_id).exists()


def access_hand_over(user, grid: Grid) -> None:
    if not may_hand_over(user, grid):
        raise PermissionDenied


# --- Helpers --------------------------------------------------------------------------------


def _count(queryset, fk: str):
    """A correlated COUNT of `queryset` rows pointing at the outer row through `fk`."""
    counted = (
        queryset.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _paginate(request, filterset):
    """The page of the filtered list; an invalid filter (say, a grid out of scope) lists nothing."""
    queryset = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def apply_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its fields, or above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _form_page(request, form, *, title, cancel_url):
    """The form page; after a POST it is shown again only with errors: 400."""
    return render(
        request,
        "portal/form.html",
        {"form": form, "title": title, "cancel_url": cancel_url},
        status=400 if request.method == "POST" else 200,
    )


# --- Grids ----------------------------------------------------------------------------------


@login_required
def grid_list(request):
    access_list(request.user, "grids.view_grid")
    today = timezone.localdate()
    queryset = (
        selectors.grid_list(actor=request.user)
        .annotate(household_count=_count(Household.objects.all(), "grid"))
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=GridAssignment.objects.visible_to(request.user)
                .current(on=today)
                .select_related("person")
                .order_by("post", "start_date", "pk"),
                to_attr="current_staff",
            )
        )
        .order_by("code")
    )
    filterset = GridFilter(request.GET, queryset=queryset, request=request)
    page = _paginate(request, filterset)
    return render(request, "grids/grid_list.html", {"page": page, "filter": filterset})


def _visible_grid(request, pk):
    return get_object_or_404(
        Grid.objects.visible_to(request.user).select_related("community"), pk=pk
    )


@login_required
def grid_detail(request, pk: int):
    grid = _visible_grid(request, pk)
    return _grid_detail(request, grid)


def _grid_detail(request, grid, *, micro_grid_form=None, status=200):
    user = request.user
    today = timezone.localdate()
    micro_grids = list(
        MicroGrid.objects.visible_to(user)
        .filter(grid=grid)
        .annotate(building_count=_count(Building.objects.all(), "micro_grid"))
        .order_by("name")
    )
    for micro_grid in micro_grids:
        micro_grid.leader_phone_masked = mask_mobile(micro_grid.leader_phone or "")
    staff = (
        GridAssignment.objects.visible_to(user)
        .filter(grid=grid)
        .current(on=today)
        .select_related("person")
        .order_by("post", "start_date", "pk")
    )
    residents = Resident.objects.visible_to(user).filter(household__grid=grid)
    can_add_micro_grid = user.has_perm("grids.add_microgrid")
    if micro_grid_form is None and can_add_micro_grid:
        micro_grid_form = MicroGridForm(user=user, prefix="micro")
    context = {
        "grid": grid,
        "micro_grids": micro_grids,
        "staff": staff,
        "household_count": Household.objects.visible_to(user).filter(grid=grid).count(),
        "building_count": Building.objects.visible_to(user).filter(grid=grid).count(),
        "resident_count": residents.count(),
        "due_count": residents_due(residents).count(),
        "can_change": Grid.objects.visible_to(user, "change").filter(pk=grid.pk).exists(),
        "micro_grid_form": micro_grid_form,
    }
    return render(request, "grids/grid_detail.html", context, status=status)


@login_required
def grid_create(request):
    access_add(request.user, "grids.add_grid")
    form = GridForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            grid = writes.grid_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Grid %(name)s created.") % {"name": grid.name})
            return redirect("grids:grid-detail", grid.pk)
    return _form_page(request, form, title=_("New grid"), cancel_url=reverse("grids:grid-list"))


@login_required
def grid_edit(request, pk: int):
    grid = _visible_grid(request, pk)
    access_change(request.user, Grid.objects, grid)
    form = GridEditForm(request.POST or None, instance=grid, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            grid = writes.grid_update(actor=request.user, grid=grid, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Grid %(name)s saved.") % {"name": grid.name})
            return redirect("grids:grid-detail", grid.pk)
    return _form_page(
        request,
        form,
        title=_("Edit grid %(name)s") % {"name": grid.name},
        cancel_url=reverse("grids:grid-detail", args=[grid.pk]),
    )


@login_required
@require_POST
def micro_grid_create(request, pk: int):
    grid = _visible_grid(request, pk)
    access_add(request.user, "grids.add_microgrid")
    form = MicroGridForm(request.POST, user=request.user, prefix="micro")
    if form.is_valid():
        try:
            writes.micro_grid_create(actor=request.user, grid=grid, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
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
    assignments = (
        GridAssignment.objects.visible_to(user)
        .filter(grid=grid)
        .select_related("person")
        .order_by("-start_date", "-pk")
    )
    can_hand_over = may_hand_over(user, grid)
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
    access_hand_over(request.user, grid)
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
            apply_errors(form, exc)
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
    access_list(request.user, "grids.view_building")
    queryset = (
        Building.objects.visible_to(request.user)
        .select_related("community", "grid", "micro_grid")
        .annotate(household_count=_count(Household.objects.all(), "dwelling__building"))
        .order_by("community__code", "name", "pk")
    )
    filterset = BuildingFilter(request.GET, queryset=queryset, request=request)
    page = _paginate(request, filterset)
    return render(request, "grids/building_list.html", {"page": page, "filter": filterset})


def _visible_building(request, pk):
    return get_object_or_404(
        Building.objects.visible_to(request.user).select_related("community", "grid", "micro_grid"),
        pk=pk,
    )


@login_required
def building_detail(request, pk: int):
    building = _visible_building(request, pk)
    user = request.user
    households = (
        Household.objects.visible_to(user)
        .filter(dwelling__building=building)
        .select_related("dwelling", "head", "grid")
        .annotate(member_count=_count(Resident.objects.all(), "household"))
        .order_by("dwelling__unit", "dwelling__room", "number")
    )
    dwellings = (
        Dwelling.objects.visible_to(user)
        .filter(building=building)
        .prefetch_related(Prefetch("households", queryset=households, to_attr="visible_households"))
        .order_by("unit", "room")
    )
    context = {
        "building": building,
        "dwellings": dwellings,
        "can_change": Building.objects.visible_to(user, "change").filter(pk=building.pk).exists(),
        "can_add_household": user.has_perm("grids.add_household"),
    }
    return render(request, "grids/building_detail.html", context)


@login_required
def building_create(request):
    access_add(request.user, "grids.add_building")
    initial = {}
    grid = Grid.objects.visible_to(request.user).filter(pk=request.GET.get("grid") or 0).first()
    if grid is not None:
        initial = {"grid": grid.pk, "community": grid.community_id}
    form = BuildingForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            building = writes.building_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Building %(name)s added.") % {"name": building.name})
            return redirect("grids:building-detail", building.pk)
    return _form_page(
        request, form, title=_("New building"), cancel_url=reverse("grids:building-list")
    )


@login_required
def building_edit(request, pk: int):
    building = _visible_building(request, pk)
    access_change(request.user, Building.objects, building)
    form = BuildingEditForm(request.POST or None, instance=building, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            building = writes.building_update(
                actor=request.user, building=building, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Building %(name)s saved.") % {"name": building.name})
            return redirect("grids:building-detail", building.pk)
    return _form_page(
        request,
        form,
        title=_("Edit building %(name)s") % {"name": building.name},
        cancel_url=reverse("grids:building-detail", args=[building.pk]),
    )


# --- Households -----------------------------------------------------------------------------


@login_required
def household_list(request):
    access_list(request.user, "grids.view_household")
    queryset = (
        selectors.household_list(actor=request.user)
        .select_related("grid", "dwelling__building", "head")
        .annotate(member_count=_count(Resident.objects.all(), "household"))
        .order_by("number", "pk")
    )
    filterset = HouseholdFilter(request.GET, queryset=queryset, request=request)
    page = _paginate(request, filterset)
    return render(request, "grids/household_list.html", {"page": page, "filter": filterset})


def _visible_household(request, pk):
    return get_object_or_404(
        Household.objects.visible_to(request.user).select_related(
            "grid__community", "dwelling__building", "head"
        ),
        pk=pk,
    )


@login_required
def household_detail(request, pk: int):
    household = _visible_household(request, pk)
    user = request.user
    members = Resident.objects.visible_to(user).filter(household=household).order_by("birth_date")
    # Visiting cadence from the one function that decides it (grids/cadence.py).
    due = {
        pk: (due_at, overdue)
        for pk, due_at, overdue in residents_with_due(members).values_list(
            "pk", "due_at", "is_overdue"
        )
    }
    context = {
        "household": household,
        "members": [(m, due.get(m.pk)) for m in members],
        "can_change": Household.objects.visible_to(user, "change").filter(pk=household.pk).exists(),
        "can_add_resident": user.has_perm("grids.add_resident"),
    }
    return render(request, "grids/household_detail.html", context)


def _dwelling_for(*, actor, building, unit: str, room: str):
    """The dwelling at building/unit/room, created on first use; None without a building."""
    if building is None:
        return None
    dwelling = Dwelling.objects.filter(building=building, unit=unit, room=room).first()
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
    access_add(request.user, "grids.add_household")
    initial = {}
    building = (
        Building.objects.visible_to(request.user)
        .filter(pk=request.GET.get("building") or 0)
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
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("Household %(number)s added.") % {"number": household.number}
            )
            return redirect("grids:household-detail", household.pk)
    return _form_page(
        request, form, title=_("New household"), cancel_url=reverse("grids:household-list")
    )


@login_required
def household_edit(request, pk: int):
    household = _visible_household(request, pk)
    access_change(request.user, Household.objects, household)
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
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("Household %(number)s saved.") % {"number": household.number}
            )
            return redirect("grids:household-detail", household.pk)
    return _form_page(
        request,
        form,
        title=_("Edit household %(number)s") % {"number": household.number},
        cancel_url=reverse("grids:household-detail", args=[household.pk]),
    )


urlpatterns = [
    path("grids/", grid_list, name="grid-list"),
    path("grids/new/", grid_create, name="grid-create"),
    path("grids/<int:pk>/", grid_detail, name="grid-detail"),
    path("grids/<int:pk>/edit/", grid_edit, name="grid-edit"),
    path("grids/<int:pk>/micro-grids/new/", micro_grid_create, name="micro-grid-create"),
    path("grids/<int:pk>/staffing/", grid_staffing, name="grid-staffing"),
    path("grids/<int:pk>/handover/", grid_handover, name="grid-handover"),
    path("buildings/", building_list, name="building-list"),
    path("buildings/new/", building_create, name="building-create"),
    path("buildings/<int:pk>/", building_detail, name="building-detail"),
    path("buildings/<int:pk>/edit/", building_edit, name="building-edit"),
    path("households/", household_list, name="household-list"),
    path("households/new/", household_create, name="household-create"),
    path("households/<int:pk>/", household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", household_edit, name="household-edit"),
]
