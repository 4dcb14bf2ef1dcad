"""Who works where: posts in grids over time, and the object grants that give jurisdiction.

The grants are django-guardian object permissions with direct foreign keys (joinable,
index-backed): `grids.work_in_region` on a community or street, `grids.work_in_grid` on a grid,
`grids.view_resident` on one shared case.
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from grids.models.areas import Grid, Region
from grids.models.residents import Resident
from grids.querysets import GridAssignmentQuerySet
from portal.models import SyncedModel


class GridAssignment(SyncedModel):
    """网格员配置 — a person's post in a grid for a period; history is kept, never rewritten."""

    class Post(models.TextChoices):
        LEADER = "leader", _("Grid leader")
        FULL_TIME = "full_time", _("Full-time grid worker")
        PART_TIME = "part_time", _("Part-time grid worker")
        INSTRUCTOR = "instructor", _("Grid instructor")
        MICRO_LEADER = "micro_leader", _("Micro-grid leader")

    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="assignments"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="grid_assignments",
    )
    post = models.CharField(_("post"), max_length=16, choices=Post.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"), null=True, blank=True)

    objects = GridAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("grid assignment")
        verbose_name_plural = _("grid assignments")
        ordering = ["grid", "start_date"]

    def __str__(self):
        return f"{self.grid} · {self.person} · {self.get_post_display()}"

    def clean(self):
        start, end = self.start_date, self.end_date
        if isinstance(start, date) and isinstance(end, date) and end < start:
            raise ValidationError({"end_date": _("An assignment cannot end before it starts.")})


class RegionUserObjectPermission(UserObjectPermissionBase):
    """A community cadre's grant on their community."""

    content_object = models.ForeignKey(Region, on_delete=models.CASCADE)


class GridUserObjectPermission(UserObjectPermissionBase):
    """A grid worker's or grid leader's grant on a grid."""

    content_object = models.ForeignKey(Grid, on_delete=models.CASCADE)


class ResidentUserObjectPermission(UserObjectPermissionBase):
    """One case shared with one person."""

    content_object = models.ForeignKey(Resident, on_delete=models.CASCADE)
