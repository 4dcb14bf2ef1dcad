"""Demo and scale data for development: `make run`'s demo street and the load tests' district.

Development wiring, like settings.py and urls.py: this package imports the apps (grids,
services) and nothing in the apps imports it. Only the management commands `demo_data` and
`generate_district` run it, and both refuse with DEBUG off unless forced: made-up people and
accounts with a published password have no place in a real registry.

    accounts.py   one account per role, password `portal-demo`
    registry.py   瑞安市 南滨街道: regions, grids, buildings, households, residents, tags,
                  staff and visits (names.py: the name tables its people are drawn from)
    party.py      Party building: organisations, members, 双报到, alliances, meetings, training,
                  a closed contest; the `secretary` and `member` logins
    reporting.py  burden reduction: department forms through the real intake, in every state
    services.py   partners, the catalogue, referrals in every stage, deliveries, a canteen's
                  meal import, family-doctor contracts, bundled aid, activities
    district.py   `generate_district`: a county-level city at district scale, in bulk

`load()` runs the demo in its one order: accounts, then the registry they work in, then the
services that serve it. Every step is deterministic for a seed and idempotent: a second load
duplicates nothing.
"""

import time
from collections.abc import Callable

from portal.demo import accounts, party, registry, reporting, services

STEPS: list[tuple[str, Callable[[dict], None]]] = [
    ("accounts", accounts.load),
    ("registry", registry.load),
    ("services", services.load),
    ("party", party.load),
    ("reporting", reporting.load),
]


def load(*, seed: int, report: Callable[[str, float], None] | None = None) -> dict:
    """Load the whole demo; `report(step, seconds)` is told how long each step took.

    The steps share one dict (`ctx`): accounts leave `users`, the registry `grids`,
    `communities` and `tags`, the services `partners` and `service_items`.
    """
    ctx: dict = {"seed": seed}
    for name, step in STEPS:
        started = time.monotonic()
        step(ctx)
        if report is not None:
            report(name, time.monotonic() - started)
    return ctx
