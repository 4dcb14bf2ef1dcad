"""Pages of grids/: each views module brings its own urlpatterns."""

from grids.views import coverage, imports, residents, visits

app_name = "grids"
urlpatterns = [
    *coverage.urlpatterns,
    *imports.urlpatterns,
    *residents.urlpatterns,
    *visits.urlpatterns,
]
