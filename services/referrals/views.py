"""Referral pages: the list, the detail with one form per transition the user may perform now,
and the two ways in (from a resident, from a need raised in a visit).

Every referral is fetched through its selector (`visible_to(user)`): out of scope is a 404,
exactly like a missing one. Which forms the page offers: the referral's state (TRANSITIONS)
and the action's gate (services/referrals/policy.py), asked with `allowed()`. A transition
POST answers:

- the state has moved on (someone else was quicker): a message saying what it is now, and
  back to the page — nothing written;
- the user may see the referral but not do this: 403 (the gate);
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
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.models import VisitNeed
from grids.selectors import resident_list
from portal.params import id_or_404
from portal.policy import allowed
from portal.ui import filtered_page, form_errors, form_page
from services.catalogue.selectors import service_items_for_resident
from services.deliveries.selectors import referral_deliveries_context
from services.referrals import selectors, writes
from services.referrals.filters import ReferralFilter
from services.referrals.forms import ACTION_FORMS, ReferralCreateForm
from services.referrals.models import (
    CancelReason,
    DeclineReason,
    Referral,
    resident_age,
    state_allows,
)
from services.referrals.plans import plan_progress
from services.referrals.policy import (
    REFERRAL_GATES,
    access_referral_create,
    access_referral_list,
)

# The write of each action of the page: the consent, then one per transition.
ACTION_WRITES = {
    "consent": writes.referral_record_consent,
    "plan": writes.referral_plan_set,
    **writes.TRANSITION_FUNCTIONS,
}


# --- Helpers ----------------------------------------------------------------------------------


def _visible_referral(request, pk: int) -> Referral:
    return get_object_or_404(selectors.referral_detail_queryset(actor=request.user), pk=pk)


def _back(request, pk: int):
    """To the referral's page, or to the list when the user can no longer see it."""
    if selectors.referral_list(actor=request.user).filter(pk=pk).exists():
        return redirect("services:referral-detail", pk)
    return redirect("services:referral-list")


def _conflict(request, referral: Referral):
    """Someone else moved the referral first: say what it is now; nothing was written."""
    current = selectors.referral_status_now(pk=referral.pk) or referral.status
    messages.warning(
        request,
        _("Someone else already moved this referral: it is now “%(status)s”.")
        % {"status": Referral.Status(current).label},
    )
    return _back(request, referral.pk)


# --- List -------------------------------------------------------------------------------------


@login_required
def referral_list(request):
    """Referrals in scope, filtered, 20 to a page; partner staff get their organisation's list."""
    user = request.user
    access_referral_list(user)
    if user.is_partner_staff:
        queryset = selectors.referral_partner_list(actor=user)
    else:
        queryset = selectors.referral_list(actor=user).order_by("-created_at", "-id")
    filterset = ReferralFilter(request.GET, queryset=queryset, request=request)
    # An invalid filter (a partner out of scope, say) lists nothing rather than everything.
    page = filtered_page(request, filterset)
    context = {
        "page": page,
        "filter": filterset,
        "can_add": allowed(access_referral_create, user),
    }
    if user.is_partner_staff:
        today = timezone.localdate()
        for referral in page:
            referral.resident_age = resident_age(referral.resident, today)
        writes.referral_partner_view_audit(actor=user, referrals=page)
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
    for name in selectors.referral_actions(actor=user, referral=referral, names=ACTION_FORMS):
        if failed is not None and failed[0] == name:
            form = failed[1]
        else:
            form = ACTION_FORMS[name](referral=referral, user=user, prefix=name)
        actions.append((name.replace("_", "-"), form))
    reasons = {**dict(DeclineReason.choices), **dict(CancelReason.choices)}
    # A partner sees its own part of the story (ReferralEvent.objects.visible_to).
    history = list(selectors.referral_history(actor=user, referral=referral))
    for event in history:
        event.reason_label = reasons.get(event.reason, event.reason)
    context = {
        "referral": referral,
        "age": resident_age(referral.resident),
        "history": history,
        "actions": actions,
        "plan": plan_progress(referral),
        **referral_deliveries_context(actor=user, referral=referral),
    }
    if user.is_partner_staff:
        writes.referral_partner_view_audit(actor=user, referrals=[referral])
        context["address"] = selectors.referral_address(referral)
        context["contact"] = selectors.referral_contact(referral)
        template = "services/partner/referral_detail.html"
    else:
        context["follow_up"] = selectors.referral_follow_up_task(actor=user, referral=referral)
        context["today"] = timezone.localdate()
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
    # Before the form, as the page offered it: the state (moved on: say so), then the gate (a
    # person who may not do this is refused, 403, whatever they posted).
    if not state_allows(name, referral):
        return _conflict(request, referral)
    REFERRAL_GATES[name](request.user, referral)
    form = ACTION_FORMS[name](request.POST, referral=referral, user=request.user, prefix=name)
    if not form.is_valid():
        return _detail(request, referral, failed=(name, form), status=400)
    try:
        ACTION_WRITES[name](actor=request.user, referral=referral, **form.service_kwargs())
    except writes.ReferralConflict:
        return _conflict(request, referral)
    except ValidationError as exc:
        form_errors(form, exc)
        return _detail(request, referral, failed=(name, form), status=400)
    messages.success(request, form.done)
    return _back(request, referral.pk)


# --- Create -----------------------------------------------------------------------------------


def _create_page(request, form, **context):
    """The referral form (its own template: the eligible services first, the consent to come)."""
    return form_page(
        request,
        form,
        title=_("New referral"),
        cancel_url=reverse("services:referral-list"),
        template="services/referral_form.html",
        guardian_under_age=settings.GUARDIAN_CONSENT_UNDER_AGE,
        **context,
    )


@login_required
def referral_create(request):
    """A new referral for a resident in scope (?resident=<pk>); then consent and submit."""
    access_referral_create(request.user)
    resident_id = id_or_404(request.GET.get("resident"))
    resident = get_object_or_404(resident_list(actor=request.user), pk=resident_id)
    eligible, other = service_items_for_resident(resident=resident)
    form = ReferralCreateForm(request.POST or None, eligible=eligible, other=other)
    if request.method == "POST" and form.is_valid():
        try:
            referral = writes.referral_create(
                actor=request.user,
                resident=resident,
                service_item=form.cleaned_data["service_item"],
                description=form.cleaned_data["description"].strip(),
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Referral created: record consent, then submit it."))
            return redirect("services:referral-detail", referral.pk)
    return _create_page(request, form, resident=resident, need=None, eligible=eligible)


@login_required
def need_refer(request, need_pk: int):
    """A need raised in a visit becomes a referral in one step (the need is marked referred)."""
    access_referral_create(request.user)
    need = get_object_or_404(
        VisitNeed.objects.visible_to(request.user).select_related(
            "resident__household__grid", "visit"
        ),
        pk=need_pk,
    )
    referable = need.resident_id is not None and need.status == VisitNeed.Status.OPEN
    eligible, other = service_items_for_resident(resident=need.resident) if referable else ([], [])
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
            referral = writes.referral_create_from_need(
                actor=request.user, need=need, service_item=form.cleaned_data["service_item"]
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Referral created: record consent, then submit it."))
            return redirect("services:referral-detail", referral.pk)
    return _create_page(
        request,
        form,
        resident=need.resident,
        need=need,
        eligible=eligible,
        referable=referable,
    )


urlpatterns = [
    path("referrals/", referral_list, name="referral-list"),
    path("referrals/new/", referral_create, name="referral-create"),
    path("referrals/<id:pk>/", referral_detail, name="referral-detail"),
    path("referrals/<id:pk>/<slug:action>/", referral_act, name="referral-act"),
    path("needs/<id:need_pk>/refer/", need_refer, name="need-refer"),
]
