"""REST resources of services/ under /api/v1/, one module per room."""

from services.activities import api as activities
from services.aid import api as aid
from services.catalogue import api as catalogue
from services.contracts import api as contracts
from services.deliveries import api as deliveries
from services.referrals import api as referrals


def register(router) -> None:
    catalogue.register(router)
    referrals.register(router)
    deliveries.register(router)
    contracts.register(router)
    aid.register(router)
    activities.register(router)
