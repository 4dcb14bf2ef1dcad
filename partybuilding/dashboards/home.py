"""The Party-work officer's home card: the dashboard, with 双报到 coverage as its figure (one
query, inside the user's scope)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from partybuilding.dashboards import selectors
from portal.hooks import HomeCard


def cards(user) -> list[HomeCard]:
    if not user.is_party_officer:
        return []
    coverage = selectors.reporting_coverage(actor=user)
    return [
        HomeCard(
            _("Party building dashboard"),
            f"{coverage['reported']} / {coverage['serving']}",
            url=reverse("partybuilding:dashboard"),
            icon="bi-flag",
            note=_("Serving members reported to a community"),
        )
    ]
