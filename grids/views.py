"""Pages of the registry (lists and details grow with the registry issue)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from grids import selectors
from grids.models import Resident


@login_required
def resident_list(request):
    search = request.GET.get("q", "")
    queryset = selectors.resident_list(actor=request.user, search=search).order_by("name", "id")
    page = Paginator(queryset, 20).get_page(request.GET.get("page"))
    return render(request, "grids/resident_list.html", {"page": page, "q": search})


@login_required
def resident_detail(request, pk: int):
    resident = get_object_or_404(
        Resident.objects.visible_to(request.user).select_related("household__grid__community"),
        pk=pk,
    )
    tags = resident.tags.select_related("tag")
    return render(request, "grids/resident_detail.html", {"resident": resident, "tags": tags})
