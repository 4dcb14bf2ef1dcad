"""Who sees which deliveries, meal logs and meal-log imports."""

from portal.querysets import ScopedQuerySet
from services.catalogue.querysets import ResidentServiceQuerySet, partners_of


class DeliveryQuerySet(ResidentServiceQuerySet):
    """Street: all; partner staff: their organisation's deliveries; local staff: their residents'
    (from the delivery's copy of its resident's jurisdiction, migration 0015)."""

    carries_scope = True


class MealLogQuerySet(ResidentServiceQuerySet):
    """As deliveries: the partner is the one that delivered the meal."""

    partner_path = "delivery__partner"


class MealImportQuerySet(ScopedQuerySet):
    """The street sees every import; partner staff those of their organisation."""

    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_partner_staff:
            return self.filter(partner__in=partners_of(user))
        return self.none()
