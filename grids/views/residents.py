"""Resident pages: list, search and filters, detail, reveal, export, create and edit, tags.

Reads through grids/selectors.py (out of scope: 404); writes through grids.writes, whose gates
(grids/policy.py) decide; the pages ask the same gates which forms to offer.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids import policy, selectors, writes
from grids.filters import ResidentFilter
from grids.forms import ResidentForm, ResidentTagForm
from portal.params import id_param
from portal.policy import allowed
from portal.sensitive import EXPORT_UNMASKED_PERM, export_response, sensitive_reveal
from portal.ui import filtered_page, form_errors, form_page

REVEALABLE = {"id_number", "phone"}


@login_required
def resident_list(request):
    policy.access_resident_list(request.user)
    queryset = selectors.resident_list(actor=request.user).order_by("name", "id")
    filterset = ResidentFilter(request.GET, queryset=queryset, request=request)
    context = {
        "page": filtered_page(request, filterset),
        "q": request.GET.get("q", ""),
        "filter": filterset,
        "can_add": allowed(policy.access_resident_create, request.user),
    }
    return render(request, "grids/resident_list.html", context)


def _visible_resident(request, pk):
    return get_object_or_404(selectors.resident_list(actor=request.user), pk=pk)


@login_required
def resident_detail(request, pk: int):
    return _resident_detail(request, _visible_resident(request, pk))


def _resident_detail(
    request, resident, *, revealed=None, reveal_error="", tag_form=None, status=200
):
    user = request.user
    can_tag = allowed(policy.access_resident_tag_add, user, resident)
    if tag_form is None and can_tag:
        tag_form = ResidentTagForm(user=user, prefix="tag")
    context = {
        "resident": resident,
        "tags": selectors.resident_tag_list(actor=user, resident=resident),
        "revealed": revealed or {},
        "reveal_error": reveal_error,
        "can_change": allowed(policy.access_resident_change, user, resident),
        "can_untag": allowed(policy.access_resident_tag_remove, user),
        "tag_form": tag_form if can_tag else None,
    }
    return render(request, "grids/resident_detail.html", context, status=status)


@login_required
@require_POST
def resident_reveal(request, pk: int):
    """Show one ID number or phone in clear, once, after the user says why (audited)."""
    resident = _visible_resident(request, pk)
    field = request.POST.get("field", "")
    if field not in REVEALABLE:
        return _resident_detail(request, resident, reveal_error=_("Unknown field."), status=400)
    try:
        value = sensitive_reveal(
            actor=request.user, obj=resident, field=field, reason=request.POST.get("reason", "")
        )
    except PermissionDenied:
        return _resident_detail(
            request, resident, reveal_error=_("You may not reveal personal data."), status=403
        )
    except ValidationError as exc:
        return _resident_detail(request, resident, reveal_error=" ".join(exc.messages), status=400)
    return _resident_detail(request, resident, revealed={field: value})


@login_required
def resident_export(request):
    """Download exactly the residents the user may see (and searched for), masked by default."""
    policy.access_resident_list(request.user)
    search = request.GET.get("q", "")
    fmt = request.GET.get("format", "xlsx")
    unmasked = request.GET.get("unmasked") == "1" and request.user.has_perm(EXPORT_UNMASKED_PERM)
    residents = selectors.resident_list(actor=request.user, search=search).order_by("name", "id")
    rows = (
        (
            r.name,
            r.get_sex_display(),
            r.birth_date.isoformat(),
            r.id_number if unmasked else r.id_number_masked,
            r.phone if unmasked else r.phone_masked,
            r.household.number if r.household else "",
            r.household.grid.name if r.household and r.household.grid else "",
        )
        for r in residents.iterator(chunk_size=2000)
    )
    headers = [
        _("Name"),
        _("Sex"),
        _("Birth date"),
        _("ID number"),
        _("Phone"),
        _("Household"),
        _("Grid"),
    ]
    try:
        return export_response(
            actor=request.user,
            rows=rows,
            headers=headers,
            filename="residents",
            fmt=fmt,
            subject=str(_("Residents")),
            unmasked=unmasked,
            filters={"q": search},
        )
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages))


def _resident_form_page(request, form, *, title, cancel_url):
    """The form; after a POST it is shown again only with errors or duplicates to check: 400."""
    return form_page(
        request, form, title=title, cancel_url=cancel_url, template="grids/resident_form.html"
    )


@login_required
def resident_create(request):
    """Register a resident; an ID number already registered leads to that resident instead."""
    policy.access_resident_create(request.user)
    initial = {}
    household = (
        selectors.household_list(actor=request.user)
        .filter(pk=id_param(request.GET.get("household")) or 0)
        .first()
    )
    if household is not None:
        initial["household"] = household.number
    form = ResidentForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                resident = writes.resident_create(actor=request.user, **form.service_fields())
            except ValidationError as exc:
                form_errors(form, exc)
            except IntegrityError:
                # The same ID number saved a moment ago by someone else: never a second one.
                form.add_error(
                    "id_number", _("A resident with this ID number is already registered.")
                )
            else:
                messages.success(request, _("%(name)s is registered.") % {"name": resident.name})
                return redirect("grids:resident-detail", resident.pk)
        elif form.existing_resident is not None:
            messages.info(
                request,
                _("This ID number is already registered: here is the resident's record."),
            )
            return redirect("grids:resident-detail", form.existing_resident.pk)
    return _resident_form_page(
        request, form, title=_("New resident"), cancel_url=reverse("grids:resident-list")
    )


@login_required
def resident_edit(request, pk: int):
    resident = _visible_resident(request, pk)
    policy.access_resident_change(request.user, resident)
    form = ResidentForm(request.POST or None, instance=resident, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            resident = writes.resident_update(
                actor=request.user, resident=resident, **form.service_fields()
            )
        except ValidationError as exc:
            form_errors(form, exc)
        except IntegrityError:
            form.add_error("id_number", _("A resident with this ID number is already registered."))
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": resident.name})
            return redirect("grids:resident-detail", resident.pk)
    return _resident_form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": resident.name},
        cancel_url=reverse("grids:resident-detail", args=[resident.pk]),
    )


@login_required
@require_POST
def resident_tag_add(request, pk: int):
    """Put a tag on the resident (the same tag again updates its details)."""
    resident = _visible_resident(request, pk)
    policy.access_resident_tag_add(request.user, resident)
    form = ResidentTagForm(request.POST, user=request.user, prefix="tag")
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            writes.resident_tag_add(actor=request.user, resident=resident, **data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Tag %(tag)s added.") % {"tag": data["tag"].name})
            return redirect("grids:resident-detail", resident.pk)
    return _resident_detail(request, resident, tag_form=form, status=400)


@login_required
@require_POST
def resident_tag_remove(request, pk: int, tag_pk: int):
    """Take a tag off the resident (recorded in the audit trail)."""
    resident = _visible_resident(request, pk)
    resident_tag = get_object_or_404(
        selectors.resident_tag_list(actor=request.user, resident=resident), pk=tag_pk
    )
    writes.resident_tag_remove(actor=request.user, resident_tag=resident_tag)
    messages.success(request, _("Tag %(tag)s removed.") % {"tag": resident_tag.tag.name})
    return redirect("grids:resident-detail", resident.pk)


urlpatterns = [
    path("residents/", resident_list, name="resident-list"),
    path("residents/new/", resident_create, name="resident-create"),
    path("residents/export/", resident_export, name="resident-export"),
    path("residents/<id:pk>/", resident_detail, name="resident-detail"),
    path("residents/<id:pk>/edit/", resident_edit, name="resident-edit"),
    path("residents/<id:pk>/reveal/", resident_reveal, name="resident-reveal"),
    path("residents/<id:pk>/tags/", resident_tag_add, name="resident-tag-add"),
    path(
        "residents/<id:pk>/tags/<id:tag_pk>/remove/",
        resident_tag_remove,
        name="resident-tag-remove",
    ),
]
