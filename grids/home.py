"""Cards on the home page, counted inside the user's scope."""

from django.urls import reverse
from django.utils.translation import gettext as _

from grids.models import Grid, Household, Resident
from portal.hooks import HomeCard


def cards(user) -> list[HomeCard]:
    if not user.has_perm("grids.view_resident"):
        return []
    return [
        HomeCard(_("Grids"), str(Grid.objects.visible_to(user).count()), icon="bi-grid-3x3"),
        HomeCard(_("Households"), str(Household.objects.visible_to(user).count()), icon="bi-house"),
        HomeCard(
            _("Residents"),
            str(Resident.objects.visible_to(user).count()),
            url=reverse("grids:resident-list"),
            icon="bi-people",
        ),
    ]
