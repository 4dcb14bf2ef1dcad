"""街道管理 pages: jurisdiction grants, integration accounts and their API tokens.

Each page first asks the street-administration gate; each change goes through the owning
module's write (which asks its own gate, validates and audits). A new token's clear key is
shown once, on the answer to the POST that issued it, and never stored.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grids import writes as grid_writes
from grids.models import Region, TagDef
from portal import writes
from portal.administration import selectors
from portal.administration.forms import (
    CommunityForm,
    CommunityRenameForm,
    IntegrationAccountForm,
    PartnerForm,
    PartnerStaffBindForm,
    PartnerStaffCreateForm,
    RegionGrantForm,
    ServiceItemForm,
    TokenIssueForm,
)
from portal.models import ApiToken, User
from portal.policy import access_account_password_reset, access_street_administration, allowed
from portal.roles import Role
from portal.ui import form_errors, form_page, paginate
from services.catalogue import writes as catalogue_writes
from services.catalogue.eligibility import rule_tags, rule_validate
from services.catalogue.models import Partner, ServiceItem
from services.catalogue.selectors import partner_list as partner_list_selector


@login_required
def index(request):
    access_street_administration(request.user)
    return render(request, "portal/administration/index.html")


@login_required
def jurisdiction_list(request):
    access_street_administration(request.user)
    accounts = selectors.jurisdiction_account_list(actor=request.user)
    return render(request, "portal/administration/jurisdiction_list.html", {"accounts": accounts})


def _account(request, pk: int) -> User:
    try:
        return selectors.jurisdiction_account_get(actor=request.user, pk=pk)
    except User.DoesNotExist:
        raise Http404 from None


def _account_page(
    request,
    account,
    *,
    grant_form=None,
    token_form=None,
    new_token=None,
    handover=None,
    status=200,
):
    context = {
        "handover": handover,
        "may_reset_password": allowed(access_account_password_reset, request.user, account),
        "account": account,
        "regions": selectors.account_regions(account),
        "grids": selectors.account_grids(account),
        "tokens": selectors.account_tokens(account) if account.is_integration else [],
        "grant_form": grant_form or RegionGrantForm(),
        "token_form": token_form or (TokenIssueForm() if account.is_integration else None),
        "new_token": new_token,
    }
    return render(request, "portal/administration/account_detail.html", context, status=status)


@login_required
@never_cache
def account_detail(request, pk: int):
    access_street_administration(request.user)
    return _account_page(request, _account(request, pk))


@login_required
@require_POST
def account_grant(request, pk: int):
    access_street_administration(request.user)
    account = _account(request, pk)
    form = RegionGrantForm(request.POST)
    if form.is_valid():
        region = form.cleaned_data["region"]
        grid_writes.region_staff_grant(actor=request.user, person=account, region=region)
        messages.success(
            request,
            _("%(region)s granted to %(account)s.") % {"region": region, "account": account},
        )
        return redirect("administration:account-detail", pk=account.pk)
    return _account_page(request, account, grant_form=form, status=400)


@login_required
@require_POST
@never_cache
def account_password_reset(request, pk: int):
    """A new initial password for a community cadre, shown on this answer only."""
    access_street_administration(request.user)
    account = _account(request, pk)
    password = writes.account_password_reset(actor=request.user, account=account)
    handover = {"account": account, "password": password, "reset": True}
    return _account_page(request, account, handover=handover)


@login_required
@require_POST
def account_revoke(request, pk: int, region_pk: int):
    access_street_administration(request.user)
    account = _account(request, pk)
    region = get_object_or_404(Region, pk=region_pk)
    if grid_writes.region_staff_revoke(actor=request.user, person=account, region=region):
        messages.success(
            request,
            _("%(region)s taken back from %(account)s.") % {"region": region, "account": account},
        )
    return redirect("administration:account-detail", pk=account.pk)


@login_required
def integration_create(request):
    access_street_administration(request.user)
    form = IntegrationAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = writes.integration_account_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Account %(account)s opened: grant it a jurisdiction, then issue its token.")
                % {"account": account.username},
            )
            return redirect("administration:account-detail", pk=account.pk)
    return form_page(
        request,
        form,
        title=_("New integration account"),
        cancel_url=reverse("administration:jurisdiction"),
    )


@login_required
@require_POST
@never_cache
def token_issue(request, pk: int):
    access_street_administration(request.user)
    account = _account(request, pk)
    if not account.is_integration:
        raise Http404
    form = TokenIssueForm(request.POST)
    if form.is_valid():
        try:
            _token, raw = writes.api_token_issue(
                actor=request.user,
                client=account,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
                scopes=form.cleaned_data["scopes"],
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            # Shown on this answer only: the page reloaded (GET) no longer has it.
            return _account_page(request, account, new_token=raw)
    return _account_page(request, account, token_form=form, status=400)


@login_required
@require_POST
def token_revoke(request, pk: int, token_pk: int):
    access_street_administration(request.user)
    account = _account(request, pk)
    token = get_object_or_404(ApiToken, pk=token_pk, user=account)
    writes.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token %(prefix)s revoked.") % {"prefix": token.key_prefix})
    return redirect("administration:account-detail", pk=account.pk)


# --- Partner organisations and their staff ------------------------------------------------------


@login_required
def partner_list(request):
    access_street_administration(request.user)
    page = paginate(request, selectors.partner_admin_list(actor=request.user))
    return render(request, "portal/administration/partner_list.html", {"page": page})


@login_required
def partner_create(request):
    access_street_administration(request.user)
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner = catalogue_writes.partner_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Partner %(name)s registered.") % {"name": partner.name})
            return redirect("administration:partner-detail", pk=partner.pk)
    return form_page(
        request,
        form,
        title=_("New partner organisation"),
        cancel_url=reverse("administration:partners"),
    )


def _partner(request, pk: int) -> Partner:
    return get_object_or_404(partner_list_selector(actor=request.user), pk=pk)


def _partner_page(request, partner, *, staff_form=None, bind_form=None, handover=None, status=200):
    context = {
        "partner": partner,
        "staff": selectors.partner_bound_staff(partner),
        "staff_form": staff_form or PartnerStaffCreateForm(),
        "bind_form": bind_form or PartnerStaffBindForm(),
        "handover": handover,
    }
    return render(request, "portal/administration/partner_detail.html", context, status=status)


@login_required
@never_cache
def partner_detail(request, pk: int):
    access_street_administration(request.user)
    return _partner_page(request, _partner(request, pk))


@login_required
def partner_edit(request, pk: int):
    access_street_administration(request.user)
    partner = _partner(request, pk)
    initial = {name: getattr(partner, name) for name in catalogue_writes.PARTNER_EDITABLE}
    form = PartnerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            catalogue_writes.partner_update(
                actor=request.user, partner=partner, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Partner %(name)s saved.") % {"name": partner.name})
            return redirect("administration:partner-detail", pk=partner.pk)
    return form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": partner.name},
        cancel_url=reverse("administration:partner-detail", args=[partner.pk]),
    )


@login_required
@require_POST
@never_cache
def partner_staff_create(request, pk: int):
    """Open a partner-staff account bound to this partner; its initial password is shown on
    this answer only."""
    access_street_administration(request.user)
    partner = _partner(request, pk)
    form = PartnerStaffCreateForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                account, password = writes.person_account_create(
                    actor=request.user, role=Role.PARTNER_STAFF, **form.cleaned_data
                )
                catalogue_writes.partner_staff_bind(
                    actor=request.user, person=account, partner=partner
                )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            handover = {"account": account, "password": password, "reset": False}
            return _partner_page(request, partner, handover=handover)
    return _partner_page(request, partner, staff_form=form, status=400)


@login_required
@require_POST
def partner_staff_bind(request, pk: int):
    access_street_administration(request.user)
    partner = _partner(request, pk)
    form = PartnerStaffBindForm(request.POST)
    if not form.is_valid():
        return _partner_page(request, partner, bind_form=form, status=400)
    person = form.cleaned_data["person"]
    catalogue_writes.partner_staff_bind(actor=request.user, person=person, partner=partner)
    messages.success(
        request,
        _("%(person)s now acts for %(partner)s.") % {"person": person, "partner": partner},
    )
    return redirect("administration:partner-detail", pk=partner.pk)


@login_required
@require_POST
@never_cache
def partner_staff_password_reset(request, pk: int, user_pk: int):
    """A new initial password for one of this partner's staff, shown on this answer only."""
    access_street_administration(request.user)
    partner = _partner(request, pk)
    person = selectors.partner_bound_staff_get(partner, pk=user_pk)
    if person is None:
        raise Http404
    password = writes.account_password_reset(actor=request.user, account=person)
    handover = {"account": person, "password": password, "reset": True}
    return _partner_page(request, partner, handover=handover)


@login_required
@require_POST
def partner_staff_unbind(request, pk: int, user_pk: int):
    access_street_administration(request.user)
    partner = _partner(request, pk)
    person = get_object_or_404(User, pk=user_pk)
    if catalogue_writes.partner_staff_unbind(actor=request.user, person=person, partner=partner):
        messages.success(
            request,
            _("%(person)s no longer acts for %(partner)s.")
            % {"person": person, "partner": partner},
        )
    return redirect("administration:partner-detail", pk=partner.pk)


# --- Communities (grids have their own pages: grids:grid-create, grids:grid-edit) ----------------


def _community_page(request, *, form=None, status=200):
    communities = selectors.community_admin_list(actor=request.user)
    return render(
        request,
        "portal/administration/community_list.html",
        {"communities": communities, "form": form or CommunityForm()},
        status=status,
    )


@login_required
def community_list(request):
    access_street_administration(request.user)
    return _community_page(request)


@login_required
@require_POST
def community_create(request):
    access_street_administration(request.user)
    form = CommunityForm(request.POST)
    if form.is_valid():
        try:
            community = grid_writes.region_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Community %(name)s added.") % {"name": community.name})
            return redirect("administration:communities")
    return _community_page(request, form=form, status=400)


@login_required
def community_rename(request, pk: int):
    access_street_administration(request.user)
    community = get_object_or_404(Region, pk=pk, level=Region.Level.COMMUNITY)
    form = CommunityRenameForm(request.POST or None, initial={"name": community.name})
    if request.method == "POST" and form.is_valid():
        try:
            grid_writes.region_update(
                actor=request.user, region=community, name=form.cleaned_data["name"].strip()
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Community renamed."))
            return redirect("administration:communities")
    return form_page(
        request,
        form,
        title=_("Rename %(name)s") % {"name": community.name},
        cancel_url=reverse("administration:communities"),
    )


# --- The service catalogue and its eligibility rules ---------------------------------------------


@login_required
def catalogue_list(request):
    access_street_administration(request.user)
    items = ServiceItem.objects.prefetch_related("partners").order_by("group", "category", "name")
    return render(
        request, "portal/administration/catalogue_list.html", {"page": paginate(request, items)}
    )


def _catalogue_form_page(request, form, title):
    return form_page(
        request,
        form,
        title=title,
        cancel_url=reverse("administration:catalogue"),
        template="portal/administration/service_item_form.html",
    )


@login_required
def service_item_create(request):
    access_street_administration(request.user)
    form = ServiceItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        partners = fields.pop("partners")
        try:
            item = catalogue_writes.service_item_create(
                actor=request.user, partners=partners, **fields
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Service %(name)s added.") % {"name": item.name})
            return redirect("administration:catalogue")
    return _catalogue_form_page(request, form, _("New service"))


@login_required
def service_item_edit(request, pk: int):
    access_street_administration(request.user)
    item = get_object_or_404(ServiceItem, pk=pk)
    form = ServiceItemForm(request.POST or None, instance=ServiceItem.objects.get(pk=item.pk))
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        partners = fields.pop("partners")
        try:
            catalogue_writes.service_item_update(
                actor=request.user, service_item=item, partners=partners, **fields
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Service %(name)s saved.") % {"name": item.name})
            return redirect("administration:catalogue")
    return _catalogue_form_page(request, form, _("Edit %(name)s") % {"name": item.name})


@login_required
def rule_check(request):
    """The eligibility rule as it is typed: parsed, its tag codes looked up (an htmx fragment)."""
    access_street_administration(request.user)
    rule = (request.GET.get("eligibility_rule") or "").strip()[:300]
    error, tags = None, []
    try:
        rule_validate(rule)
        codes = rule_tags(rule)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    else:
        tags = list(TagDef.objects.filter(code__in=codes).order_by("code"))
    return render(
        request,
        "portal/administration/_rule_check.html",
        {"rule": rule, "error": error, "tags": tags},
    )
