"""Pages of 双报到: the needs list (post, claim, start, complete, cancel), service hours (log on a
phone, review), a member's own page (hours and points: their own, no ranking), a member's
report to a community, and the quarterly feedback sheet per employer Party organisation (page,
Excel, print view).

Every write goes through partybuilding/serving/writes.py (its gates decide); a stale
transition (ServingConflict) comes back as a message on the page. Rows outside the user's scope
are 404s, as missing. Lists cost the same number of queries for 1 row and 20.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partybuilding.organisations.selectors import party_member_list
from partybuilding.serving import selectors, writes
from partybuilding.serving.filters import CommunityNeedFilter, ServiceHoursFilter
from partybuilding.serving.forms import (
    CommunityNeedForm,
    CompleteForm,
    FeedbackSheetForm,
    PointRuleForm,
    ReportForm,
    ReviewForm,
    ServiceHoursForm,
)
from partybuilding.serving.policy import (
    access_community_need_cancel,
    access_community_need_claim,
    access_community_need_complete,
    access_community_need_create,
    access_community_need_list,
    access_community_need_start,
    access_community_need_update,
    access_feedback_sheet_view,
    access_member_report,
    access_point_rule_change,
    access_point_rule_create,
    access_point_rule_list,
    access_service_hours_approve,
    access_service_hours_list,
    access_service_hours_log,
)
from portal.policy import allowed
from portal.spreadsheets import workbook_response
from portal.ui import filtered_page, form_errors, form_page

# --- The member's own page --------------------------------------------------------------------


@login_required
def member_me(request):
    """A member's own 双报到: their community, the needs they may claim, their hours and points."""
    member = selectors.party_member_own(user=request.user)
    if member is None:
        raise Http404
    context = {
        "member": member,
        "totals": selectors.member_totals(member=member),
        "claimable": selectors.community_need_claimable(actor=request.user, member=member)[:20],
        "claimed": selectors.community_need_claimed_by(actor=request.user, member=member)[:20],
        "hours": selectors.member_hours(actor=request.user, member=member)[:20],
        "can_log": allowed(access_service_hours_log, request.user),
    }
    return render(request, "partybuilding/serving/me.html", context)


@login_required
def member_report(request, pk: int):
    member = get_object_or_404(party_member_list(actor=request.user), pk=pk)
    access_member_report(request.user, member)
    form = ReportForm(
        request.POST or None, user=request.user, initial={"community": member.reported_community_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            writes.member_report(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request, _("Reported to %(c)s.") % {"c": form.cleaned_data["community"]}
            )
            if member.user_id == request.user.pk:
                return redirect("partybuilding:serving-me")
            return redirect("partybuilding:party-member-detail", member.pk)
    return form_page(
        request,
        form,
        title=_("Report to a community (双报到)"),
        cancel_url=reverse("partybuilding:party-member-detail", args=[member.pk]),
    )


# --- Needs ------------------------------------------------------------------------------------


@login_required
def need_list(request):
    access_community_need_list(request.user)
    queryset = selectors.community_need_list(actor=request.user).order_by("-created_at", "-pk")
    filterset = CommunityNeedFilter(request.GET, queryset=queryset, request=request)
    context = {
        "page": filtered_page(request, filterset),
        "filter": filterset,
        "can_add": allowed(access_community_need_create, request.user),
    }
    return render(request, "partybuilding/serving/need_list.html", context)


@login_required
def need_detail(request, pk: int):
    need = get_object_or_404(selectors.community_need_list(actor=request.user), pk=pk)
    context = {
        "need": need,
        "can_edit": allowed(access_community_need_update, request.user, need),
        "can_claim": need.status == need.Status.OPEN
        and allowed(access_community_need_claim, request.user, need),
        "can_start": need.status == need.Status.CLAIMED
        and allowed(access_community_need_start, request.user, need),
        "can_complete": need.status in (need.Status.CLAIMED, need.Status.IN_PROGRESS)
        and allowed(access_community_need_complete, request.user, need),
        "can_cancel": need.status not in (need.Status.DONE, need.Status.CANCELLED)
        and allowed(access_community_need_cancel, request.user, need),
        "complete_form": CompleteForm(),
    }
    return render(request, "partybuilding/serving/need_detail.html", context)


@login_required
def need_create(request):
    access_community_need_create(request.user)
    form = CommunityNeedForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            need = writes.community_need_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Need “%(title)s” posted.") % {"title": need})
            return redirect("partybuilding:need-detail", need.pk)
    return form_page(
        request, form, title=_("Post a need"), cancel_url=reverse("partybuilding:need-list")
    )


@login_required
def need_edit(request, pk: int):
    need = get_object_or_404(selectors.community_need_list(actor=request.user), pk=pk)
    access_community_need_update(request.user, need)
    form = CommunityNeedForm(request.POST or None, instance=need, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            need = writes.community_need_update(actor=request.user, need=need, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Need “%(title)s” saved.") % {"title": need})
            return redirect("partybuilding:need-detail", need.pk)
    return form_page(
        request,
        form,
        title=_("Edit %(title)s") % {"title": need.title},
        cancel_url=reverse("partybuilding:need-detail", args=[need.pk]),
    )


def _need_action(request, pk: int, run):
    """POST one transition; a conflict or bad input is a message, a refusal a 403."""
    need = get_object_or_404(selectors.community_need_list(actor=request.user), pk=pk)
    try:
        run(need)
    except writes.ServingConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("partybuilding:need-detail", need.pk)


@login_required
@require_POST
def need_claim(request, pk: int):
    return _need_action(
        request, pk, lambda need: writes.community_need_claim(actor=request.user, need=need)
    )


@login_required
@require_POST
def need_start(request, pk: int):
    return _need_action(
        request, pk, lambda need: writes.community_need_start(actor=request.user, need=need)
    )


@login_required
@require_POST
def need_complete(request, pk: int):
    delivered = request.POST.get("delivered", "")
    return _need_action(
        request,
        pk,
        lambda need: writes.community_need_complete(
            actor=request.user, need=need, delivered=delivered
        ),
    )


@login_required
@require_POST
def need_cancel(request, pk: int):
    return _need_action(
        request, pk, lambda need: writes.community_need_cancel(actor=request.user, need=need)
    )


# --- Hours ------------------------------------------------------------------------------------


@login_required
def hours_list(request):
    access_service_hours_list(request.user)
    queryset = selectors.service_hours_list(actor=request.user).order_by("-served_on", "-pk")
    filterset = ServiceHoursFilter(request.GET, queryset=queryset, request=request)
    to_review = selectors.service_hours_to_review(actor=request.user)
    context = {
        "page": filtered_page(request, filterset),
        "filter": filterset,
        "to_review_count": to_review.count(),
        "reviewable": set(to_review.values_list("pk", flat=True)[:200]),
        "can_log": allowed(access_service_hours_log, request.user),
    }
    return render(request, "partybuilding/serving/hours_list.html", context)


@login_required
def hours_detail(request, pk: int):
    record = get_object_or_404(selectors.service_hours_list(actor=request.user), pk=pk)
    submitted = record.status == record.Status.SUBMITTED
    context = {
        "record": record,
        "can_review": submitted and allowed(access_service_hours_approve, request.user, record),
        "review_form": ReviewForm(),
    }
    return render(request, "partybuilding/serving/hours_detail.html", context)


@login_required
def hours_log(request):
    access_service_hours_log(request.user)
    member = selectors.party_member_own(user=request.user)
    form = ServiceHoursForm(
        request.POST or None, request.FILES or None, user=request.user, member=member
    )
    if request.method == "POST" and form.is_valid():
        try:
            record = writes.service_hours_log(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Hours logged; the community will review them."))
            return redirect("partybuilding:hours-detail", record.pk)
    return form_page(
        request,
        form,
        title=_("Log service hours"),
        cancel_url=reverse("partybuilding:serving-me"),
        template="partybuilding/serving/hours_form.html",
    )


@login_required
def hours_evidence(request, pk: int):
    """The evidence of a record, served only to those who may see the record (never as a
    public media file)."""
    record = get_object_or_404(
        selectors.service_hours_list(actor=request.user).exclude(evidence=""), pk=pk
    )
    return FileResponse(record.evidence.open("rb"), as_attachment=False)


def _review(request, pk: int, run):
    record = get_object_or_404(selectors.service_hours_list(actor=request.user), pk=pk)
    form = ReviewForm(request.POST)
    form.is_valid()
    try:
        run(record, form.cleaned_data.get("note", ""))
    except writes.ServingConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Review saved."))
    return redirect("partybuilding:hours-detail", record.pk)


@login_required
@require_POST
def hours_approve(request, pk: int):
    return _review(
        request,
        pk,
        lambda record, note: writes.service_hours_approve(
            actor=request.user, hours=record, note=note
        ),
    )


@login_required
@require_POST
def hours_reject(request, pk: int):
    return _review(
        request,
        pk,
        lambda record, note: writes.service_hours_reject(
            actor=request.user, hours=record, note=note
        ),
    )


# --- The quarterly feedback sheet ---------------------------------------------------------------


def _sheet(request):
    """The sheet asked for by ?org=&year=&quarter= (None with the form when incomplete)."""
    access_feedback_sheet_view(request.user)
    form = FeedbackSheetForm(request.GET or None, user=request.user)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, selectors.feedback_sheet(
        actor=request.user, employer_org=data["org"], year=data["year"], quarter=data["quarter"]
    )


@login_required
def feedback_sheet(request):
    form, sheet = _sheet(request)
    return render(
        request,
        "partybuilding/serving/feedback_sheet.html",
        {"form": form, "sheet": sheet, "query": request.GET.urlencode()},
    )


@login_required
def feedback_sheet_export(request):
    _form, sheet = _sheet(request)
    if sheet is None:
        raise Http404
    filename = f"feedback-{sheet['org'].pk}-{sheet['year']}Q{sheet['quarter']}.xlsx"
    writes.feedback_sheet_export_record(
        actor=request.user, org=sheet["org"], year=sheet["year"], quarter=sheet["quarter"]
    )
    return workbook_response(selectors.feedback_sheet_workbook(sheet), filename=filename)


@login_required
def feedback_sheet_print(request):
    _form, sheet = _sheet(request)
    if sheet is None:
        raise Http404
    return render(request, "partybuilding/serving/feedback_print.html", {"sheet": sheet})


# --- Point rules (积分规则) --------------------------------------------------------------------


@login_required
def point_rule_list(request):
    access_point_rule_list(request.user)
    context = {
        "rules": selectors.point_rule_list(actor=request.user),
        "can_add": allowed(access_point_rule_create, request.user),
        "can_change": allowed(access_point_rule_change, request.user),
    }
    return render(request, "partybuilding/serving/point_rules.html", context)


@login_required
def point_rule_create(request):
    access_point_rule_create(request.user)
    form = PointRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = writes.point_rule_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Point rule “%(name)s” added.") % {"name": rule.name})
            return redirect("partybuilding:point-rule-list")
    return form_page(
        request,
        form,
        title=_("New point rule"),
        cancel_url=reverse("partybuilding:point-rule-list"),
    )


@login_required
def point_rule_edit(request, pk):
    rule = get_object_or_404(selectors.point_rule_list(actor=request.user), pk=pk)
    access_point_rule_change(request.user, rule)
    form = PointRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            writes.point_rule_update(actor=request.user, rule=rule, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Point rule saved."))
            return redirect("partybuilding:point-rule-list")
    return form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": rule.name},
        cancel_url=reverse("partybuilding:point-rule-list"),
    )


urlpatterns = [
    path("point-rules/", point_rule_list, name="point-rule-list"),
    path("point-rules/new/", point_rule_create, name="point-rule-create"),
    path("point-rules/<id:pk>/edit/", point_rule_edit, name="point-rule-edit"),
    path("me/", member_me, name="serving-me"),
    path("members/<id:pk>/report/", member_report, name="member-report"),
    path("needs/", need_list, name="need-list"),
    path("needs/new/", need_create, name="need-create"),
    path("needs/<id:pk>/", need_detail, name="need-detail"),
    path("needs/<id:pk>/edit/", need_edit, name="need-edit"),
    path("needs/<id:pk>/claim/", need_claim, name="need-claim"),
    path("needs/<id:pk>/start/", need_start, name="need-start"),
    path("needs/<id:pk>/complete/", need_complete, name="need-complete"),
    path("needs/<id:pk>/cancel/", need_cancel, name="need-cancel"),
    path("hours/", hours_list, name="hours-list"),
    path("hours/new/", hours_log, name="hours-log"),
    path("hours/<id:pk>/", hours_detail, name="hours-detail"),
    path("hours/<id:pk>/evidence/", hours_evidence, name="hours-evidence"),
    path("hours/<id:pk>/approve/", hours_approve, name="hours-approve"),
    path("hours/<id:pk>/reject/", hours_reject, name="hours-reject"),
    path("feedback/", feedback_sheet, name="feedback-sheet"),
    path("feedback/export.xlsx", feedback_sheet_export, name="feedback-sheet-export"),
    path("feedback/print/", feedback_sheet_print, name="feedback-sheet-print"),
]
