"""The foundation's models: users, audit events, notifications, API tokens, scheduled runs."""

import hashlib
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from portal.fields import EncryptedCharField
from portal.roles import GRID_ROLES, STREET_ROLES, Role
from portal.validators import webhook_target_refusal


@cache
def _choice_labels(field) -> dict:
    """{value: label} of a field whose choices are fixed in code (every choices field here)."""
    return dict(field.flatchoices)


class ChoiceLabels:
    """`get_FOO_display()` from a table built once per field.

    Django's builds `dict(make_hashable(field.flatchoices))` on every call, hashing each
    translatable label (a gettext per choice): a list page showing a status on each of its 20
    rows paid it 20 times over a dozen labels. The label is still the lazy one, translated
    when shown, in the language of the request; a value that is not a choice shows as itself.
    """

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            label = _choice_labels(field).get(value, value)
        except TypeError:  # an unhashable value (a list): Django's own way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)


class SyncedModel(ChoiceLabels, models.Model):
    """A model district systems sync incrementally (`?updated_since=` on its API list):
    `updated_at` moves on every save, including a save of a few fields (`update_fields`).
    QuerySet.update() and bulk_update() bypass save(): callers include `updated_at`."""

    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is not None:
            update_fields = {*update_fields, "updated_at"}
        super().save(*args, update_fields=update_fields, **kwargs)


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
    # Someone else chose the password (a new account, a reset by the street administrator, the
    # Django admin): the person chooses their own before anything else (portal/password_change.py).
    password_change_required = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_(
            "The password was chosen by someone else: the person must choose their own at the "
            "next sign-in."
        ),
    )
    password_changed_at = models.DateTimeField(
        _("password changed"), null=True, blank=True, editable=False
    )

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
    (a database trigger on PostgreSQL refuses UPDATE and DELETE as well). After the retention
    period (AUDIT_RETENTION_MONTHS, at least 6) events move to verified archive files
    (AuditArchive, portal/audit_archive.py): the only DELETE the trigger lets through.
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


class AuditArchive(models.Model):
    """审计归档 — one file of audit events older than the retention period, moved out of the
    table: gzip-compressed JSON lines under AUDIT_ARCHIVE_DIR, with their SHA-256.

    Written by portal.audit_archive only. The events it holds are deleted from the table only
    after the file was read back and verified (`verified_at`); the database trigger on
    portal_auditevent refuses any DELETE that no verified archive covers.
    """

    created_at = models.DateTimeField(_("archived at"), default=timezone.now, editable=False)
    cutoff = models.DateTimeField(_("events before"))
    first_event_id = models.BigIntegerField(_("first event"))
    last_event_id = models.BigIntegerField(_("last event"))
    event_count = models.PositiveIntegerField(_("events"))
    file_name = models.CharField(_("file"), max_length=200, unique=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    deleted_count = models.PositiveIntegerField(_("events removed from the table"), default=0)

    class Meta:
        verbose_name = _("audit archive")
        verbose_name_plural = _("audit archives")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.file_name


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
    # What the notification is about (a referral, a contract, ...): its page is `url`.
    object_type = models.ForeignKey(
        ContentType,
        verbose_name=_("object type"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    object_id = models.PositiveBigIntegerField(_("object id"), null=True, blank=True)
    object = GenericForeignKey("object_type", "object_id")
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


# Resource groups an API token may be limited to (docs/api.md, "Token scopes"); each API route
# belongs to one (portal/api/scopes.py). A token's `scopes` maps a group (or "*", every group)
# to "read" or "write"; write implies read.
API_SCOPE_GROUPS = (
    "registry",
    "visits",
    "services",
    "deliveries",
    "partybuilding",
    "reporting",
    "webhooks",
)
API_SCOPE_LEVELS = ("read", "write")


def api_token_full_scopes() -> dict:
    """Read-write on every group: what tokens issued before scopes existed keep."""
    return {"*": "write"}


def api_token_scopes_validate(scopes) -> None:
    """`{group or "*": "read" | "write"}`, at least one entry."""
    from django.core.exceptions import ValidationError

    if not isinstance(scopes, dict) or not scopes:
        raise ValidationError({"scopes": _("Give at least one resource group and its access.")})
    for group, level in scopes.items():
        if group != "*" and group not in API_SCOPE_GROUPS:
            raise ValidationError(
                {"scopes": _("Unknown resource group %(group)s.") % {"group": group}}
            )
        if level not in API_SCOPE_LEVELS:
            raise ValidationError(
                {"scopes": _("Access must be read or write, not %(level)s.") % {"level": level}}
            )


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
    # {"registry": "read", "visits": "write"}; {"*": "write"} (the default) is every group.
    scopes = models.JSONField(
        _("scopes"),
        default=api_token_full_scopes,
        validators=[api_token_scopes_validate],
        help_text=_('Resource groups and access, e.g. {"registry": "read", "visits": "write"}.'),
    )

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

    def allows(self, group: str, *, write: bool) -> bool:
        """Whether this token may read (or write) the resources of `group`."""
        scopes = self.scopes or {}
        level = scopes.get(group) or scopes.get("*")
        if level is None:
            return False
        return level == "write" or not write


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


class ScopeGeneration(models.Model):
    """One row, one number: how many committed changes of scope the portal has seen.

    Every write that can change what someone sees (grants, regions, grids, assignments,
    ungridded households) adds one to it in its own transaction (portal/scope_cache.py), so
    the number another process reads moves exactly when the change becomes visible to it —
    not before the commit, and not at all when the change is rolled back. A scope resolved
    under one number is reused while the number stays the same.
    """

    ROW_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ROW_ID)
    generation = models.BigIntegerField(_("generation"), default=0)

    class Meta:
        verbose_name = _("scope generation")
        verbose_name_plural = _("scope generation")

    def __str__(self):
        return str(self.generation)


# --- District integrations: idempotent POSTs, webhooks fed by an outbox ----------------------


class IdempotencyKey(models.Model):
    """幂等键 — one `Idempotency-Key` of one principal: the first request's fingerprint and,
    once it has finished, its status and body (a replay answers them and writes nothing).

    The row is inserted, in its own transaction, before the view runs: the unique constraint
    lets only one request with the key run. `status_code` is null while it is in flight.
    Rows expire after `IDEMPOTENCY_KEY_HOURS` and are purged by beat.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    body = models.JSONField(_("body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")
        ]

    def __str__(self):
        return f"{self.user_id}:{self.key}"


class WebhookEvent(models.TextChoices):
    """The events a district system may subscribe to."""

    REFERRAL_CREATED = "referral.created", _("Referral created")
    REFERRAL_STATE_CHANGED = "referral.state_changed", _("Referral state changed")
    VISIT_FILED = "visit.filed", _("Visit filed")
    REPORT_TASK_CREATED = "report_task.created", _("Reporting task created")
    REPORT_TASK_STATE_CHANGED = "report_task.state_changed", _("Reporting task state changed")


class WebhookSubscriptionQuerySet(models.QuerySet):
    def visible_to(self, user, action="view"):
        """Each client sees and manages its own subscriptions only."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if not user.has_perm(f"portal.{action}_webhooksubscription"):
            return self.none()
        return self.filter(owner=user)


class WebhookSubscription(models.Model):
    """订阅 — a district system's URL that receives the events it chose, signed with its secret.

    The owner's scope decides which events reach it: an event about an object the owner may
    not see is never delivered to it.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
    )
    token = models.ForeignKey(
        ApiToken,
        verbose_name=_("created with token"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = EncryptedCharField(_("signing secret"))
    event_types = models.JSONField(_("event types"), default=list)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = WebhookSubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.url

    def clean(self):
        from django.core.exceptions import ValidationError

        if not isinstance(self.event_types, list) or not self.event_types:
            raise ValidationError({"event_types": _("Choose at least one event type.")})
        unknown = sorted(set(self.event_types) - set(WebhookEvent.values))
        if unknown:
            raise ValidationError(
                {"event_types": _("Unknown event type %(type)s.") % {"type": unknown[0]}}
            )
        refusal = webhook_target_refusal(self.url, allowed_hosts=settings.WEBHOOK_ALLOWED_HOSTS)
        if refusal:
            raise ValidationError({"url": refusal})


class OutboxEvent(models.Model):
    """发件箱 — an event written in the same transaction as the change it reports.

    A rolled-back write leaves no event; a committed one always has its event, which the
    dispatcher fans out to the subscriptions whose owner may see the object.
    """

    event_id = models.UUIDField(_("event id"), unique=True, editable=False)
    type = models.CharField(_("type"), max_length=40, choices=WebhookEvent.choices)
    model = models.CharField(_("model"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(dispatched_at__isnull=True),
                name="outbox_undispatched",
            )
        ]

    def __str__(self):
        return f"{self.type} {self.object_id}"


class WebhookDelivery(models.Model):
    """投递记录 — one event to one subscription: each attempt counted, until it is delivered
    (a 2xx) or given up after `WEBHOOK_MAX_ATTEMPTS`."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        OutboxEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("last status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhook_delivery_once_per_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due",
            )
        ]

    def __str__(self):
        return f"{self.event} → {self.subscription}"
