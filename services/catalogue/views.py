"""Partner organisations and the service catalogue, in the browser.

- /services/partners/ — the street's page (list + detail): kind, credit code, agreement dates,
  data-processing agreement, items provided, staff count, open referrals. Other roles get 403
  (`access_partner_list`): choosing and managing partners is the street's work.
- /services/catalogue/ — the service items for every role that may view them (street,
  community, grid; the permission decides, as in the API). Each item lists only the providers
  the user may see (services/catalogue/selectors.py).

Lists use the same number of queries for 1 row and for 20.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import path

from portal.policy import access_street_administration, allowed
from portal.ui import filtered_page
from services.catalogue import selectors
from services.catalogue.filters import PartnerFilter, ServiceItemFilter
from services.catalogue.policy import (
    access_partner_list,
    access_partner_update,
    access_service_item_list,
)


@login_required
def partner_list(request):
    access_partner_list(request.user)
    queryset = selectors.partner_overview(actor=request.user).order_by("name", "pk")
    filterset = PartnerFilter(request.GET, queryset=queryset, request=request)
    page = filtered_page(request, filterset)
    return render(request, "services/partner_list.html", {"page": page, "filter": filterset})


@login_required
def partner_detail(request, pk: int):
    access_partner_list(request.user)
    partner = get_object_or_404(selectors.partner_overview(actor=request.user), pk=pk)
    # The street administrator records the agreement's dates (street administration pages).
    can_edit = allowed(access_street_administration, request.user) and allowed(
        access_partner_update, request.user, partner
    )
    return render(
        request, "services/partner_detail.html", {"partner": partner, "can_edit": can_edit}
    )


@login_required
def catalogue(request):
    access_service_item_list(request.user)
    queryset = selectors.service_item_list(actor=request.user).order_by("group", "category", "name")
    filterset = ServiceItemFilter(request.GET, queryset=queryset, request=request)
    page = filtered_page(request, filterset)
    return render(request, "services/catalogue.html", {"page": page, "filter": filterset})


urlpatterns = [
    path("partners/", partner_list, name="partner-list"),
    path("partners/<id:pk>/", partner_detail, name="partner-detail"),
    path("catalogue/", catalogue, name="catalogue"),
]
