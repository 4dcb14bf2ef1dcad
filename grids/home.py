"""Cards on the home page, counted inside the user's scope."""

from django.urls import reverse
from django.utils.translation import gettext as _

from grids import selectors
from grids.coverage import coverage_summary
from grids.models import Grid, Household, Resident
from portal.hooks import HomeCard
from portal.roles import GRID_ROLES, STREET_ROLES, Role


def cards(user) -> list[HomeCard]:
    if not user.has_perm("grids.view_resident"):
        return []
    return [
        *visit_cards(user),
        HomeCard(_("Grids"), str(Grid.objects.visible_to(user).count()), icon="bi-grid-3x3"),
        HomeCard(_("Households"), str(Household.objects.visible_to(user).count()), icon="bi-house"),
        HomeCard(
            _("Residents"),
            str(Resident.objects.visible_to(user).count()),
            url=reverse("grids:resident-list"),
            icon="bi-people",
        ),
        *coverage_cards(user),
    ]


def visit_cards(user) -> list[HomeCard]:
    """Grid workers and leaders see their visiting work first: who is overdue, who is due soon."""
    if user.role not in GRID_ROLES or not user.has_perm("grids.add_visit"):
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
    if user.role not in STREET_ROLES and user.role != Role.COMMUNITY_CADRE:
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
