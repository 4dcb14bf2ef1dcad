"""Pages of reporting/: each room's views module brings its own urlpatterns."""

from reporting.catalogue import views as catalogue
from reporting.dashboards import views as dashboards
from reporting.flow import views as flow
from reporting.intake import views as intake

app_name = "reporting"
urlpatterns = [
    *flow.urlpatterns,
    *intake.urlpatterns,
    *catalogue.urlpatterns,
    *dashboards.urlpatterns,
]
