"""REST resources of reporting/ under /api/v1/, one module per room."""

from reporting.catalogue import api as catalogue
from reporting.flow import api as flow
from reporting.intake import api as intake


def register(router) -> None:
    catalogue.register(router)
    intake.register(router)
    flow.register(router)
