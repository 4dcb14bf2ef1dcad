"""Celery tasks of grids/ (autodiscovered as `grids.tasks`); one module per concern."""
