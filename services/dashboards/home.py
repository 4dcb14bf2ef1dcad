"""Cards on the home page for referrals, counted inside the user's scope (one query per user).

Partner staff land on their organisation's work: what awaits their answer, what they serve.
The street sees what to review and to assign; community and grid staff what is open and
which follow-ups are due.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.hooks import HomeCard
from portal.policy import allowed
from services.dashboards.selectors import referral_alerts
from services.referrals import selectors
from services.referrals.policy import access_referral_list


def _overdue_note(counts) -> str:
    """How many open referrals missed their stage deadline (all of them, in the user's scope)."""
    n = counts["overdue"]
    if n:
        return ngettext(
            "%(n)d referral past its deadline", "%(n)d referrals past their deadline", n
        ) % {"n": n}
    return _("all within their deadlines")


def cards(user) -> list[HomeCard]:
    if not allowed(access_referral_list, user):
        return []
    counts = selectors.referral_counts(actor=user)
    # The alarm figures (overdue, escalated) from the one selector the dashboard reads too.
    counts.update(referral_alerts(actor=user))
    url = reverse("services:referral-list")
    if user.is_partner_staff:
        return [
            HomeCard(
                _("Awaiting your acceptance"),
                str(counts["assigned"]),
                url=f"{url}?status=assigned",
                icon="bi-inbox",
                note=_("My organisation's referrals"),
            ),
            HomeCard(
                _("Accepted or in service"),
                str(counts["serving"]),
                url=url,
                icon="bi-heart-pulse",
                note=_overdue_note(counts),
            ),
        ]
    if user.is_street_staff:
        escalated = counts["escalated"]
        return [
            HomeCard(
                _("Referrals to review"),
                str(counts["submitted"]),
                url=f"{url}?status=submitted",
                icon="bi-clipboard-check",
                note=_("%(n)d escalated") % {"n": escalated} if escalated else "",
            ),
            HomeCard(
                _("Referrals to assign"),
                str(counts["to_assign"]),
                url=f"{url}?status=approved",
                icon="bi-send",
            ),
            HomeCard(
                _("Open referrals"),
                str(counts["open"]),
                url=url,
                icon="bi-arrow-left-right",
                note=_overdue_note(counts),
            ),
        ]
    return [
        HomeCard(
            _("Open referrals"),
            str(counts["open"]),
            url=url,
            icon="bi-arrow-left-right",
            note=_("%(n)d drafts to submit") % {"n": counts["draft"]}
            if counts["draft"]
            else _overdue_note(counts),
        ),
        _follow_up_card(user, url),
    ]


def _follow_up_card(user, url) -> HomeCard:
    """Follow-ups (回访) not done in the user's scope; the late ones in the note (one query)."""
    tasks = selectors.follow_up_counts(actor=user)
    return HomeCard(
        _("Follow-ups to do"),
        str(tasks["open"]),
        url=f"{url}?follow_up=due",
        icon="bi-telephone",
        note=ngettext("%(n)d late", "%(n)d late", tasks["late"]) % {"n": tasks["late"]}
        if tasks["late"]
        else "",
    )
