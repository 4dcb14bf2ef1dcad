"""Pages of grids/: each views module brings its own urlpatterns."""

from grids.views import residents, visits

app_name = "grids"
urlpatterns = [
    *residents.urlpatterns,
    *visits.urlpatterns,
]
