"""Pages of partybuilding/: each room's views module brings its own urlpatterns."""

from partybuilding.alliances import views as alliances
from partybuilding.contests import views as contests
from partybuilding.dashboards import views as dashboards
from partybuilding.organisations import views as organisations
from partybuilding.orglife import views as orglife
from partybuilding.serving import views as serving
from partybuilding.training import views as training

app_name = "partybuilding"
urlpatterns = [
    *dashboards.urlpatterns,
    *organisations.urlpatterns,
    *serving.urlpatterns,
    *alliances.urlpatterns,
    *orglife.urlpatterns,
    *training.urlpatterns,
    *contests.urlpatterns,
]
