"""Pages of grids/: each views module brings its own urlpatterns."""

from grids.views import (
    coverage,
    imports,
    registry,
    residents,
    visits,
)

app_name = "grids"
urlpatterns = [
    *coverage.urlpatterns,
    *imports.urlpatterns,
    *registry.urlpatterns,
    *residents.urlpatterns,
    *visits.urlpatterns,
]
