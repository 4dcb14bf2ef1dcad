"""Referral pages: the list, the detail with one form per transition the user may perform now,
and the two ways in (from a resident, from a need raised in a visit).

Every referral is fetched through `visible_to(user)` (services/selectors.py): out of scope is a
404, exactly like a missing one. Which forms the page offers comes from the one table
(`TRANSITIONS`: the current state and the `allowed` predicate); the service function still
decides, under its row lock. A transition POST answers:

- the state has moved on (someone else was quicker): a message saying what it is now, and
  back to the page — nothing written;
- the user may see the referral but not do this: 403;
- bad input: the page again with the form's errors, 400;
- done: a message, and back to the page (or to the list when it is no longer visible, as for a
  partner who declined).

Partner staff get their own templates with exactly the fields a partner may see (DOMAIN.md:
name, age, sex, address, contact phone, the need, service, status, deadline, history — never
the ID number, tags, other referrals or other residents). The phone is shown in the clear, so
each list or detail they read writes one audit event, `referral.partner_view`, as in the API.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.models import Resident, VisitNeed
from portal.audit import audit_record
from portal.roles import Role
from services.deliveries.views import referral_deliveries_context
from services.models import FollowUpTask, Referral
from services.referrals import selectors
from services.referrals import writes as flow
from services.referrals.forms import ACTION_FORMS, ReferralCreateForm, ReferralFilter

PAGE_SIZE = 20


# --- Access: one condition per line ---------------------------------------------------------


def access_list(user) -> None:
    """A role that may not read referrals at all gets 403 (an empty scope is an empty list)."""
    if not user.has_perm("services.view_referral"):
        raise PermissionDenied


def access_add(user) -> None:
    if not user.has_perm("services.add_referral"):
        raise PermissionDenied


def is_partner(user) -> bool:
    return user.role == Role.PARTNER_STAFF


def state_allows(name: str, referral: Referral) -> bool:
    """Whether the referral's current state allows the action (consent: before it is shared)."""
    if name == "consent":
        return referral.status in flow.CONSENT_STATES
    return referral.status in flow.TRANSITIONS[name].sources


def actor_allowed(name: str, user, referral: Referral) -> bool:
    """The table's predicate for the action (consent: the local staff or the street)."""
    if name == "consent":
        return flow.is_local_staff_or_street(user, referral)
    return flow.TRANSITIONS[name].allowed(user, referral)


def available_actions(user, referral: Referral) -> list[str]:
    """The actions this user may perform on this referral now, in the page's order."""
    return [
        name
        for name in ACTION_FORMS
        if state_allows(name, referral) and actor_allowed(name, user, referral)
    ]


def _run(name: str, *, actor, referral: Referral, **kwargs) -> None:
    if name == "consent":
        flow.referral_record_consent(actor=actor, referral=referral, **kwargs)
    else:
        flow.TRANSITION_FUNCTIONS[name](actor=actor, referral=referral, **kwargs)


# --- Helpers ----------------------------------------------------------------------------------


def _visible_referral(request, pk: int) -> Referral:
    return get_object_or_404(selectors.referral_detail_queryset(actor=request.user), pk=pk)


def _audit_partner_view(user, referrals) -> None:
    """Partner staff read personal data (the phone in the clear): one audit event per page."""
    pks = [referral.pk for referral in referrals]
    if is_partner(user) and pks:
        audit_record(actor=user, action="referral.partner_view", details={"referrals": pks})


def _apply_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError on the form: on its fields, or above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _back(request, pk: int):
    """To the referral's page, or to the list when the user can no longer see it."""
    if selectors.referral_list(actor=request.user).filter(pk=pk).exists():
        return redirect("services:referral-detail", pk)
    return redirect("services:referral-list")


def _conflict(request, referral: Referral):
    """Someone else moved the referral first: say what it is now; nothing was written."""
    current = Referral.objects.filter(pk=referral.pk).first()
    status = current.get_status_display() if current else referral.get_status_display()
    messages.warning(
        request,
        _("Someone else already moved this referral: it is now “%(status)s”.") % {"status": status},
    )
    return _back(request, referral.pk)


# --- List -------------------------------------------------------------------------------------


@login_required
def referral_list(request):
    """Referrals in scope, filtered, 20 to a page; partner staff get their organisation's list."""
    user = request.user
    access_list(user)
    partner = is_partner(user)
    if partner:
        queryset = selectors.referral_partner_list(actor=user)
    else:
        queryset = selectors.referral_list(actor=user).order_by("-created_at", "-id")
    filterset = ReferralFilter(request.GET, queryset=queryset, request=request)
    # An invalid filter (a partner out of scope, say) lists nothing rather than everything.
    queryset = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "filter": filterset, "can_add": user.has_perm("services.add_referral")}
    if partner:
        today = timezone.localdate()
        for referral in page:
            referral.resident_age = flow.resident_age(referral.resident, today)
        _audit_partner_view(user, page)
        return render(request, "services/partner/referral_list.html", context)
    return render(request, "services/referral_list.html", context)


# --- Detail and transitions -------------------------------------------------------------------


@login_required
def referral_detail(request, pk: int):
    return _detail(request, _visible_referral(request, pk))


def _detail(request, referral: Referral, *, failed=None, status: int = 200):
    """The referral page; `failed` is the (action, bound form) whose errors are to be shown."""
    user = request.user
    actions = []
    for name in available_actions(user, referral):
        if failed is not None and failed[0] == name:
            form = failed[1]
        else:
            form = ACTION_FORMS[name](referral=referral, user=user, prefix=name)
        actions.append((name.replace("_", "-"), form))
    reasons = {**dict(flow.DeclineReason.choices), **dict(flow.CancelReason.choices)}
    history = list(selectors.referral_history(referral=referral))
    if is_partner(user):
        # A partner sees its own part of the story: from its assignment on, never the
        # street's review or another partner's decline.
        history = [event for event in history if event.partner_id == referral.partner_id]
    for event in history:
        event.reason_label = reasons.get(event.reason, event.reason)
    context = {
        "referral": referral,
        "age": flow.resident_age(referral.resident),
        "history": history,
        "actions": actions,
        **referral_deliveries_context(request, referral),
    }
    if not is_partner(user):
        context["follow_up"] = (
            FollowUpTask.objects.filter(referral=referral)
            .select_related("assignee", "done_by")
            .first()
        )
        context["today"] = timezone.localdate()
    if is_partner(user):
        _audit_partner_view(user, [referral])
        context["address"] = selectors.referral_address(referral)
        template = "services/partner/referral_detail.html"
    else:
        template = "services/referral_detail.html"
    return render(request, template, context, status=status)


@login_required
@require_POST
def referral_act(request, pk: int, action: str):
    """One transition (or the consent) through the page: POST /services/referrals/<pk>/<action>/."""
    name = action.replace("-", "_")
    if name not in ACTION_FORMS:
        raise Http404
    referral = _visible_referral(request, pk)
    if not state_allows(name, referral):
        return _conflict(request, referral)
    if not actor_allowed(name, request.user, referral):
        raise PermissionDenied
    form = ACTION_FORMS[name](request.POST, referral=referral, user=request.user, prefix=name)
    if not form.is_valid():
        return _detail(request, referral, failed=(name, form), status=400)
    try:
        _run(name, actor=request.user, referral=referral, **form.service_kwargs())
    except flow.ReferralConflict:
        return _conflict(request, referral)
    except ValidationError as exc:
        _apply_errors(form, exc)
        return _detail(request, referral, failed=(name, form), status=400)
    messages.success(request, form.done)
    return _back(request, referral.pk)


# --- Create -----------------------------------------------------------------------------------


@login_required
def referral_create(request):
    """A new referral for a resident in scope (?resident=<pk>); then consent and submit."""
    access_add(request.user)
    resident_id = request.GET.get("resident", "")
    if not resident_id.isdigit():
        raise Http404
    resident = get_object_or_404(
        Resident.objects.visible_to(request.user).select_related("household__grid"),
        pk=resident_id,
    )
    eligible, other = selectors.service_items_for_resident(resident=resident)
    form = ReferralCreateForm(request.POST or None, eligible=eligible, other=other)
    if request.method == "POST" and form.is_valid():
        try:
            referral = flow.referral_create(
                actor=request.user,
                resident=resident,
                service_item=form.cleaned_data["service_item"],
                description=form.cleaned_data["description"].strip(),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Referral created: record consent, then submit it."))
            return redirect("services:referral-detail", referral.pk)
    context = {
        "form": form,
        "resident": resident,
        "need": None,
        "eligible": eligible,
        "guardian_under_age": settings.GUARDIAN_CONSENT_UNDER_AGE,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "services/referral_form.html", context, status=status)


@login_required
def need_refer(request, need_pk: int):
    """A need raised in a visit becomes a referral in one step (the need is marked referred)."""
    access_add(request.user)
    need = get_object_or_404(
        VisitNeed.objects.visible_to(request.user).select_related(
            "resident__household__grid", "visit"
        ),
        pk=need_pk,
    )
    referable = need.resident_id is not None and need.status == VisitNeed.Status.OPEN
    eligible, other = (
        selectors.service_items_for_resident(resident=need.resident) if referable else ([], [])
    )
    matching = next((item for item in eligible if item.category == need.category), None)
    form = ReferralCreateForm(
        request.POST or None,
        eligible=eligible,
        other=other,
        with_description=False,
        initial={"service_item": str(matching.pk)} if matching else {},
    )
    if request.method == "POST" and referable and form.is_valid():
        try:
            referral = flow.referral_create_from_need(
                actor=request.user, need=need, service_item=form.cleaned_data["service_item"]
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Referral created: record consent, then submit it."))
            return redirect("services:referral-detail", referral.pk)
    context = {
        "form": form,
        "resident": need.resident,
        "need": need,
        "referable": referable,
        "eligible": eligible,
        "guardian_under_age": settings.GUARDIAN_CONSENT_UNDER_AGE,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "services/referral_form.html", context, status=status)


urlpatterns = [
    path("referrals/", referral_list, name="referral-list"),
    path("referrals/new/", referral_create, name="referral-create"),
    path("referrals/<int:pk>/", referral_detail, name="referral-detail"),
    path("referrals/<int:pk>/<slug:action>/", referral_act, name="referral-act"),
    path("needs/<int:need_pk>/refer/", need_refer, name="need-refer"),
]
