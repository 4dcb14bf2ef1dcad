"""Partner organisations and the service catalogue, in the browser.

- /services/partners/ — the street's page (list + detail): kind, credit code, agreement dates,
  data-processing agreement, items provided, staff count, open referrals. Other roles get 403:
  choosing and managing partners is the street's work (local staff see the providers' names in
  the catalogue; partner staff's pages are their referrals).
- /services/catalogue/ — the service items for every role that may view them (street,
  community, grid; the permission decides, as in the API). Each item lists only the providers
  the user may see (`Partner.objects.visible_to`).

Lists use the same number of queries for 1 row and for 20 (services/selectors.py).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import path

from portal.roles import STREET_ROLES
from services.referrals import selectors
from services.referrals.forms import PartnerFilter, ServiceItemFilter

PAGE_SIZE = 20


def access_partner_pages(user) -> None:
    """The partner pages are the street's (a role-wide refusal: 403 for every partner alike)."""
    if user.is_superuser:
        return
    if user.role not in STREET_ROLES:
        raise PermissionDenied


def access_catalogue(user) -> None:
    if not user.has_perm("services.view_serviceitem"):
        raise PermissionDenied


def _page(request, filterset):
    queryset = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def partner_list(request):
    access_partner_pages(request.user)
    queryset = selectors.partner_list(actor=request.user).order_by("name", "pk")
    filterset = PartnerFilter(request.GET, queryset=queryset, request=request)
    page = _page(request, filterset)
    return render(request, "services/partner_list.html", {"page": page, "filter": filterset})


@login_required
def partner_detail(request, pk: int):
    access_partner_pages(request.user)
    partner = get_object_or_404(selectors.partner_list(actor=request.user), pk=pk)
    return render(request, "services/partner_detail.html", {"partner": partner})


@login_required
def catalogue(request):
    access_catalogue(request.user)
    queryset = selectors.service_item_list(actor=request.user).order_by("group", "category", "name")
    filterset = ServiceItemFilter(request.GET, queryset=queryset, request=request)
    page = _page(request, filterset)
    return render(request, "services/catalogue.html", {"page": page, "filter": filterset})


urlpatterns = [
    path("partners/", partner_list, name="partner-list"),
    path("partners/<int:pk>/", partner_detail, name="partner-detail"),
    path("catalogue/", catalogue, name="catalogue"),
]
