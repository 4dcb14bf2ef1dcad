"""REST resources of services/ under /api/v1/, one module per room."""

import services.activities.api
import services.aid.api
import services.catalogue.api
import services.contracts.api
import services.deliveries.api
import services.referrals.api

ROOMS = (
    services.catalogue.api,
    services.referrals.api,
    services.deliveries.api,
    services.contracts.api,
    services.aid.api,
    services.activities.api,
)


def register(router) -> None:
    for room in ROOMS:
        room.register(router)
