"""Pages of the Party organisation tree, the coverage of the area tree and the membership
register. Every write goes through partybuilding/organisations/writes.py, whose gates decide
who may act; the pages only ask `allowed()` which buttons to offer.

Access: lists and details start from the selectors (`visible_to(user)`: a member or an
organisation outside the scope is a 404, as missing — grid staff, partner staff, a community
cadre without the Party-work grant and a member beyond their own record). A role without the
view permission gets 403 on the lists. Lists cost the same number of queries for 1 row and 20.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from partybuilding.organisations import selectors, writes
from partybuilding.organisations.filters import PartyMemberFilter
from partybuilding.organisations.forms import (
    LoginForm,
    PartyMemberForm,
    PartyOrgForm,
    SecretaryForm,
    TransferForm,
)
from partybuilding.organisations.policy import (
    access_party_coverage_view,
    access_party_member_create,
    access_party_member_list,
    access_party_member_login_create,
    access_party_member_transfer,
    access_party_member_update,
    access_party_org_create,
    access_party_org_list,
    access_party_org_secretary_set,
    access_party_org_update,
)
from partybuilding.serving.policy import access_member_report
from portal.policy import allowed
from portal.ui import filtered_page, form_errors, form_page

# --- Organisations ----------------------------------------------------------------------------


@login_required
def party_org_list(request):
    access_party_org_list(request.user)
    context = {
        "orgs": selectors.party_org_tree(actor=request.user),
        "can_add": allowed(access_party_org_create, request.user),
    }
    return render(request, "partybuilding/organisations/org_list.html", context)


@login_required
def party_org_detail(request, pk: int):
    org = get_object_or_404(selectors.party_org_list(actor=request.user), pk=pk)
    context = {
        "org": org,
        "members": selectors.party_member_org_members(actor=request.user, org=org),
        "children": selectors.party_org_children(actor=request.user, org=org),
        "can_change": allowed(access_party_org_update, request.user, org),
        "can_set_secretary": allowed(access_party_org_secretary_set, request.user, org),
    }
    return render(request, "partybuilding/organisations/org_detail.html", context)


@login_required
def party_org_create(request):
    access_party_org_create(request.user)
    # "Add a sub-organisation" links here with ?parent=<id>: the choice field preselects it when
    # it is one of the user's choices and ignores anything else (no parsing, no 500).
    initial = {"parent": request.GET.get("parent", "")}
    form = PartyOrgForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            org = writes.party_org_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Organisation “%(name)s” founded.") % {"name": org})
            return redirect("partybuilding:party-org-detail", org.pk)
    return form_page(
        request,
        form,
        title=_("Found a Party organisation"),
        cancel_url=reverse("partybuilding:party-org-list"),
    )


@login_required
def party_org_edit(request, pk: int):
    org = get_object_or_404(selectors.party_org_list(actor=request.user), pk=pk)
    access_party_org_update(request.user, org)
    form = PartyOrgForm(request.POST or None, instance=org, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            org = writes.party_org_update(actor=request.user, org=org, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Organisation “%(name)s” saved.") % {"name": org})
            return redirect("partybuilding:party-org-detail", org.pk)
    return form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": org.name},
        cancel_url=reverse("partybuilding:party-org-detail", args=[org.pk]),
    )


@login_required
def party_org_secretary(request, pk: int):
    org = get_object_or_404(selectors.party_org_list(actor=request.user), pk=pk)
    access_party_org_secretary_set(request.user, org)
    form = SecretaryForm(
        request.POST or None, user=request.user, org=org, initial={"secretary": org.secretary_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            writes.party_org_secretary_set(
                actor=request.user, org=org, member=form.cleaned_data["secretary"]
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Secretary saved."))
            return redirect("partybuilding:party-org-detail", org.pk)
    return form_page(
        request,
        form,
        title=_("Secretary of %(name)s") % {"name": org.name},
        cancel_url=reverse("partybuilding:party-org-detail", args=[org.pk]),
    )


@login_required
def party_coverage(request):
    access_party_coverage_view(request.user)
    context = {"coverage": selectors.party_coverage(actor=request.user)}
    return render(request, "partybuilding/organisations/coverage.html", context)


# --- Members ----------------------------------------------------------------------------------


@login_required
def party_member_list(request):
    access_party_member_list(request.user)
    queryset = selectors.party_member_list(actor=request.user).order_by("name", "pk")
    filterset = PartyMemberFilter(request.GET, queryset=queryset, request=request)
    context = {
        "page": filtered_page(request, filterset),
        "filter": filterset,
        "can_add": allowed(access_party_member_create, request.user),
    }
    return render(request, "partybuilding/organisations/member_list.html", context)


@login_required
def party_member_detail(request, pk: int):
    member = get_object_or_404(selectors.party_member_list(actor=request.user), pk=pk)
    context = {
        "member": member,
        "transfers": selectors.member_transfer_list(actor=request.user, member=member),
        "can_change": allowed(access_party_member_update, request.user, member),
        "can_transfer": allowed(access_party_member_transfer, request.user, member),
        "can_report": member.serving and allowed(access_member_report, request.user, member),
        "can_give_login": not member.user_id
        and allowed(access_party_member_login_create, request.user, member),
    }
    return render(request, "partybuilding/organisations/member_detail.html", context)


@login_required
def party_member_create(request):
    access_party_member_create(request.user)
    form = PartyMemberForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            member = writes.party_member_create(actor=request.user, **form.write_data())
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Member “%(name)s” entered.") % {"name": member})
            return redirect("partybuilding:party-member-detail", member.pk)
    return form_page(
        request,
        form,
        title=_("Enter a Party member"),
        cancel_url=reverse("partybuilding:party-member-list"),
    )


@login_required
def party_member_edit(request, pk: int):
    member = get_object_or_404(selectors.party_member_list(actor=request.user), pk=pk)
    access_party_member_update(request.user, member)
    form = PartyMemberForm(request.POST or None, instance=member, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            member = writes.party_member_update(
                actor=request.user, member=member, **form.write_data()
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Member “%(name)s” saved.") % {"name": member})
            return redirect("partybuilding:party-member-detail", member.pk)
    return form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": member.name},
        cancel_url=reverse("partybuilding:party-member-detail", args=[member.pk]),
    )


@login_required
def party_member_transfer(request, pk: int):
    member = get_object_or_404(selectors.party_member_list(actor=request.user), pk=pk)
    access_party_member_transfer(request.user, member)
    form = TransferForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            writes.party_member_transfer(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Transfer recorded."))
            return redirect("partybuilding:party-member-detail", member.pk)
    return form_page(
        request,
        form,
        title=_("Transfer of %(name)s") % {"name": member.name},
        cancel_url=reverse("partybuilding:party-member-detail", args=[member.pk]),
    )


@login_required
def party_member_login(request, pk: int):
    member = get_object_or_404(selectors.party_member_list(actor=request.user), pk=pk)
    access_party_member_login_create(request.user, member)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            writes.party_member_login_create(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Login created."))
            return redirect("partybuilding:party-member-detail", member.pk)
    return form_page(
        request,
        form,
        title=_("A login for %(name)s") % {"name": member.name},
        cancel_url=reverse("partybuilding:party-member-detail", args=[member.pk]),
    )


urlpatterns = [
    path("orgs/", party_org_list, name="party-org-list"),
    path("orgs/new/", party_org_create, name="party-org-create"),
    path("orgs/<id:pk>/", party_org_detail, name="party-org-detail"),
    path("orgs/<id:pk>/edit/", party_org_edit, name="party-org-edit"),
    path("orgs/<id:pk>/secretary/", party_org_secretary, name="party-org-secretary"),
    path("coverage/", party_coverage, name="party-coverage"),
    path("members/", party_member_list, name="party-member-list"),
    path("members/new/", party_member_create, name="party-member-create"),
    path("members/<id:pk>/", party_member_detail, name="party-member-detail"),
    path("members/<id:pk>/edit/", party_member_edit, name="party-member-edit"),
    path("members/<id:pk>/transfer/", party_member_transfer, name="party-member-transfer"),
    path("members/<id:pk>/login/", party_member_login, name="party-member-login"),
]
