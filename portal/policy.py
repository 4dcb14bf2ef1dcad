"""The shape of every gate, and the few helpers gates share.

Each app's `policy.py` holds `access_<entity>_<verb>(actor, obj=None)`: the one place that
decides whether `actor` may do that action (to that object). A gate returns None or raises
`PermissionDenied`, one condition per line so coverage shows each branch tested. Every write
function calls its gate on its first line; views, APIs and tasks never decide permission —
they call the write (or ask `allowed()` which forms to offer) and translate what it raises:

    PermissionDenied → 403 (an object outside the *view* scope never got this far: 404)
    ValidationError  → the form again with its errors / 400 with field errors
    a conflict       → a message and the page again / 409

`actor=None` is the system itself (a Celery task, a management command, the demo loader):
gates let it through where the system does that work, and say so.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied


def deny_unless(condition: bool, message=None) -> None:
    """Raise PermissionDenied unless `condition` holds (one line per condition in a gate);
    `message`, when given, is the refusal the user reads (the API's 403 `detail`)."""
    if not condition:
        raise PermissionDenied(*([] if message is None else [message]))


def require_active(actor) -> None:
    """A person who may act at all: signed in and active."""
    deny_unless(actor is not None and actor.is_authenticated and actor.is_active)


def require_perm(actor, perm: str) -> None:
    """The role's model permission (portal/roles.py), for an active user."""
    require_active(actor)
    deny_unless(actor.has_perm(perm))


def require_in_scope(actor, queryset, obj, action: str = "change") -> None:
    """`obj` in `queryset.visible_to(actor, action)`: the model's scope for that action."""
    deny_unless(queryset.visible_to(actor, action).filter(pk=obj.pk).exists())


def allowed(gate: Callable, actor, obj=None) -> bool:
    """Ask a gate without acting: which buttons and forms a page offers."""
    try:
        gate(actor, obj)
    except PermissionDenied:
        return False
    return True


# --- The foundation's own gates ---------------------------------------------------------------


def access_notifications_mark_read(actor, obj=None) -> None:
    """Anyone signed in marks their own inbox (the write only touches their notifications)."""
    require_active(actor)


def access_api_token_issue(actor, client=None) -> None:
    """The `api_token_issue` command (the system) or the street administrator."""
    if actor is None:
        return  # the management command, run by the operator on the server
    require_active(actor)
    deny_unless(actor.is_superuser or actor.is_street_admin)


def access_api_token_revoke(actor, token=None) -> None:
    """The system (expiry, rotation) or the street administrator."""
    if actor is None:
        return
    require_active(actor)
    deny_unless(actor.is_superuser or actor.is_street_admin)


def access_webhook_subscription_create(actor, obj=None) -> None:
    """A district integration (or the street administrator) subscribes for itself."""
    require_perm(actor, "portal.add_webhooksubscription")


def access_webhook_subscription_change(actor, subscription=None) -> None:
    """Only the subscription's owner changes or deletes it."""
    require_perm(actor, "portal.change_webhooksubscription")
    deny_unless(subscription is None or subscription.owner_id == actor.pk)


def access_webhook_subscription_delete(actor, subscription=None) -> None:
    require_perm(actor, "portal.delete_webhooksubscription")
    deny_unless(subscription is None or subscription.owner_id == actor.pk)


# --- Street administration pages (portal/administration/) ------------------------------------


def access_street_administration(actor, obj=None) -> None:
    """The street's administration pages (街道管理): the street administrator only."""
    require_active(actor)
    deny_unless(actor.is_superuser or actor.is_street_admin)


def access_integration_account_create(actor, obj=None) -> None:
    """Open an account for a district integration: the system or the street administrator."""
    if actor is None:
        return  # the system: the demo loader, tests setting the scene
    require_active(actor)
    deny_unless(actor.is_superuser or actor.is_street_admin)


def access_person_account_create(actor, obj=None) -> None:
    """Open a person's account (partner staff...) with an initial password: the street
    administrator."""
    if actor is None:
        return  # the system
    require_active(actor)
    deny_unless(actor.is_superuser or actor.is_street_admin)


# --- Passwords (portal/password_change.py) ---------------------------------------------------


def access_password_change(actor, obj=None) -> None:
    """Change one's own password: any active person who signs in with one. An integration signs
    in with its API token and has no password to change."""
    require_active(actor)
    deny_unless(not actor.is_integration)
    deny_unless(actor.has_usable_password())


def access_account_password_reset(actor, account=None) -> None:
    """Give a person a new initial password (forgotten, or the post handed to someone else):
    the street administrator, for another person's account. Nobody resets their own (they
    change it), an integration has none, and only a superuser resets an account of the Django
    admin (a street administrator must not be able to take one over)."""
    require_active(actor)
    deny_unless(actor.is_superuser or actor.is_street_admin)
    if account is None:
        return
    deny_unless(account.pk != actor.pk)
    deny_unless(not account.is_integration)
    deny_unless(actor.is_superuser or not (account.is_superuser or account.is_staff))
