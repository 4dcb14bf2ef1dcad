"""REST resources of services/ under /api/v1/, one module per concern."""

from services.api import activities, aid, catalogue, contracts, deliveries, referrals


def register(router) -> None:
    catalogue.register(router)
    referrals.register(router)
    deliveries.register(router)
    contracts.register(router)
    aid.register(router)
    activities.register(router)
