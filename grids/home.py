"""Cards on the home page, counted inside the user's scope."""

from django.urls import reverse
from django.utils.translation import gettext as _

from grids import policy, selectors
from grids.coverage import coverage_summary
from portal.hooks import HomeCard
from portal.policy import allowed


def cards(user) -> list[HomeCard]:
    if not allowed(policy.access_resident_list, user):
        return []
    return [
        *visit_cards(user),
        HomeCard(_("Grids"), str(selectors.grid_list(actor=user).count()), icon="bi-grid-3x3"),
        HomeCard(
            _("Households"), str(selectors.household_list(actor=user).count()), icon="bi-house"
        ),
        HomeCard(
            _("Residents"),
            str(selectors.resident_list(actor=user).count()),
            url=reverse("grids:resident-list"),
            icon="bi-people",
        ),
        *coverage_cards(user),
    ]


def visit_cards(user) -> list[HomeCard]:
    """Grid workers and leaders see their visiting work first: who is overdue, who is due soon."""
    if not user.is_grid_staff or not allowed(policy.access_visits_due_list, user):
        return []
    due = selectors.visits_due_list(actor=user)
    overdue = due.filter(is_overdue=True).count()
    return [
        HomeCard(
            _("Visits due"),
            str(due.count()),
            url=reverse("grids:visits-due"),
            icon="bi-calendar-check",
            note=_("%(n)d overdue") % {"n": overdue} if overdue else _("none overdue"),
        )
    ]


def coverage_cards(user) -> list[HomeCard]:
    """Cadres (street and community) see whether their scope has full coverage (全覆盖)."""
    if not (user.is_street_staff or user.is_community_cadre):
        return []
    summary = coverage_summary(actor=user)
    if summary.covered is None:
        return []
    if summary.covered:
        value, note, icon = _("Yes"), _("Full coverage, no blind spot"), "bi-shield-check"
    else:
        value = str(summary.exceptions)
        note, icon = _("gaps to resolve"), "bi-shield-exclamation"
    return [
        HomeCard(
            _("Full coverage (全覆盖)"),
            value,
            url=reverse("grids:coverage"),
            icon=icon,
            note=note,
        )
    ]
