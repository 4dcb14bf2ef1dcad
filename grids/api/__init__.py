"""REST resources of the registry under /api/v1/, one module per concern."""

from grids.api import registry


def register(router) -> None:
    registry.register(router)
