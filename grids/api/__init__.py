"""REST resources of the registry under /api/v1/, one module per concern."""

from grids.api import registry, visits


def register(router) -> None:
    registry.register(router)
    visits.register(router)
