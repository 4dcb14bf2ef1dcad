"""Append-only audit trail: every write done through services, logins, exports, unmasking."""

from django.contrib.contenttypes.models import ContentType

from portal.models import AuditEvent
from portal.request_context import current_request_meta


def audit_record(
    *,
    actor,
    action: str,
    obj=None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    details: dict | None = None,
    username: str = "",
) -> AuditEvent:
    """Write one audit event; call it inside the service's transaction so both land or neither.

    `username` names the account for events without a known user (a failed login).
    """
    meta = current_request_meta()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_username=(actor.get_username() if is_user else username)[:150],
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        ip_address=meta.ip_address,
        user_agent=meta.user_agent,
        outcome=outcome,
        details=details or {},
    )
