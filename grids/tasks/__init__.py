"""Celery tasks of grids/ (autodiscovered as `grids.tasks`); one module per concern."""

from grids.tasks import (
    age_tags,  # noqa: F401
    imports,  # noqa: F401
    reminders,  # noqa: F401
    staffing,  # noqa: F401
)
