"""Training: courses, the hours each member completed, and the yearly hours each must reach."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partybuilding.organisations.models import PartyMember
from partybuilding.training.querysets import (
    TrainingCourseQuerySet,
    TrainingRecordQuerySet,
    TrainingThresholdQuerySet,
)
from portal.models import SyncedModel

POSITIVE_HOURS = [MinValueValidator(Decimal("0.1"))]


class TrainingCourse(SyncedModel):
    """培训 — a course on a topic such as 矛盾纠纷化解 or 党务, online or in person, for so many hours."""

    class Topic(models.TextChoices):
        DISPUTE_MEDIATION = "dispute_mediation", _("Dispute mediation")
        PARTY_AFFAIRS = "party_affairs", _("Party affairs")
        GRID_WORK = "grid_work", _("Grid work")
        THEORY = "theory", _("Theory")
        OTHER = "other", _("Other")

    class Mode(models.TextChoices):
        ONLINE = "online", _("Online")
        IN_PERSON = "in_person", _("In person")

    title = models.CharField(_("title"), max_length=100)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    hours = models.DecimalField(
        _("hours"), max_digits=5, decimal_places=1, validators=POSITIVE_HOURS
    )
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.IN_PERSON)
    held_on = models.DateField(_("held on"))
    provider = models.CharField(_("provider"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    objects = TrainingCourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        ordering = ["-held_on", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="training_course_hours"),
        ]

    def __str__(self):
        return self.title


class TrainingRecord(models.Model):
    """培训记录 — one member's completion of a course, for the course's hours or fewer."""

    course = models.ForeignKey(
        TrainingCourse, verbose_name=_("course"), on_delete=models.PROTECT, related_name="records"
    )
    member = models.ForeignKey(
        PartyMember,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="training_records",
    )
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=1,
        validators=POSITIVE_HOURS,
        blank=True,
        help_text=_("Empty: the course's hours."),
    )
    completed_on = models.DateField(_("completed on"))

    objects = TrainingRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["-completed_on", "-id"]
        indexes = [models.Index(fields=["member", "completed_on"], name="party_training_member")]
        constraints = [
            models.UniqueConstraint(fields=["course", "member"], name="training_record_once"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="training_record_hours"),
        ]

    def __str__(self):
        return f"{self.member} · {self.course}"

    def clean(self):
        errors = {}
        if self.course_id:
            if self.hours is None:
                self.hours = self.course.hours
            elif self.hours > self.course.hours:
                errors["hours"] = _("A record counts at most the course's hours.")
            if self.completed_on and self.completed_on < self.course.held_on:
                errors["completed_on"] = _("A course is completed on or after the day it starts.")
        if errors:
            raise ValidationError(errors)


class TrainingThreshold(SyncedModel):
    """年度学时要求 — the yearly training hours a member (32 h) or a secretary (56 h) must reach.

    Configurable by the street; the defaults come from a data migration.
    """

    class Position(models.TextChoices):
        MEMBER = "member", _("Party member")
        SECRETARY = "secretary", _("Branch secretary")

    position = models.CharField(_("position"), max_length=16, choices=Position.choices, unique=True)
    yearly_hours = models.DecimalField(
        _("yearly hours"), max_digits=5, decimal_places=1, validators=POSITIVE_HOURS
    )

    objects = TrainingThresholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("training threshold")
        verbose_name_plural = _("training thresholds")
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(yearly_hours__gt=0), name="training_threshold_hours"
            ),
        ]

    def __str__(self):
        return f"{self.get_position_display()} · {self.yearly_hours} h"
