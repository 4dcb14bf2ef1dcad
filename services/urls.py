"""Pages of services/: each room's views module brings its own urlpatterns."""

import services.activities.views
import services.aid.views
import services.catalogue.views
import services.contracts.views
import services.dashboards.views
import services.deliveries.views
import services.referrals.views

app_name = "services"
urlpatterns = [
    *services.referrals.views.urlpatterns,
    *services.catalogue.views.urlpatterns,
    *services.deliveries.views.urlpatterns,
    *services.contracts.views.urlpatterns,
    *services.aid.views.urlpatterns,
    *services.activities.views.urlpatterns,
    *services.dashboards.views.urlpatterns,
]
