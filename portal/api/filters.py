"""The API's list filters: django-filter with number and id filters bounded.

`BoundedFilterBackend` is django-filter's backend (DEFAULT_FILTER_BACKENDS) that bounds every
FilterSet it builds with `portal.params.bound_filters` — one place for every viewset, whatever
FilterSet class it declares: `?grid=99999999999999999999999`, `?grid=-1` or `?grid=²` is a 400
with the field's message, never a query the database cannot run.
"""

from django_filters.rest_framework import DjangoFilterBackend

from portal.params import bound_filters


class BoundedFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            bound_filters(filterset)
        return filterset
