"""Small registries through which the modules plug into the foundation.

The foundation imports no module; modules import the foundation and register here in their
AppConfig.ready(): cards on the home page, demo-data loaders, periodic schedules.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class HomeCard:
    """One tile on a user's home page: a title, a number or text, a link."""

    title: str
    value: str
    url: str = ""
    icon: str = "bi-grid"
    note: str = ""


@dataclass(frozen=True)
class PeriodicSchedule:
    """A periodic task installed into django-celery-beat's tables (admins may edit it later)."""

    name: str
    task: str
    crontab: dict = field(default_factory=dict)  # minute, hour, day_of_week, day_of_month...
    description: str = ""


home_card_providers: list[Callable] = []
demo_data_loaders: list[tuple[int, str, Callable]] = []
periodic_schedules: list[PeriodicSchedule] = []


def home_cards_register(provider: Callable) -> None:
    """`provider(user) -> list[HomeCard]`, queried with the user's scope."""
    if provider not in home_card_providers:
        home_card_providers.append(provider)


def home_cards_for(user) -> list[HomeCard]:
    cards: list[HomeCard] = []
    for provider in home_card_providers:
        cards.extend(provider(user))
    return cards


def demo_data_register(order: int, name: str, loader: Callable) -> None:
    """`loader(ctx)` adds a module's demo records; `ctx` is a dict shared along the chain.

    Loaders run by `order` (the foundation's users first, then grids, services...) and must be
    idempotent: running the demo-data command twice duplicates nothing.
    """
    if all(existing != name for _, existing, _ in demo_data_loaders):
        demo_data_loaders.append((order, name, loader))
        demo_data_loaders.sort(key=lambda item: item[0])


def periodic_schedule_register(schedule: PeriodicSchedule) -> None:
    if all(existing.name != schedule.name for existing in periodic_schedules):
        periodic_schedules.append(schedule)
