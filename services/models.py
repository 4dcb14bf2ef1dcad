"""Partner organisations that serve residents (the rest of services/ builds on them)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from portal.querysets import ScopedQuerySet, objects_granted
from portal.roles import STREET_ROLES, Role
from portal.validators import uscc_normalize, validate_uscc


class PartnerQuerySet(ScopedQuerySet):
    """Street roles see every partner; partner staff only their own organisation."""

    def scoped_for(self, user):
        if user.role in STREET_ROLES:
            return self.all()
        if user.role == Role.PARTNER_STAFF:
            return self.filter(pk__in=objects_granted(user, "services.act_for_partner", self.model))
        return self.none()


class Partner(models.Model):
    """合作单位 — an outside organisation that delivers services under an agreement."""

    class Kind(models.TextChoices):
        CLINIC = "clinic", _("Hospital or clinic")
        HOUSEKEEPING = "housekeeping", _("Housekeeping firm")
        SOCIAL_ORG = "social_org", _("Social organisation")
        FOUNDATION = "foundation", _("Charity foundation")
        SCHOOL = "school", _("School")
        VOLUNTEER_TEAM = "volunteer_team", _("Volunteer team")
        COUNSELLING = "counselling", _("Counselling organisation")

    name = models.CharField(_("name"), max_length=100)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    agreement_start = models.DateField(_("agreement from"), null=True, blank=True)
    agreement_end = models.DateField(_("agreement to"), null=True, blank=True)
    dpa_signed = models.BooleanField(_("data-processing agreement signed"), default=False)

    objects = PartnerQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        ordering = ["name"]
        permissions = [("act_for_partner", _("Acts for this partner organisation"))]

    def __str__(self):
        return self.name

    def clean(self):
        if self.uscc:
            self.uscc = uscc_normalize(self.uscc)


class PartnerUserObjectPermission(UserObjectPermissionBase):
    """A partner staff member's grant on their organisation."""

    content_object = models.ForeignKey(Partner, on_delete=models.CASCADE)


class ServiceItem(models.Model):
    """服务目录 — one service the street can broker, who may have it, and who provides it."""

    class Group(models.TextChoices):
        ELDERLY = "elderly", _("Elderly (一老)")
        CHILD = "child", _("Children (一幼)")
        SPECIAL = "special", _("Special hardship (一特)")

    class Category(models.TextChoices):
        FAMILY_DOCTOR = "family_doctor", _("Family doctor contract")
        MEAL = "meal", _("Meal assistance")
        CLEANING = "cleaning", _("Cleaning assistance")
        SCIENCE_CLASS = "science_class", _("Science class")
        HOMEWORK_HELP = "homework_help", _("Homework help")
        COUNSELLING = "counselling", _("Counselling")
        AID = "aid", _("Targeted aid")
        ACTIVITY = "activity", _("Volunteer activity")

    class Unit(models.TextChoices):
        VISIT = "visit", _("visit")
        MEAL = "meal", _("meal")
        HOUR = "hour", _("hour")
        YUAN = "yuan", _("yuan")

    name = models.CharField(_("name"), max_length=100, unique=True)
    group = models.CharField(_("group"), max_length=16, choices=Group.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    eligibility_rule = models.CharField(
        _("eligibility rule"),
        max_length=300,
        blank=True,
        help_text=_(
            "Tag codes joined with and / or / not and parentheses, e.g. elderly_80 or (living_alone and dibao)."
        ),
    )
    subsidy = models.DecimalField(
        _("subsidy per unit (yuan)"), max_digits=8, decimal_places=2, default=0
    )
    partners = models.ManyToManyField(
        Partner, verbose_name=_("provided by"), related_name="service_items", blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["group", "category", "name"]

    def __str__(self):
        return self.name


class ReferralQuerySet(ScopedQuerySet):
    """Street roles: all; community and grid staff: referrals of residents in their scope;
    partner staff: referrals addressed to their organisation, and only those."""

    def scoped_for(self, user):
        from grids.models import Resident

        if user.role in STREET_ROLES:
            return self.all()
        if user.role == Role.PARTNER_STAFF:
            partners = objects_granted(user, "services.act_for_partner", Partner)
            return self.filter(partner__in=partners)
        return self.filter(resident__in=Resident.objects.scoped_for(user).values("pk"))


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
        indexes = [models.Index(fields=["partner", "status"], name="referral_partner_status")]

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
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        ordering = ["referral", "at", "id"]

    def __str__(self):
        return f"{self.referral_id}: {self.from_status} → {self.to_status}"
