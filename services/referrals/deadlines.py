"""Stage deadlines: a referral left too long in a stage goes back to the street (escalated).

Run hourly by beat (services/referrals/tasks.py). Idempotent however often it fires: escalation changes the
status, so the next run no longer selects the referral; a run racing another one gets
ReferralConflict for the referrals the other already moved and counts them as skipped.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import Notification, User
from portal.notifications import name_masked, notification_about, notifications_send_many
from services.referrals.selectors import referrals_to_escalate
from services.referrals.writes import ReferralConflict, referral_escalate


def referrals_escalate_overdue(*, now) -> dict:
    """Escalate every referral whose stage deadline passed before `now`, and tell the street.

    One query selects the overdue referrals; each escalation then costs a constant number of
    queries (lock, save, history, audit, and two for the street's notifications however many
    cadres and administrators it has).
    `referral_escalate` itself notifies no one for an escalation, so the street hears it here,
    once per referral and missed deadline (the dedup key).
    """
    overdue = referrals_to_escalate(now=now)
    if not overdue:
        return {"overdue": 0, "escalated": 0, "skipped": 0, "sent": 0}
    street = list(User.objects.street_staff().order_by("pk"))
    escalated = skipped = sent = 0
    for referral in overdue:
        deadline = timezone.localtime(referral.stage_deadline)
        try:
            with transaction.atomic():
                locked = referral_escalate(
                    actor=None,
                    referral=referral,
                    note=_("Stage deadline %(deadline)s missed.")
                    % {"deadline": deadline.strftime("%Y-%m-%d %H:%M")},
                )
                title = _("Referral overdue, back to the street: %(item)s for %(name)s") % {
                    "item": locked.service_item.name,
                    "name": name_masked(locked.resident.name),
                }
                about = notification_about(
                    locked, reverse("services:referral-detail", args=[locked.pk])
                )
                body = _("The stage deadline %(deadline)s passed. Re-assign, approve or cancel.")
                sent += len(
                    notifications_send_many(
                        [
                            Notification(
                                recipient=user,
                                title=str(title)[:200],
                                body=body % {"deadline": deadline.strftime("%Y-%m-%d %H:%M")},
                                dedup_key=f"referral-escalated:{referral.pk}:{deadline.isoformat()}",
                                **about,
                            )
                            for user in street
                        ]
                    )
                )
        except ReferralConflict:
            skipped += 1  # another run (or a person) moved it first
            continue
        escalated += 1
    return {"overdue": len(overdue), "escalated": escalated, "skipped": skipped, "sent": sent}
