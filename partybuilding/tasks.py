"""Celery autodiscovers `partybuilding.tasks`: each room's tasks module is imported here so the
worker knows every task of partybuilding/."""

from partybuilding.orglife.tasks import orglife_gaps_remind
from partybuilding.training.tasks import training_shortfalls_notify

__all__ = ["orglife_gaps_remind", "training_shortfalls_notify"]
