"""Audit of authentication events. Signals are used only because Django's auth emits them."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from portal.audit import audit_record
from portal.models import AuditEvent


@receiver(user_logged_in, dispatch_uid="portal_audit_login")
def _audit_login(sender, request, user, **kwargs):
    audit_record(actor=user, action="login", obj=user)


@receiver(user_logged_out, dispatch_uid="portal_audit_logout")
def _audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="logout", obj=user)


@receiver(user_login_failed, dispatch_uid="portal_audit_login_failed")
def _audit_login_failed(sender, credentials, request=None, **kwargs):
    audit_record(
        actor=None,
        action="login_failed",
        outcome=AuditEvent.Outcome.FAILURE,
        username=str(credentials.get("username", ""))[:150],
    )
