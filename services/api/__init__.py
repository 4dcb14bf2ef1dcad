"""REST resources of services/ under /api/v1/, one module per concern."""


def register(router) -> None:
    pass
