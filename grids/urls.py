"""Pages of grids/: each views module brings its own urlpatterns."""

from grids.views import imports, residents, visits

app_name = "grids"
urlpatterns = [
    *imports.urlpatterns,
    *residents.urlpatterns,
    *visits.urlpatterns,
]
