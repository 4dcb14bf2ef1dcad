"""Pages of services/: each views module brings its own urlpatterns."""

from services.views import (
    activities,
    aid,
    contracts,
    dashboard,
    deliveries,
    partners,
    referrals,
)

app_name = "services"
urlpatterns = [
    *referrals.urlpatterns,
    *partners.urlpatterns,
    *deliveries.urlpatterns,
    *contracts.urlpatterns,
    *aid.urlpatterns,
    *activities.urlpatterns,
    *dashboard.urlpatterns,
]
