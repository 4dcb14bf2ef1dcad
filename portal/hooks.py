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


@dataclass(frozen=True)
class FileSection:
    """One card of a resident's or a household's file (一人一档), contributed by the module
    that owns the rows: `rows` newest first and capped, `more` when there are more than shown
    (`more_url` leads to them). A provider returns None when the reader may not see the
    section at all: the card is then absent, not empty."""

    key: str
    title: str
    template: str
    rows: list = field(default_factory=list)
    more: bool = False
    more_url: str = ""
    order: int = 100


FILE_KINDS = ("resident", "household")
# kind → [(section key, provider)]
file_section_providers: dict[str, list[tuple[str, Callable]]] = {kind: [] for kind in FILE_KINDS}


def file_sections_register(kind: str, key: str, provider: Callable) -> None:
    """`provider(*, actor, obj, limit) -> FileSection | None` for a resident's or household's
    file, keyed `key`; each provider reads through its own module's selectors, with the
    actor's scope, at most `limit` rows (plus one to know whether there are more)."""
    providers = file_section_providers[kind]
    if all(existing != key for existing, _ in providers):
        providers.append((key, provider))


def file_sections_for(
    kind: str, *, actor, obj, limit_for: Callable[[str], int]
) -> list[FileSection]:
    """The sections of `obj`'s file the actor may see; `limit_for(key)` rows in each."""
    sections = [
        provider(actor=actor, obj=obj, limit=limit_for(key))
        for key, provider in file_section_providers[kind]
    ]
    return sorted((s for s in sections if s is not None), key=lambda s: s.order)
