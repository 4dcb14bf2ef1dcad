"""Who sees which themed activities."""

from grids.querysets import registry_scope
from portal.querysets import ScopedQuerySet
from services.catalogue.querysets import partners_of


class ActivityQuerySet(ScopedQuerySet):
    """Street: all; community and grid staff: activities in their communities; partner staff:
    activities their organisation's team ran."""

    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_partner_staff:
            return self.filter(partner__in=partners_of(user))
        return self.filter(community_id__in=registry_scope(user).home_communities)
