"""Small registries through which the modules plug into the foundation.

The foundation imports no module; modules import the foundation and register here in their
AppConfig.ready(): cards on the home page, periodic schedules. (The demo data is not a hook:
portal/demo runs its steps in its own order.)
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


def periodic_schedule_register(schedule: PeriodicSchedule) -> None:
    if all(existing.name != schedule.name for existing in periodic_schedules):
        periodic_schedules.append(schedule)
