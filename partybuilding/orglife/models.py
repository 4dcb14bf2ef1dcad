"""Organisational life (三会一课, 主题党日): meetings, attendance and how often each kind is due."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partybuilding.organisations.models import PartyMember, PartyOrg
from partybuilding.orglife.querysets import (
    MeetingAttendanceQuerySet,
    MeetingRequirementQuerySet,
    OrgLifeMeetingQuerySet,
)
from portal.models import SyncedModel


class MeetingKind(models.TextChoices):
    """The kinds of 三会一课 and the monthly theme day."""

    BRANCH_COMMITTEE = "branch_committee", _("Branch committee meeting")
    GROUP_MEETING = "group_meeting", _("Party group meeting")
    GENERAL_ASSEMBLY = "general_assembly", _("General assembly of members")
    PARTY_LECTURE = "party_lecture", _("Party lecture")
    THEME_DAY = "theme_day", _("Theme Party day")


# A building Party group (党小组) has neither a committee nor an assembly of its own.
GROUP_MEETING_KINDS = frozenset(
    {MeetingKind.GROUP_MEETING, MeetingKind.PARTY_LECTURE, MeetingKind.THEME_DAY}
)


class OrgLifeMeeting(SyncedModel):
    """组织生活会议 — one meeting of 三会一课 or a 主题党日: date, topic, minutes, attendance."""

    Kind = MeetingKind

    org = models.ForeignKey(
        PartyOrg,
        verbose_name=_("Party organisation"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MeetingKind.choices)
    held_on = models.DateField(_("held on"))
    topic = models.CharField(_("topic"), max_length=200)
    place = models.CharField(_("place"), max_length=100, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    attendees = models.ManyToManyField(
        PartyMember,
        verbose_name=_("attendees"),
        through="MeetingAttendance",
        related_name="meetings",
        blank=True,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    objects = OrgLifeMeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisational life meeting")
        verbose_name_plural = _("organisational life meetings")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["org", "kind", "held_on"], name="party_meeting_org_kind")]

    def __str__(self):
        return f"{self.org} · {self.get_kind_display()} · {self.held_on}"

    def clean(self):
        errors = {}
        if self.held_on and self.held_on > timezone.localdate():
            errors["held_on"] = _("Record a meeting once it has been held.")
        if self.org_id:
            org = self.org
            if org.kind == PartyOrg.Kind.BUILDING_GROUP and self.kind not in GROUP_MEETING_KINDS:
                errors["kind"] = _("A Party group holds group meetings, lectures and theme days.")
            if self.held_on and org.founded_on and self.held_on < org.founded_on:
                errors["held_on"] = _("The organisation was not founded yet.")
            if self.held_on and org.dissolved_on and self.held_on > org.dissolved_on:
                errors["held_on"] = _("The organisation was dissolved by then.")
        if errors:
            raise ValidationError(errors)


class MeetingAttendance(models.Model):
    """出席记录 — one member at one meeting: present, excused or absent."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        EXCUSED = "excused", _("Excused")
        ABSENT = "absent", _("Absent")

    meeting = models.ForeignKey(
        OrgLifeMeeting,
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="attendance",
    )
    member = models.ForeignKey(
        PartyMember,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="attendance",
    )
    status = models.CharField(
        _("attendance"), max_length=16, choices=Status.choices, default=Status.PRESENT
    )

    objects = MeetingAttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting attendance")
        verbose_name_plural = _("meeting attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="meeting_attendance_once")
        ]

    def __str__(self):
        return f"{self.member} · {self.get_status_display()}"

    def clean(self):
        # A member attends the meetings of their own organisation, of an organisation above it
        # (a branch's assembly for a member of one of its groups) or below it (a group meeting).
        if self.meeting_id and self.member_id:
            meeting_path, member_path = self.meeting.org.path, self.member.org.path
            if not (member_path.startswith(meeting_path) or meeting_path.startswith(member_path)):
                raise ValidationError({"member": _("The member belongs to another organisation.")})


class MeetingRequirement(models.Model):
    """组织生活频次要求 — how often a kind of meeting is due, for one kind of organisation or any.

    Configurable by the street; the defaults (a data migration) are 支委会, 党小组会 and 主题党日
    monthly, 党员大会 and 党课 quarterly. An empty organisation kind means any kind; it is ""
    rather than NULL so that (kind, any) is unique too.
    """

    class Period(models.TextChoices):
        MONTH = "month", _("Monthly")
        QUARTER = "quarter", _("Quarterly")

    kind = models.CharField(_("meeting kind"), max_length=20, choices=MeetingKind.choices)
    org_kind = models.CharField(
        _("organisation kind"),
        max_length=20,
        choices=PartyOrg.Kind.choices,
        blank=True,
        default="",
        help_text=_("Empty: every kind of organisation."),
    )
    period = models.CharField(_("at least once per"), max_length=16, choices=Period.choices)

    objects = MeetingRequirementQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting requirement")
        verbose_name_plural = _("meeting requirements")
        ordering = ["kind", "org_kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "org_kind"], name="meeting_requirement_once")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_period_display()}"
