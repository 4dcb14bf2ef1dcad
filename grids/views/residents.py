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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids import imports, policy, selectors, writes
from grids.filters import ResidentFilter
from grids.forms import ResidentForm, ResidentTagForm
from grids.writes.residents import resident_file_view
from portal.hooks import FileSection, file_sections_for
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
    return get_object_or_404(selectors.resident_file_list(actor=request.user), pk=pk)


@login_required
def resident_detail(request, pk: int):
    """The resident's file (一人一档): opening it is recorded in the read audit."""
    resident = _visible_resident(request, pk)
    resident_file_view(actor=request.user, resident=resident)
    return _resident_detail(request, resident)


def _file_limit(request, key: str) -> int:
    """Rows a file section shows: a few, or (after "more" on that section) up to the cap."""
    if request.GET.get("more") == key:
        return selectors.FILE_ROWS_ALL
    return selectors.FILE_ROWS_SHOWN


def _visits_section(rows, more: bool) -> FileSection:
    """The visits card, the same on a resident's file and on a household's."""
    return FileSection(
        key="visits",
        title=_("Visits"),
        template="grids/_file_visits.html",
        rows=rows,
        more=more,
        order=20,
    )


def _resident_sections(request, resident) -> list[FileSection]:
    """The file's cards the reader may see, newest first in each: the registry's own (visits,
    the read audit) and those each module contributes (portal.hooks.file_sections_for)."""
    user = request.user
    sections = []
    if user.has_perm("grids.view_visit"):
        sections.append(
            _visits_section(
                *selectors.resident_file_visits(
                    actor=user, resident=resident, limit=_file_limit(request, "visits")
                )
            )
        )
    if allowed(policy.access_resident_file_audit_view, user, resident):
        rows, more = selectors.resident_read_audit(
            actor=user, resident=resident, limit=_file_limit(request, "reads")
        )
        sections.append(
            FileSection(
                key="reads",
                title=_("Who opened this file"),
                template="grids/_file_reads.html",
                rows=rows,
                more=more,
                order=90,
            )
        )
    sections += file_sections_for(
        "resident", actor=user, obj=resident, limit_for=lambda key: _file_limit(request, key)
    )
    return sorted(sections, key=lambda section: section.order)


def household_file_sections(request, household) -> list[FileSection]:
    """The household's file cards the reader may see: its visits, and what the modules
    contribute (aid); the household page (grids/views/registry.py) shows them."""
    user = request.user
    sections = []
    if user.has_perm("grids.view_visit"):
        sections.append(
            _visits_section(
                *selectors.household_file_visits(
                    actor=user, household=household, limit=_file_limit(request, "visits")
                )
            )
        )
    sections += file_sections_for(
        "household", actor=user, obj=household, limit_for=lambda key: _file_limit(request, key)
    )
    return sorted(sections, key=lambda section: section.order)


def _resident_detail(
    request, resident, *, revealed=None, reveal_error="", tag_form=None, status=200
):
    user = request.user
    can_tag = allowed(policy.access_resident_tag_add, user, resident)
    if tag_form is None and can_tag:
        tag_form = ResidentTagForm(user=user, prefix="tag")
    context = {
        "resident": resident,
        "tags": selectors.resident_file_tags(actor=user, resident=resident),
        "members": selectors.resident_file_members(actor=user, resident=resident),
        "sections": _resident_sections(request, resident),
        "today": timezone.localdate(),
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
    """Download exactly the residents the user may see (and searched for), masked by default,
    in the import's layout (grids/imports.py COLUMNS: the same headers and words), so that an
    unmasked export imports again as it is."""
    policy.access_resident_list(request.user)
    search = request.GET.get("q", "")
    fmt = request.GET.get("format", "xlsx")
    unmasked = request.GET.get("unmasked") == "1" and request.user.has_perm(EXPORT_UNMASKED_PERM)
    residents = (
        selectors.resident_list(actor=request.user, search=search)
        .select_related("household__grid", "household__dwelling__building")
        .order_by("household__number", "name", "id")
    )
    rows = (_import_row(r, unmasked=unmasked) for r in residents.iterator(chunk_size=2000))
    try:
        return export_response(
            actor=request.user,
            rows=rows,
            headers=[column.header for column in imports.COLUMNS],
            filename="residents",
            fmt=fmt,
            subject=str(_("Residents")),
            unmasked=unmasked,
            filters={"q": search},
        )
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages))


def _word(words: dict, code: str) -> str:
    """The import's word for a stored choice (the first word the import maps to it)."""
    return next((word for word, value in words.items() if value == code), code or "")


def _import_row(r, *, unmasked: bool) -> list:
    """One resident as a row of the import's layout (the household's columns repeated)."""
    household = r.household
    grid = household.grid if household else None
    dwelling = household.dwelling if household else None
    building = dwelling.building if dwelling else None
    relation = r.relation_to_head
    if household is not None and household.head_id == r.pk:
        relation = relation if relation in imports.HEAD_WORDS else "户主"
    elif relation in imports.HEAD_WORDS:
        relation = ""  # no longer the head: an empty cell leaves the household as it is
    values = {
        "household_number": household.number if household else "",
        "grid_code": grid.code if grid else "",
        "household_kind": _word(imports.HOUSEHOLD_KINDS, household.kind) if household else "",
        "building": building.name if building else "",
        "address": building.address if building else "",
        "unit": dwelling.unit if dwelling else "",
        "room": dwelling.room if dwelling else "",
        "dwelling_use": _word(imports.DWELLING_USES, dwelling.use) if dwelling else "",
        "name": r.name,
        "id_type": _word(imports.ID_TYPES, r.id_type),
        "id_number": r.id_number if unmasked else r.id_number_masked,
        "sex": _word(imports.SEXES, r.sex),
        "birth_date": r.birth_date.isoformat(),
        "phone": (r.phone if unmasked else r.phone_masked) or "",
        "ethnicity": r.ethnicity,
        "relation_to_head": relation,
        "population_type": _word(imports.POPULATION_TYPES, r.population_type),
        "separated": "是" if r.separated else "否",
        "political_status": r.political_status,
        "data_source": r.data_source,
    }
    return [values[column.key] for column in imports.COLUMNS]


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
