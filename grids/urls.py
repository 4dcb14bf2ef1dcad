"""Pages of grids/: each views module brings its own urlpatterns."""

from grids.views import residents

app_name = "grids"
urlpatterns = [
    *residents.urlpatterns,
]
