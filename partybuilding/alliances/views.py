"""Pages of alliances (党建联盟) and exchange circles (党建交流圈).

Reads start from the selectors (`visible_to(user)`: out of scope is a 404, as missing); every
write goes through partybuilding/alliances/writes.py, whose gates decide who may act; pages ask
`allowed(gate, user, obj)` which buttons to offer. The alliance page shows its three lists as
tabs (?tab=need|resource|project), its member units and its agreements.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partybuilding.alliances import selectors, writes
from partybuilding.alliances.filters import AllianceFilter
from partybuilding.alliances.forms import (
    AgreementEditForm,
    AgreementForm,
    AllianceEditForm,
    AllianceForm,
    AllianceMemberEditForm,
    AllianceMemberForm,
    CircleEditForm,
    CircleForm,
    CirclePostForm,
    ClaimForm,
    CompleteForm,
    ItemForm,
)
from partybuilding.alliances.models import AllianceItem
from partybuilding.alliances.policy import (
    ITEM_GATES,
    access_alliance_agreement_create,
    access_alliance_agreement_update,
    access_alliance_create,
    access_alliance_item_post,
    access_alliance_list,
    access_alliance_member_add,
    access_alliance_member_update,
    access_alliance_update,
    access_circle_create,
    access_circle_list,
    access_circle_post_create,
    access_circle_update,
)
from portal.policy import allowed
from portal.ui import filtered_page, form_errors, form_page, paginate

FORM = "partybuilding/alliances/form.html"


def _alliance(request, pk):
    return get_object_or_404(selectors.alliance_list(actor=request.user), pk=pk)


# --- Alliances ---------------------------------------------------------------------------------


@login_required
def alliance_list(request):
    access_alliance_list(request.user)
    queryset = selectors.alliance_list(actor=request.user).order_by("name")
    filterset = AllianceFilter(request.GET, queryset=queryset, request=request)
    context = {
        "page": filtered_page(request, filterset),
        "filter": filterset,
        "can_add": allowed(access_alliance_create, request.user),
    }
    return render(request, "partybuilding/alliances/list.html", context)


@login_required
def agreement_scan(request, pk: int):
    """The scanned copy of an agreement, served only to those who may see the agreement (never
    as a public media file): anyone else gets the 404 of a missing one."""
    agreement = get_object_or_404(
        selectors.agreement_list(actor=request.user).exclude(scanned_copy=""), pk=pk
    )
    return FileResponse(agreement.scanned_copy.open("rb"), as_attachment=False)


@login_required
def alliance_detail(request, pk: int):
    alliance = _alliance(request, pk)
    tab = request.GET.get("tab", AllianceItem.Kind.NEED)
    if tab not in AllianceItem.Kind.values:
        tab = AllianceItem.Kind.NEED
    items = selectors.alliance_items(actor=request.user, alliance=alliance, kind=tab)
    context = {
        "alliance": alliance,
        "tab": tab,
        "tabs": AllianceItem.Kind.choices,
        "page": paginate(request, items),
        "members": selectors.alliance_members(actor=request.user, alliance=alliance),
        "agreements": selectors.agreement_list(actor=request.user).filter(alliance=alliance),
        "can_change": allowed(access_alliance_update, request.user, alliance),
        "can_post": allowed(access_alliance_item_post, request.user, alliance),
        "can_add_member": allowed(access_alliance_member_add, request.user, alliance),
        "can_add_agreement": allowed(access_alliance_agreement_create, request.user, alliance),
        "can_edit_member": allowed(access_alliance_member_update, request.user),
        "can_edit_agreement": allowed(access_alliance_agreement_update, request.user),
    }
    return render(request, "partybuilding/alliances/detail.html", context)


@login_required
def alliance_create(request):
    access_alliance_create(request.user)
    form = AllianceForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            alliance = writes.alliance_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Alliance “%(name)s” founded.") % {"name": alliance})
            return redirect("partybuilding:alliance-detail", alliance.pk)
    return form_page(
        request,
        form,
        title=_("Found an alliance"),
        cancel_url=reverse("partybuilding:alliance-list"),
        template=FORM,
    )


@login_required
def alliance_edit(request, pk: int):
    alliance = _alliance(request, pk)
    access_alliance_update(request.user, alliance)
    form = AllianceEditForm(request.POST or None, instance=alliance, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            writes.alliance_update(actor=request.user, alliance=alliance, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Alliance saved."))
            return redirect("partybuilding:alliance-detail", alliance.pk)
    return form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": alliance.name},
        cancel_url=reverse("partybuilding:alliance-detail", args=[alliance.pk]),
        template=FORM,
    )


@login_required
def alliance_member_add(request, pk: int):
    alliance = _alliance(request, pk)
    access_alliance_member_add(request.user, alliance)
    form = AllianceMemberForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            writes.alliance_member_add(actor=request.user, alliance=alliance, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Member unit added."))
            return redirect("partybuilding:alliance-detail", alliance.pk)
    return form_page(
        request,
        form,
        title=_("Add a member unit to %(name)s") % {"name": alliance.name},
        cancel_url=reverse("partybuilding:alliance-detail", args=[alliance.pk]),
        template=FORM,
    )


@login_required
def alliance_agreement_add(request, pk: int):
    alliance = _alliance(request, pk)
    access_alliance_agreement_create(request.user, alliance)
    form = AgreementForm(
        request.POST or None, request.FILES or None, user=request.user, alliance=alliance
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            writes.alliance_agreement_create(actor=request.user, alliance=alliance, **data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Agreement filed."))
            return redirect("partybuilding:alliance-detail", alliance.pk)
    return form_page(
        request,
        form,
        title=_("File the signed agreement"),
        cancel_url=reverse("partybuilding:alliance-detail", args=[alliance.pk]),
        template=FORM,
        multipart=True,
    )


@login_required
def alliance_member_edit(request, pk: int, member_pk: int):
    alliance = _alliance(request, pk)
    member = get_object_or_404(
        selectors.alliance_members(actor=request.user, alliance=alliance), pk=member_pk
    )
    access_alliance_member_update(request.user, member)
    form = AllianceMemberEditForm(request.POST or None, instance=member, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            writes.alliance_member_update(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Member unit saved."))
            return redirect("partybuilding:alliance-detail", alliance.pk)
    return form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": member.name},
        cancel_url=reverse("partybuilding:alliance-detail", args=[alliance.pk]),
        template=FORM,
    )


@login_required
def alliance_agreement_edit(request, pk: int, agreement_pk: int):
    alliance = _alliance(request, pk)
    agreement = get_object_or_404(
        selectors.agreement_list(actor=request.user).filter(alliance=alliance), pk=agreement_pk
    )
    access_alliance_agreement_update(request.user, agreement)
    form = AgreementEditForm(
        request.POST or None,
        request.FILES or None,
        instance=agreement,
        user=request.user,
        alliance=alliance,
    )
    if request.method == "POST" and form.is_valid():
        try:
            writes.alliance_agreement_update(
                actor=request.user, agreement=agreement, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Agreement saved."))
            return redirect("partybuilding:alliance-detail", alliance.pk)
    return form_page(
        request,
        form,
        title=_("Edit %(title)s") % {"title": agreement.title},
        cancel_url=reverse("partybuilding:alliance-detail", args=[alliance.pk]),
        template=FORM,
        multipart=True,
    )


# --- List items -------------------------------------------------------------------------------


@login_required
def alliance_item_post(request, pk: int):
    alliance = _alliance(request, pk)
    access_alliance_item_post(request.user, alliance)
    kind = request.GET.get("kind", AllianceItem.Kind.NEED)
    form = ItemForm(
        request.POST or None, user=request.user, alliance=alliance, initial={"kind": kind}
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = writes.alliance_item_post(
                actor=request.user, alliance=alliance, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Item posted."))
            return redirect(
                reverse("partybuilding:alliance-detail", args=[alliance.pk]) + f"?tab={item.kind}"
            )
    return form_page(
        request,
        form,
        title=_("Post to %(name)s") % {"name": alliance.name},
        cancel_url=reverse("partybuilding:alliance-detail", args=[alliance.pk]),
        template=FORM,
    )


def _item(request, pk):
    return get_object_or_404(selectors.item_list(actor=request.user), pk=pk)


def _item_page(request, item, *, claim_form=None, complete_form=None, status=200):
    may = {name: allowed(gate, request.user, item) for name, gate in ITEM_GATES.items()}
    context = {
        "item": item,
        "linked_url": selectors.item_linked_url(item),
        "may": may,
        "claim_form": claim_form or ClaimForm(user=request.user, item=item),
        "complete_form": complete_form or CompleteForm(),
    }
    return render(request, "partybuilding/alliances/item_detail.html", context, status=status)


@login_required
def alliance_item_detail(request, pk: int):
    return _item_page(request, _item(request, pk))


@login_required
@require_POST
def alliance_item_act(request, pk: int, action: str):
    """One transition of an item (claim, start, complete, withdraw); a stale click is a message."""
    item = _item(request, pk)
    if action not in ITEM_GATES:
        raise Http404
    claim_form = complete_form = None
    try:
        if action == "claim":
            claim_form = ClaimForm(request.POST, user=request.user, item=item)
            if not claim_form.is_valid():
                return _item_page(request, item, claim_form=claim_form, status=400)
            writes.alliance_item_claim(
                actor=request.user, item=item, claimed_by=claim_form.cleaned_data["claimed_by"]
            )
        elif action == "complete":
            complete_form = CompleteForm(request.POST)
            if not complete_form.is_valid():
                return _item_page(request, item, complete_form=complete_form, status=400)
            writes.alliance_item_complete(
                actor=request.user, item=item, delivered=complete_form.cleaned_data["delivered"]
            )
        elif action == "start":
            writes.alliance_item_start(actor=request.user, item=item)
        else:
            writes.alliance_item_withdraw(actor=request.user, item=item)
    except writes.AllianceItemConflict as exc:
        messages.warning(request, str(exc))
    except ValidationError as exc:
        form = claim_form or complete_form or CompleteForm()
        form_errors(form, exc)
        return _item_page(
            request, item, claim_form=claim_form, complete_form=complete_form, status=400
        )
    else:
        messages.success(request, _("Item updated."))
    return redirect("partybuilding:alliance-item-detail", item.pk)


# --- Exchange circles -------------------------------------------------------------------------


@login_required
def circle_list(request):
    access_circle_list(request.user)
    context = {
        "page": paginate(request, selectors.circle_list(actor=request.user)),
        "can_add": allowed(access_circle_create, request.user),
    }
    return render(request, "partybuilding/alliances/circle_list.html", context)


@login_required
def circle_detail(request, pk: int):
    circle = get_object_or_404(selectors.circle_list(actor=request.user), pk=pk)
    context = {
        "circle": circle,
        "orgs": selectors.circle_orgs(circle=circle),
        "page": paginate(request, selectors.circle_posts(actor=request.user, circle=circle)),
        "can_post": allowed(access_circle_post_create, request.user, circle),
        "can_change": allowed(access_circle_update, request.user, circle),
    }
    return render(request, "partybuilding/alliances/circle_detail.html", context)


@login_required
def circle_create(request):
    access_circle_create(request.user)
    form = CircleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            circle = writes.circle_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Exchange circle created."))
            return redirect("partybuilding:circle-detail", circle.pk)
    return form_page(
        request,
        form,
        title=_("Create an exchange circle"),
        cancel_url=reverse("partybuilding:circle-list"),
        template=FORM,
    )


@login_required
def circle_edit(request, pk: int):
    circle = get_object_or_404(selectors.circle_list(actor=request.user), pk=pk)
    access_circle_update(request.user, circle)
    form = CircleEditForm(request.POST or None, instance=circle, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            writes.circle_update(actor=request.user, circle=circle, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Exchange circle saved."))
            return redirect("partybuilding:circle-detail", circle.pk)
    return form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": circle.name},
        cancel_url=reverse("partybuilding:circle-detail", args=[circle.pk]),
        template=FORM,
    )


@login_required
def circle_post_add(request, pk: int):
    circle = get_object_or_404(selectors.circle_list(actor=request.user), pk=pk)
    access_circle_post_create(request.user, circle)
    form = CirclePostForm(request.POST or None, user=request.user, circle=circle)
    if request.method == "POST" and form.is_valid():
        try:
            writes.circle_post_create(actor=request.user, circle=circle, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Shared with the circle."))
            return redirect("partybuilding:circle-detail", circle.pk)
    return form_page(
        request,
        form,
        title=_("Share with %(name)s") % {"name": circle.name},
        cancel_url=reverse("partybuilding:circle-detail", args=[circle.pk]),
        template=FORM,
    )


urlpatterns = [
    path("alliances/", alliance_list, name="alliance-list"),
    path("alliances/new/", alliance_create, name="alliance-create"),
    path("alliances/<id:pk>/", alliance_detail, name="alliance-detail"),
    path("alliances/<id:pk>/edit/", alliance_edit, name="alliance-edit"),
    path("alliances/<id:pk>/members/new/", alliance_member_add, name="alliance-member-add"),
    path(
        "alliances/<id:pk>/agreements/new/", alliance_agreement_add, name="alliance-agreement-add"
    ),
    path("alliances/<id:pk>/items/new/", alliance_item_post, name="alliance-item-post"),
    path(
        "alliances/<id:pk>/members/<id:member_pk>/edit/",
        alliance_member_edit,
        name="alliance-member-edit",
    ),
    path(
        "alliances/<id:pk>/agreements/<id:agreement_pk>/edit/",
        alliance_agreement_edit,
        name="alliance-agreement-edit",
    ),
    path("alliance-agreements/<id:pk>/scan/", agreement_scan, name="alliance-agreement-scan"),
    path("alliance-items/<id:pk>/", alliance_item_detail, name="alliance-item-detail"),
    path("alliance-items/<id:pk>/<str:action>/", alliance_item_act, name="alliance-item-act"),
    path("circles/", circle_list, name="circle-list"),
    path("circles/new/", circle_create, name="circle-create"),
    path("circles/<id:pk>/", circle_detail, name="circle-detail"),
    path("circles/<id:pk>/posts/new/", circle_post_add, name="circle-post-add"),
    path("circles/<id:pk>/edit/", circle_edit, name="circle-edit"),
]
