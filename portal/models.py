"""The foundation's models: users, audit events, notifications, API tokens, scheduled runs."""

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.roles import GRID_ROLES, STREET_ROLES, Role


class UserQuerySet(models.QuerySet):
    """Who to tell: the active people of a role (recipients of notifications and digests)."""

    def street_staff(self):
        return self.filter(role__in=STREET_ROLES, is_active=True)

    def community_cadres(self):
        return self.filter(role=Role.COMMUNITY_CADRE, is_active=True)

    def grid_staff(self):
        return self.filter(role__in=GRID_ROLES, is_active=True)


class PortalUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """用户 — one person (or one district integration) with exactly one role.

    The role says what kinds of objects the user may act on; the user's jurisdiction (a
    community, grids, a partner organisation, single shared cases) is held as object grants
    (django-guardian) and read by each model's `visible_to()`.
    """

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    objects = PortalUserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"
        permissions = [
            ("reveal_sensitive", _("Can reveal a masked ID number or phone, giving a reason")),
            ("export_unmasked", _("Can export ID numbers and phones unmasked")),
        ]

    def __str__(self):
        return self.full_name or self.username

    def get_full_name(self):
        return self.full_name or super().get_full_name() or self.username

    def get_short_name(self):
        return self.full_name or self.username

    # --- Role predicates: the only place a role is compared (policy gates and querysets ask
    # these, never `user.role == ...`). Superusers are not any role: gates let them through
    # explicitly where they should.

    @property
    def is_street_staff(self) -> bool:
        """Street administrator or street cadre: the whole street in view."""
        return self.role in STREET_ROLES

    @property
    def is_street_admin(self) -> bool:
        return self.role == Role.STREET_ADMIN

    @property
    def is_community_cadre(self) -> bool:
        return self.role == Role.COMMUNITY_CADRE

    @property
    def is_grid_staff(self) -> bool:
        """Grid leader or grid worker."""
        return self.role in GRID_ROLES

    @property
    def is_grid_leader(self) -> bool:
        return self.role == Role.GRID_LEADER

    @property
    def is_local_staff(self) -> bool:
        """Community and grid staff: the side that knows the resident and raises a referral."""
        return self.is_community_cadre or self.is_grid_staff

    @property
    def is_partner_staff(self) -> bool:
        return self.role == Role.PARTNER_STAFF

    @property
    def is_party_officer(self) -> bool:
        return self.role == Role.PARTY_OFFICER

    @property
    def is_party_member(self) -> bool:
        """A Party member's own login (双报到 hours, own records; a branch secretary too)."""
        return self.role == Role.PARTY_MEMBER

    @property
    def is_integration(self) -> bool:
        """A district integration: an API client, never a person at a browser."""
        return self.role == Role.INTEGRATION

    def acts_for(self, partner) -> bool:
        """Whether this is a partner-staff account bound to `partner` (its one organisation)."""
        if not self.is_partner_staff or partner is None:
            return False
        from portal.querysets import jurisdiction_holds

        return jurisdiction_holds(user=self, perm="services.act_for_partner", obj=partner)


class AuditQuerySet(models.QuerySet):
    """Audit events are append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise PermissionError("audit events cannot be changed")

    def delete(self):
        raise PermissionError("audit events cannot be deleted")


class AuditEvent(models.Model):
    """审计日志 — who did what to which object, when, from where, with what outcome.

    Written by portal.audit.audit_record only; never changed or deleted by the application
    (a database trigger on PostgreSQL refuses UPDATE and DELETE as well).
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("success")
        FAILURE = "failure", _("failure")
        DENIED = "denied", _("denied")

    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), null=True, blank=True, on_delete=models.PROTECT
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=256, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS
    )
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events cannot be deleted")


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user, action="view"):
        """Everyone sees their own notifications, and only those."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """站内通知 — an in-app message to one user, sent at most once per `dedup_key`.

    Reminders pass a key such as `visit-overdue:<resident>:<due date>`: however often beat
    fires, the unique constraint lets exactly one row exist.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    dedup_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedup_key"],
                condition=~models.Q(dedup_key=""),
                name="notification_once_per_key",
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.title

    @property
    def is_read(self):
        return self.read_at is not None


class ApiTokenQuerySet(models.QuerySet):
    def active(self, *, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    """接口令牌 — the one live token of a district integration, stored as a SHA-256 hash.

    Tokens are 256-bit random strings, so a fast hash is enough (no password stretching);
    the clear token is shown once when issued. Issuing a new one revokes the old one.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("client account"),
        on_delete=models.PROTECT,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(_("key prefix"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_token_per_client",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def is_active(self):
        return self.revoked_at is None and self.expires_at > timezone.now()


class ScheduledRun(models.Model):
    """定时任务执行记录 — one row per periodic task and time slot.

    A task inserts its row in the same transaction as its work: a second delivery of the same
    slot (beat fired twice, a worker retried) hits the unique constraint and does nothing; a
    run that fails rolls its row back and may be retried.
    """

    task = models.CharField(_("task"), max_length=200)
    slot = models.CharField(_("slot"), max_length=64)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["task", "slot"], name="scheduled_run_once_per_slot")
        ]

    def __str__(self):
        return f"{self.task} @ {self.slot}"
