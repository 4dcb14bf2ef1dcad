"""REST resources of the registry under /api/v1/, one module per concern."""

from grids.api import coverage, registry, visits


def register(router) -> None:
    coverage.register(router)
    registry.register(router)
    visits.register(router)
