"""Who sees which themed activities."""

from portal.querysets import ScopedQuerySet
from services.catalogue.querysets import partners_of


class ActivityQuerySet(ScopedQuerySet):
    """Street: all; community and grid staff: activities in their communities; partner staff:
    activities their organisation's team ran."""

    def scoped_for(self, user):
        from grids.models import Region

        if user.is_street_staff:
            return self.all()
        if user.is_partner_staff:
            return self.filter(partner__in=partners_of(user))
        communities = Region.objects.scoped_for(user).filter(level=Region.Level.COMMUNITY)
        return self.filter(community__in=communities.values("pk"))
