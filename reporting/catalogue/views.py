"""Pages of the catalogue: data elements and duty items (each with its history, from the audit
trail), and the aliases learned from reviews. The street edits them; every change goes through
reporting/catalogue/writes.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.policy import allowed
from portal.ui import form_errors, form_page, paginate
from reporting.catalogue import selectors, writes
from reporting.catalogue.forms import DutyEditForm, DutyForm, ElementEditForm, ElementForm
from reporting.catalogue.policy import (
    access_alias_change,
    access_catalogue_view,
    access_duty_change,
    access_duty_create,
    access_element_change,
    access_element_create,
)


@login_required
def element_list(request):
    access_catalogue_view(request.user)
    rows = selectors.element_list(actor=request.user)
    q = (request.GET.get("q") or "").strip()
    if q:
        rows = rows.filter(Q(code__icontains=q) | Q(name__icontains=q))
    context = {
        "page": paginate(request, rows, per_page=50),
        "q": q,
        "can_add": allowed(access_element_create, request.user),
    }
    return render(request, "reporting/catalogue/elements.html", context)


@login_required
def element_detail(request, pk):
    element = get_object_or_404(selectors.element_list(actor=request.user), pk=pk)
    context = {
        "element": element,
        "aliases": selectors.element_aliases(actor=request.user, element=element),
        "history": selectors.history(obj=element),
        "can_change": allowed(access_element_change, request.user, element),
    }
    return render(request, "reporting/catalogue/element_detail.html", context)


@login_required
def element_create(request):
    access_element_create(request.user)
    form = ElementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            element = writes.element_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Data element %(code)s added.") % {"code": element.code})
            return redirect("reporting:element-detail", element.pk)
    return form_page(
        request, form, title=_("New data element"), cancel_url=reverse("reporting:elements")
    )


@login_required
def element_edit(request, pk):
    element = get_object_or_404(selectors.element_list(actor=request.user), pk=pk)
    access_element_change(request.user, element)
    form = ElementEditForm(request.POST or None, instance=element)
    if request.method == "POST" and form.is_valid():
        try:
            writes.element_update(actor=request.user, element=element, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Data element saved."))
            return redirect("reporting:element-detail", element.pk)
    return form_page(
        request,
        form,
        title=str(element),
        cancel_url=reverse("reporting:element-detail", args=[element.pk]),
    )


@login_required
def duty_list(request):
    access_catalogue_view(request.user)
    context = {
        "duties": selectors.duty_list(actor=request.user),
        "can_add": allowed(access_duty_create, request.user),
    }
    return render(request, "reporting/catalogue/duties.html", context)


@login_required
def duty_detail(request, pk):
    duty = get_object_or_404(selectors.duty_list(actor=request.user), pk=pk)
    context = {
        "duty": duty,
        "history": selectors.history(obj=duty),
        "can_change": allowed(access_duty_change, request.user, duty),
    }
    return render(request, "reporting/catalogue/duty_detail.html", context)


@login_required
def duty_create(request):
    access_duty_create(request.user)
    form = DutyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            duty = writes.duty_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Duty item %(code)s added.") % {"code": duty.code})
            return redirect("reporting:duty-detail", duty.pk)
    return form_page(
        request, form, title=_("New duty item"), cancel_url=reverse("reporting:duties")
    )


@login_required
def duty_edit(request, pk):
    duty = get_object_or_404(selectors.duty_list(actor=request.user), pk=pk)
    access_duty_change(request.user, duty)
    form = DutyEditForm(request.POST or None, instance=duty)
    if request.method == "POST" and form.is_valid():
        try:
            writes.duty_update(actor=request.user, duty=duty, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Duty item saved."))
            return redirect("reporting:duty-detail", duty.pk)
    return form_page(
        request, form, title=str(duty), cancel_url=reverse("reporting:duty-detail", args=[duty.pk])
    )


@login_required
def alias_list(request):
    access_catalogue_view(request.user)
    rows = selectors.alias_list(actor=request.user)
    q = (request.GET.get("q") or "").strip()
    if q:
        rows = rows.filter(Q(label__icontains=q) | Q(element__code__icontains=q))
    context = {
        "page": paginate(request, rows, per_page=50),
        "q": q,
        "can_change": allowed(access_alias_change, request.user),
    }
    return render(request, "reporting/catalogue/aliases.html", context)


@login_required
@require_POST
def alias_delete(request, pk):
    alias = get_object_or_404(selectors.alias_list(actor=request.user), pk=pk)
    writes.alias_delete(actor=request.user, alias=alias)
    messages.success(request, _("Alias “%(label)s” removed.") % {"label": alias.label})
    return redirect("reporting:aliases")


urlpatterns = [
    path("catalogue/", element_list, name="elements"),
    path("catalogue/new/", element_create, name="element-create"),
    path("catalogue/<id:pk>/", element_detail, name="element-detail"),
    path("catalogue/<id:pk>/edit/", element_edit, name="element-edit"),
    path("duties/", duty_list, name="duties"),
    path("duties/new/", duty_create, name="duty-create"),
    path("duties/<id:pk>/", duty_detail, name="duty-detail"),
    path("duties/<id:pk>/edit/", duty_edit, name="duty-edit"),
    path("aliases/", alias_list, name="aliases"),
    path("aliases/<id:pk>/delete/", alias_delete, name="alias-delete"),
]
