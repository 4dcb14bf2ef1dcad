"""Reminders of the services loop, sent by beat every hour, each once per subject and due date.

| what                    | when                                        | to whom                          | key |
|-------------------------|---------------------------------------------|----------------------------------|-----|
| stage deadline coming   | an open referral's stage deadline is within | who must act: the assigned       | `referral-deadline:<id>:<deadline>` |
|                         | REFERRAL_DEADLINE_REMINDER_HOURS            | partner's staff, or the street   | |
| follow-up due           | a follow-up task is due today or overdue    | its assignee                     | `follow-up-due:<task>:<due date>` |
| follow-up overdue       | FOLLOW_UP_ESCALATE_DAYS after the due date  | the community's cadres           | `follow-up-overdue:<task>:<due date>` |

A missed stage deadline itself escalates the referral (services/referrals/deadlines.py); a missed
follow-up does not — the service was given, the check is still owed — so it is reminded, then
brought to the community.

Set-wise: a few queries fetch the subjects and the people, the notifications are built in
memory and written by portal.notifications.notifications_send_many (two queries). A repeated run
inserts nothing.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grids.reminders import community_cadres
from portal.models import Notification, User
from portal.notifications import name_masked, notifications_send_many
from services.catalogue.selectors import partner_staff_ids
from services.referrals.models import Referral
from services.referrals.selectors import PARTNER_STAGES, follow_ups_due, referrals_deadline_near


def referral_deadline_reminders_send(*, now=None) -> dict:
    """Tell whoever must act that a referral's stage deadline is near (before it escalates)."""
    now = now or timezone.now()
    referrals = referrals_deadline_near(now=now)
    if not referrals:
        return {"due": 0, "sent": 0}
    partner_staff = partner_staff_ids(
        {partner for _pk, _s, partner, _d, _n, _r in referrals if partner}
    )
    referral_type = ContentType.objects.get_for_model(Referral)
    street = list(User.objects.street_staff().values_list("pk", flat=True))
    notifications = []
    with translation.override(settings.LANGUAGE_CODE):
        for pk, status, partner_id, deadline, item, resident in referrals:
            local = timezone.localtime(deadline)
            recipients = partner_staff.get(partner_id, []) if status in PARTNER_STAGES else street
            title = _("Referral deadline %(deadline)s: %(item)s for %(name)s") % {
                "deadline": local.strftime("%m-%d %H:%M"),
                "item": item,
                "name": name_masked(resident),
            }
            body = _("Act on this referral before %(deadline)s, or it goes back to the street.")
            for user_id in recipients:
                notifications.append(
                    Notification(
                        recipient_id=user_id,
                        title=title[:200],
                        body=body % {"deadline": local.strftime("%Y-%m-%d %H:%M")},
                        url=reverse("services:referral-detail", args=[pk]),
                        object_type=referral_type,
                        object_id=pk,
                        dedup_key=f"referral-deadline:{pk}:{local.isoformat()}",
                    )
                )
    return {"due": len(referrals), "sent": len(notifications_send_many(notifications))}


def follow_up_reminders_send(*, today=None) -> dict:
    """Remind assignees of follow-ups due, and the community of those long overdue."""
    today = today or timezone.localdate()
    escalate_before = today - timedelta(days=settings.FOLLOW_UP_ESCALATE_DAYS)
    tasks = follow_ups_due(today=today)
    if not tasks:
        return {"due": 0, "sent": 0}
    cadres, _names = community_cadres()
    referral_type = ContentType.objects.get_for_model(Referral)
    notifications = []
    with translation.override(settings.LANGUAGE_CODE):
        for pk, due_on, assignee_id, referral_id, name, item, community_id in tasks:
            values = {"name": name, "item": item, "date": due_on.isoformat()}
            url = reverse("services:referral-detail", args=[referral_id])
            if assignee_id:
                notifications.append(
                    Notification(
                        recipient_id=assignee_id,
                        title=(_("Follow-up due: %(name)s, %(item)s") % values)[:200],
                        body=_(
                            "The service %(item)s for %(name)s was completed. Check with the "
                            "resident and record the outcome and satisfaction by %(date)s."
                        )
                        % values,
                        url=url,
                        object_type=referral_type,
                        object_id=referral_id,
                        dedup_key=f"follow-up-due:{pk}:{due_on.isoformat()}",
                    )
                )
            if due_on <= escalate_before:
                for user_id in cadres.get(community_id, ()):
                    notifications.append(
                        Notification(
                            recipient_id=user_id,
                            title=(_("Follow-up overdue: %(name)s, %(item)s") % values)[:200],
                            body=_(
                                "The follow-up of %(item)s for %(name)s was due on %(date)s and "
                                "is not done."
                            )
                            % values,
                            url=url,
                            object_type=referral_type,
                            object_id=referral_id,
                            dedup_key=f"follow-up-overdue:{pk}:{due_on.isoformat()}",
                        )
                    )
    return {"due": len(tasks), "sent": len(notifications_send_many(notifications))}
