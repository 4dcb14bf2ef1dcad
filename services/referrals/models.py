"""Referrals (转介) and their history; the state machine lives in services/referrals.py."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.querysets import ScopedQuerySet
from portal.roles import STREET_ROLES, Role
from services.catalogue.models import Partner, ServiceItem, partners_of, residents_in_scope


class ReferralQuerySet(ScopedQuerySet):
    """Street roles: all; community and grid staff: referrals of residents in their scope;
    partner staff: referrals addressed to their organisation, and only those."""

    def scoped_for(self, user):
        if user.role in STREET_ROLES:
            return self.all()
        if user.role == Role.PARTNER_STAFF:
            return self.filter(partner__in=partners_of(user))
        return self.filter(resident__in=residents_in_scope(user))


class Referral(models.Model):
    """转介 — one resident's need brought to a partner, followed until the loop is closed.

    Its states and who may move it between them are in services/referrals.py (one table).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ASSIGNED = "assigned", _("Assigned to a partner")
        ACCEPTED = "accepted", _("Accepted by the partner")
        DECLINED = "declined", _("Declined by the partner")
        IN_SERVICE = "in_service", _("In service")
        COMPLETED = "completed", _("Completed")
        FOLLOWED_UP = "followed_up", _("Followed up")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")
        ESCALATED = "escalated", _("Escalated (deadline missed)")

    class ConsentBy(models.TextChoices):
        RESIDENT = "resident", _("The resident")
        GUARDIAN = "guardian", _("The guardian")

    resident = models.ForeignKey(
        "grids.Resident",
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    service_item = models.ForeignKey(
        ServiceItem, verbose_name=_("service"), on_delete=models.PROTECT, related_name="referrals"
    )
    need = models.ForeignKey(
        "grids.VisitNeed",
        verbose_name=_("need raised in a visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    description = models.TextField(_("what is needed"), blank=True)
    consent_by = models.CharField(
        _("consent given by"), max_length=16, choices=ConsentBy.choices, blank=True
    )
    consent_guardian_name = models.CharField(_("guardian's name"), max_length=64, blank=True)
    consent_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True)
    stage_deadline = models.DateTimeField(_("deadline of the current stage"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("resident's satisfaction (1–5)"), null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["partner", "status"], name="referral_partner_status"),
            # The lists' order: a page of 20 reads 20 index entries, not every referral sorted
            # (bench: 61 → 0.2 ms at 20,000 referrals).
            models.Index(fields=["-created_at", "-id"], name="referral_newest_first"),
        ]

    def __str__(self):
        return f"{self.resident} · {self.service_item}"


class ReferralEvent(models.Model):
    """转介记录 — one transition in a referral's history: who moved it, from where, to where, why."""

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("from"), max_length=16, choices=Referral.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=Referral.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The partner the referral was with at this step (who declined, who accepted)."),
    )
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        ordering = ["referral", "at", "id"]

    def __str__(self):
        return f"{self.referral_id}: {self.from_status} → {self.to_status}"


class FollowUpTaskQuerySet(ScopedQuerySet):
    """Follow-ups are the local staff's work: the street sees all, partners none."""

    def scoped_for(self, user):
        if user.role in STREET_ROLES:
            return self.all()
        if user.role == Role.PARTNER_STAFF:
            return self.none()
        return self.filter(referral__resident__in=residents_in_scope(user))


class FollowUpTask(models.Model):
    """回访任务 — checking with the resident after a completed service, due by a date.

    Opened when the partner completes the referral, assigned to the resident's grid worker,
    done when the referral is closed with its outcome and the resident's satisfaction.
    """

    referral = models.OneToOneField(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="follow_up"
    )
    due_on = models.DateField(_("due on"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = FollowUpTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["done_at", "due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"],
                name="followup_due_open",
                condition=models.Q(done_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.referral} · {self.due_on}"
