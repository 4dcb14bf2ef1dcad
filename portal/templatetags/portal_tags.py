from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes(value) -> int:
    """Whole minutes of a timedelta (the lockout page says how long to wait)."""
    if isinstance(value, timedelta):
        return int(value.total_seconds() // 60)
    return 0
