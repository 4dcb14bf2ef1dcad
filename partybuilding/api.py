"""REST resources of partybuilding/ under /api/v1/, one module per room."""

from partybuilding.alliances import api as alliances
from partybuilding.contests import api as contests
from partybuilding.organisations import api as organisations
from partybuilding.orglife import api as orglife
from partybuilding.serving import api as serving
from partybuilding.training import api as training


def register(router) -> None:
    organisations.register(router)
    serving.register(router)
    alliances.register(router)
    orglife.register(router)
    training.register(router)
    contests.register(router)
