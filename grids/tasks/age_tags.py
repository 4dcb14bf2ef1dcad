"""Age-derived tags, daily. A thin shim: grids.age_tags does the work, once per date."""

from celery import shared_task
from django.utils import timezone

from grids import age_tags


@shared_task(name="grids.age_tags_refresh")
def age_tags_refresh() -> dict:
    """Add 60+/80+/minor tags to those who reached the age, end them for those who left it."""
    return age_tags.age_tags_refresh(today=timezone.localdate())
