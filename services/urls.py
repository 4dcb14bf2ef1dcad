"""Pages of services/: each room's views module brings its own urlpatterns."""

from services.activities import views as activities
from services.aid import views as aid
from services.catalogue import views as catalogue
from services.contracts import views as contracts
from services.dashboards import views as dashboards
from services.deliveries import views as deliveries
from services.referrals import views as referrals

app_name = "services"
urlpatterns = [
    *referrals.urlpatterns,
    *catalogue.urlpatterns,
    *deliveries.urlpatterns,
    *contracts.urlpatterns,
    *aid.urlpatterns,
    *activities.urlpatterns,
    *dashboards.urlpatterns,
]
