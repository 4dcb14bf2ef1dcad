"""Writes of the foundation: marking notifications read, API tokens. Each opens with its gate.

Notifications, grants and once-per-slot runs are primitives that other writes compose:
portal/notifications.py, portal/grants.py, portal/schedules.py.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import (
    ApiToken,
    AuditEvent,
    Notification,
    User,
    WebhookSubscription,
    api_token_full_scopes,
    api_token_scopes_validate,
)
from portal.passwords import CharacterClassesValidator
from portal.policy import (
    access_account_password_reset,
    access_api_token_issue,
    access_api_token_revoke,
    access_integration_account_create,
    access_notifications_mark_read,
    access_password_change,
    access_person_account_create,
    access_webhook_subscription_change,
    access_webhook_subscription_create,
    access_webhook_subscription_delete,
)
from portal.roles import PERSON_ROLES, Role

# --- Notifications -------------------------------------------------------------------------


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ids among them) as read."""
    access_notifications_mark_read(user)
    queryset = Notification.objects.visible_to(user).unread()
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())


# --- Integration accounts ------------------------------------------------------------------


def integration_account_create(*, actor, username: str, full_name: str) -> User:
    """Open the account of a district integration (role `integration`, no password: it signs
    in with its API token only). Its jurisdiction is granted separately."""
    access_integration_account_create(actor)
    account = User(username=username.strip(), full_name=full_name.strip(), role=Role.INTEGRATION)
    account.set_unusable_password()
    with transaction.atomic():
        account.full_clean()
        account.save()
        audit_record(
            actor=actor,
            action="integration_account.create",
            obj=account,
            details={"username": account.username},
        )
    return account


def person_account_create(
    *, actor, username: str, full_name: str, role: str, phone: str = ""
) -> tuple[User, str]:
    """Open a person's account with a random initial password, returned to be handed over
    once (only its hash is stored)."""
    access_person_account_create(actor)
    if role not in PERSON_ROLES:
        raise ValidationError({"role": _("Choose the role of a person.")})
    password = _initial_password()
    account = User(
        username=username.strip(), full_name=full_name.strip(), phone=phone.strip(), role=role
    )
    account.set_password(password)
    account.password_change_required = True  # the person chooses their own at first sign-in
    with transaction.atomic():
        account.full_clean()
        account.save()
        audit_record(
            actor=actor,
            action="account.create",
            obj=account,
            details={"username": account.username, "role": role},
        )
    return account, password


# --- Passwords -----------------------------------------------------------------------------


# Letters and digits that cannot be mistaken for one another when a password is read out or
# copied from a note: no 0/O/o, 1/l/I, 5/S/s, 2/Z/z, nor - and _.
_HANDOVER_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYabcdefghijkmnpqrtuvwxy346789"


def _initial_password() -> str:
    """A password to hand over once: 12 characters of an alphabet without look-alikes (67
    bits), never all of one class. The person replaces it at first sign-in."""
    while True:
        password = "".join(secrets.choice(_HANDOVER_ALPHABET) for _ in range(12))
        if CharacterClassesValidator().classes(password) >= 3:
            return password


def password_change(*, actor, old_password: str, new_password: str) -> User:
    """The person's own new password.

    The current password must be given: a session left open on a shared computer must not be
    enough to lock its owner out. A wrong one is audited (and the page counts it towards the
    account's login lockout, as a wrong two-factor code). The new password passes AUTH_PASSWORD_VALIDATORS (等保: 8 characters, three
    classes, not a common one, not like the username) and differs from the current one.

    Every other session of the account ends with the change (Django checks a hash of the
    password on each request); the page keeps its own with `update_session_auth_hash`.
    """
    access_password_change(actor)
    if not actor.check_password(old_password):
        audit_record(
            actor=actor,
            action="account.password_change",
            obj=actor,
            outcome=AuditEvent.Outcome.FAILURE,
            details={"reason": "wrong_password"},
        )
        raise ValidationError(
            {"old_password": _("That is not your current password. Enter it again.")}
        )
    errors = {}
    try:
        validate_password(new_password, actor)
    except ValidationError as exc:
        errors["new_password"] = exc.messages
    if not errors and actor.check_password(new_password):
        errors["new_password"] = [_("Choose a password different from the current one.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        account = _password_set(actor, new_password, handed_over=False)
        audit_record(actor=actor, action="account.password_change", obj=account)
    return account


def account_password_reset(*, actor, account: User) -> str:
    """Give a person a new initial password, returned to be handed over once (only its hash is
    stored). The person must choose their own at the next sign-in, and every session the
    account had open ends now."""
    access_account_password_reset(actor, account)
    password = _initial_password()
    with transaction.atomic():
        locked = _password_set(account, password, handed_over=True)
        audit_record(
            actor=actor,
            action="account.password_reset",
            obj=locked,
            details={"username": locked.username},
        )
    return password


def _password_set(account: User, password: str, *, handed_over: bool) -> User:
    """Store `password` on the account (its row locked) and on the object the caller holds;
    `handed_over`: someone else chose it, its owner must replace it."""
    locked = User.objects.select_for_update().get(pk=account.pk)
    locked.set_password(password)
    locked.password_change_required = handed_over
    locked.password_changed_at = timezone.now()
    locked.save(update_fields=["password", "password_change_required", "password_changed_at"])
    account.password = locked.password
    account.password_change_required = handed_over
    account.password_changed_at = locked.password_changed_at
    return locked


# --- API tokens ----------------------------------------------------------------------------


def api_token_issue(
    *, actor, client, name: str, days: int | None = None, scopes: dict | None = None
) -> tuple[ApiToken, str]:
    """Issue the client's token, revoking the one it had. Returns the token and its clear key.

    The clear key is `<prefix>.<secret>` and is shown once; only its hash is stored. `scopes`
    (`{"registry": "read", ...}`) limits the token; none is read-write on every group.
    """
    access_api_token_issue(actor, client)
    if not client.is_integration:
        raise ValidationError(
            {"client": _("API tokens are for district integration accounts only.")}
        )
    scopes = scopes or api_token_full_scopes()
    api_token_scopes_validate(scopes)
    days = days or settings.API_TOKEN_DEFAULT_DAYS
    prefix = secrets.token_hex(4)
    raw = f"{prefix}.{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        for old in ApiToken.objects.select_for_update().filter(
            user=client, revoked_at__isnull=True
        ):
            _api_token_revoke(actor=actor, token=old, reason="replaced")
        token = ApiToken.objects.create(
            user=client,
            name=name,
            key_prefix=prefix,
            key_hash=ApiToken.hash_key(raw),
            expires_at=timezone.now() + timedelta(days=days),
            scopes=scopes,
        )
        audit_record(
            actor=actor,
            action="api_token.issue",
            obj=token,
            details={"client": client.username, "scopes": scopes},
        )
    return token, raw


def api_token_revoke(*, actor, token: ApiToken, reason: str = "revoked") -> ApiToken:
    """Revoke a token now; requests with it are refused from this moment."""
    access_api_token_revoke(actor, token)
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            _api_token_revoke(actor=actor, token=token, reason=reason)
    return token


def _api_token_revoke(*, actor, token: ApiToken, reason: str) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api_token.revoke", obj=token, details={"reason": reason})


# --- Webhook subscriptions -------------------------------------------------------------------

_SUBSCRIPTION_FIELDS = ("url", "event_types", "active", "secret")


def webhook_subscription_create(*, actor, token=None, **fields) -> tuple[WebhookSubscription, str]:
    """Subscribe the actor's system; returns the subscription and its signing secret (a new
    random one unless given), shown to the caller once."""
    access_webhook_subscription_create(actor)
    fields = {key: value for key, value in fields.items() if key in _SUBSCRIPTION_FIELDS}
    fields["secret"] = fields.get("secret") or secrets.token_urlsafe(32)
    subscription = WebhookSubscription(owner=actor, token=token, **fields)
    with transaction.atomic():
        subscription.full_clean()
        _event_types_readable(subscription)
        subscription.save()
        audit_record(
            actor=actor,
            action="webhook_subscription.create",
            obj=subscription,
            details={"url": subscription.url, "event_types": subscription.event_types},
        )
    return subscription, fields["secret"]


def webhook_subscription_update(*, actor, subscription, **fields) -> WebhookSubscription:
    access_webhook_subscription_change(actor, subscription)
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        changed = []
        for key, value in fields.items():
            if key in _SUBSCRIPTION_FIELDS and getattr(locked, key) != value:
                setattr(locked, key, value)
                changed.append(key)
        if changed:
            locked.full_clean()
            _event_types_readable(locked)
            locked.save(update_fields=[*changed, "updated_at"])
            audit_record(
                actor=actor,
                action="webhook_subscription.change",
                obj=locked,
                details={"fields": sorted(key for key in changed if key != "secret")},
            )
    return locked


def webhook_subscription_delete(*, actor, subscription) -> None:
    access_webhook_subscription_delete(actor, subscription)
    with transaction.atomic():
        audit_record(actor=actor, action="webhook_subscription.delete", obj=subscription)
        subscription.delete()


def _event_types_readable(subscription) -> None:
    """A token limited to some resource groups subscribes only to events it may read."""
    from portal.outbox import SOURCE_BY_EVENT

    token = subscription.token
    if token is None:
        return
    for event_type in subscription.event_types:
        source = SOURCE_BY_EVENT[event_type]
        if not token.allows(source.group, write=False):
            raise ValidationError(
                {
                    "event_types": _("This API token may not read %(group)s, so not %(type)s.")
                    % {"group": source.group, "type": event_type}
                }
            )
