"""The burden dashboard's pages, for reporting/urls.py to include in its `reporting` namespace:
`*dashboards.urlpatterns` (reporting:dashboard, reporting:burden-rule)."""

from reporting.dashboards.views import urlpatterns

__all__ = ["urlpatterns"]
