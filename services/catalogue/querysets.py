"""Who sees which partners, catalogue entries and rows about a resident served by a partner.

The one place scope is decided for the catalogue room (`visible_to` in portal/querysets.py asks
the role's permission first, then `scoped_for` here); the other rooms build on
`ResidentServiceQuerySet`, `partners_of` and `residents_in_scope`.
"""

from portal.querysets import ScopedQuerySet, objects_granted


def partners_of(user):
    """The partner organisations a partner-staff user acts for (a subquery, no query of its own)."""
    from services.catalogue.models import Partner

    return objects_granted(user, "services.act_for_partner", Partner)


def residents_in_scope(user):
    """Primary keys of the residents in a community or grid user's jurisdiction (a subquery)."""
    from grids.models import Resident

    return Resident.objects.scoped_for(user).values("pk")


class PartnerQuerySet(ScopedQuerySet):
    """Partner staff see only their own organisation; the street and local staff (who refer
    residents to them) see every partner — organisations, not people."""

    def scoped_for(self, user):
        if user.is_partner_staff:
            return self.filter(pk__in=partners_of(user))
        return self.all()


class ServiceItemQuerySet(ScopedQuerySet):
    """The catalogue has no jurisdiction: one list for the whole street, shown to every role
    whose permission lets it view the catalogue (street, community, grid and partner staff)."""

    def scoped_for(self, user):
        return self.all()


class ResidentServiceQuerySet(ScopedQuerySet):
    """Rows about one resident served by one partner: the street sees all; partner staff the
    rows of their own organisation; community and grid staff the rows of their residents."""

    partner_path = "partner"
    resident_path = "resident"

    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_partner_staff:
            return self.filter(**{f"{self.partner_path}__in": partners_of(user)})
        return self.filter(**{f"{self.resident_path}__in": residents_in_scope(user)})
