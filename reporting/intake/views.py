"""Pages of intake: the forms received, a form typed on the page, an uploaded spreadsheet (a dry
run shows the labels read before anything is saved), and the review page, where a cadre sees
each field's proposal with its reason and confirms, corrects or holds it; duplicates and the
filing of a form outside the duty list are shown there too.

Every write goes through reporting/intake/writes.py, whose gates decide who may act; rows come
from the selectors (out of scope: 404, as missing).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.policy import allowed
from portal.ui import form_errors, form_page, paginate
from reporting.catalogue.models import DataElement, Relation
from reporting.flow import selectors as flow_selectors
from reporting.flow.policy import access_task_create
from reporting.intake import selectors, sheets, writes
from reporting.intake.forms import (
    FieldCorrectForm,
    FilingForm,
    TemplatePageForm,
    TemplateUploadConfirmForm,
    TemplateUploadForm,
)
from reporting.intake.models import ReportTemplate
from reporting.intake.policy import (
    access_field_review_confirm,
    access_template_file,
    access_template_list,
    access_template_upload,
)


@login_required
def template_list(request):
    access_template_list(request.user)
    context = {
        "page": paginate(request, selectors.template_list(actor=request.user)),
        "can_add": allowed(access_template_upload, request.user),
    }
    return render(request, "reporting/intake/list.html", context)


def _create(request, form, *, labels, source, layout=ReportTemplate.Layout.ROWS):
    data = form.cleaned_data
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    return writes.template_create(
        actor=request.user,
        external_id=f"P{stamp}",
        department=data["department"],
        title=data["title"],
        period=data["period"],
        due_days=data["due_days"],
        duty_item=data["duty_item"].code if data["duty_item"] else None,
        fields=[{"id": f"P{stamp}-{n:02d}", "label": label} for n, label in enumerate(labels, 1)],
        source=source,
        layout=layout,
    )


@login_required
def template_create(request):
    """A form typed on the page: its head, and its labels one per line."""
    access_template_upload(request.user)
    form = TemplatePageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = _create(
                request, form, labels=form.cleaned_data["labels"], source=ReportTemplate.Source.PAGE
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Form received and reviewed."))
            return redirect("reporting:template-detail", template.pk)
    return form_page(
        request, form, title=_("Enter a form"), cancel_url=reverse("reporting:template-list")
    )


@login_required
def template_upload(request):
    """Step 1: the file and the form's head → the dry run (what was read, nothing saved).
    Step 2 (`confirm`): the labels as read (editable) → saved and reviewed."""
    access_template_upload(request.user)
    if request.method == "POST" and "confirm" in request.POST:
        confirm = TemplateUploadConfirmForm(request.POST)
        if confirm.is_valid():
            try:
                template = _create(
                    request,
                    confirm,
                    labels=confirm.cleaned_data["labels"],
                    source=ReportTemplate.Source.UPLOAD,
                    layout=confirm.cleaned_data["layout"],
                )
            except ValidationError as exc:
                form_errors(confirm, exc)
            else:
                messages.success(request, _("Form received and reviewed."))
                return redirect("reporting:template-detail", template.pk)
        return render(
            request, "reporting/intake/upload_preview.html", {"form": confirm}, status=400
        )
    form = TemplateUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            labels, layout = sheets.read_labels(form.cleaned_data["file"])
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            data = {**request.POST.dict(), "labels": "\n".join(labels), "layout": layout}
            confirm = TemplateUploadConfirmForm(initial=data)
            context = {"form": confirm, "labels": labels, "layout": layout}
            return render(request, "reporting/intake/upload_preview.html", context)
    return form_page(
        request,
        form,
        title=_("Upload a form"),
        cancel_url=reverse("reporting:template-list"),
        template="reporting/intake/upload.html",
    )


@login_required
def template_detail(request, pk):
    """The review page."""
    access_template_list(request.user)
    template = get_object_or_404(selectors.template_detail_list(actor=request.user), pk=pk)
    can_decide = allowed(access_field_review_confirm, request.user)
    elements = list(DataElement.objects.order_by("code").values_list("code", "name"))
    context = {
        "template": template,
        "fields": template.fields.all(),
        "duplicates": template.duplicates.all(),
        "repeated_by": selectors.template_repeated_by(actor=request.user, template=template),
        "tasks": flow_selectors.task_list(actor=request.user).filter(template=template),
        "can_decide": can_decide,
        "can_file": allowed(access_template_file, request.user, template),
        "can_task": allowed(access_task_create, request.user),
        "elements": elements,
        "relations": Relation.choices,
        "filing_form": FilingForm(),
    }
    return render(request, "reporting/intake/detail.html", context)


def _review_for(request, pk, review_pk):
    template = get_object_or_404(selectors.template_list(actor=request.user), pk=pk)
    return get_object_or_404(
        selectors.template_reviews(actor=request.user, template=template), pk=review_pk
    )


@login_required
@require_POST
def field_decide(request, pk, review_pk):
    """Confirm, correct or hold one field's mapping (`action` = confirm | correct | hold)."""
    review = _review_for(request, pk, review_pk)
    action = request.POST.get("action")
    try:
        if action == "confirm":
            writes.field_review_confirm(actor=request.user, review=review)
        elif action == "hold":
            writes.field_review_hold(actor=request.user, review=review)
        else:
            form = FieldCorrectForm(request.POST)
            if not form.is_valid():
                raise ValidationError(
                    "; ".join(str(m) for errors in form.errors.values() for m in errors)
                )
            writes.field_review_correct(
                actor=request.user,
                review=review,
                element=form.cleaned_data["element"],
                relation=form.cleaned_data["relation"],
            )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("“%(label)s”: decision saved.") % {"label": review.field.label})
    return redirect(reverse("reporting:template-detail", args=[pk]) + f"#field-{review.pk}")


@login_required
def template_file(request, pk):
    template = get_object_or_404(selectors.template_list(actor=request.user), pk=pk)
    access_template_file(request.user, template)
    form = FilingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            writes.template_file(actor=request.user, template=template, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        except writes.ReviewConflict as exc:
            messages.warning(request, str(exc))
            return redirect("reporting:template-detail", template.pk)
        else:
            messages.success(request, _("Filing recorded."))
            return redirect("reporting:template-detail", template.pk)
    return form_page(
        request,
        form,
        title=_("Case-by-case filing of %(title)s") % {"title": template.title},
        cancel_url=reverse("reporting:template-detail", args=[template.pk]),
    )


urlpatterns = [
    path("forms/", template_list, name="template-list"),
    path("forms/new/", template_create, name="template-create"),
    path("forms/upload/", template_upload, name="template-upload"),
    path("forms/<id:pk>/", template_detail, name="template-detail"),
    path("forms/<id:pk>/file/", template_file, name="template-file"),
    path("forms/<id:pk>/fields/<id:review_pk>/", field_decide, name="field-decide"),
]
