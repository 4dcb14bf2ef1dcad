"""Themed activities (主题活动): science classes, homework help, volunteer events."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import SyncedModel
from services.activities.querysets import ActivityQuerySet
from services.catalogue.models import Partner, ServiceItem


class Activity(SyncedModel):
    """主题活动 — a themed activity run by a team for a target group, with who came and how many
    volunteer hours it took."""

    class Theme(models.TextChoices):
        SCIENCE_CLASS = "science_class", _("Science class")
        HOMEWORK_HELP = "homework_help", _("Homework help")
        VOLUNTEER_EVENT = "volunteer_event", _("Volunteer event")
        HEALTH_TALK = "health_talk", _("Health talk")
        CULTURE = "culture", _("Culture and sport")
        OTHER = "other", _("Other")

    title = models.CharField(_("title"), max_length=100)
    theme = models.CharField(_("theme"), max_length=16, choices=Theme.choices)
    target_group = models.CharField(
        _("target group"), max_length=16, choices=ServiceItem.Group.choices
    )
    community = models.ForeignKey(
        "grids.Region",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("team (partner)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    team_name = models.CharField(_("team"), max_length=100)
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    volunteer_count = models.PositiveIntegerField(_("volunteers"), default=0)
    volunteer_hours = models.DecimalField(
        _("volunteer hours"),
        max_digits=8,
        decimal_places=1,
        default=0,
        validators=[MinValueValidator(Decimal("0"))],
    )
    attendees = models.ManyToManyField(
        "grids.Resident",
        verbose_name=_("attendees"),
        through="ActivityAttendance",
        related_name="activities",
        blank=True,
    )
    extra_attendees = models.PositiveIntegerField(
        _("other attendees (not in the registry)"), default=0
    )
    summary = models.TextField(_("summary"), blank=True)
    capacity = models.PositiveIntegerField(
        _("places"),
        null=True,
        blank=True,
        help_text=_("How many residents may enrol beforehand; empty: no limit."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(volunteer_hours__gte=0), name="activity_volunteer_hours"
            ),
        ]

    def __str__(self):
        return self.title


class ActivityAttendance(models.Model):
    """参加记录 — one registered resident at one activity."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="attendance"
    )
    resident = models.ForeignKey(
        "grids.Resident", verbose_name=_("resident"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "resident"], name="activity_attendance_once"
            )
        ]

    def __str__(self):
        return f"{self.activity_id} · {self.resident_id}"


class ActivityEnrolment(models.Model):
    """报名 — a registered resident enrolled before the activity (by local or street staff)."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="enrolments"
    )
    resident = models.ForeignKey(
        "grids.Resident", verbose_name=_("resident"), on_delete=models.PROTECT, related_name="+"
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("enrolled by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now)

    class Meta:
        verbose_name = _("activity enrolment")
        verbose_name_plural = _("activity enrolments")
        ordering = ["enrolled_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "resident"], name="activity_enrol_once")
        ]

    def __str__(self):
        return f"{self.activity_id} · {self.resident_id}"
