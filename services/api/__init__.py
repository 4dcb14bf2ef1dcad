"""REST resources of services/ under /api/v1/, one module per concern."""

from services.api import catalogue, referrals


def register(router) -> None:
    catalogue.register(router)
    referrals.register(router)
