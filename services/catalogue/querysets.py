"""Who sees which partners, catalogue entries and rows about a resident served by a partner.

The one place scope is decided for the catalogue room (`visible_to` in portal/querysets.py asks
the role's permission first, then `scoped_for` here); the other rooms build on
`ResidentServiceQuerySet`, `partners_of` and `residents_in_scope`.
"""

from django.db.models import Q

from grids.querysets import registry_scope
from portal.querysets import ScopedQuerySet, objects_granted
from portal.scope_cache import scope_memo


def partners_of(user) -> tuple[int, ...]:
    """Ids of the partner organisations a partner-staff user acts for.

    Resolved once per request (portal/scope_cache.py) into a plain list: `partner_id =
    ANY(array)` is estimated from the column's statistics, where the grant subquery it replaced
    left PostgreSQL joining every referral of the district before keeping the partner's.
    """
    from services.catalogue.models import Partner

    def resolve():
        granted = objects_granted(user, "services.act_for_partner", Partner)
        return tuple(sorted(granted.values_list("content_object", flat=True)))

    return scope_memo(user, "services.partners", resolve)


def partner_scope_watch() -> None:
    """A partner grant given or taken back changes `partners_of` at once (called from ready())."""
    from portal.scope_cache import scope_models_watch
    from services.catalogue.models import PartnerUserObjectPermission

    scope_models_watch(PartnerUserObjectPermission)


def residents_in_scope(user):
    """Primary keys of the residents in a community or grid user's jurisdiction (a subquery
    over the resolved id lists of grids/querysets.py: index scans, no grant subqueries)."""
    from grids.models import Resident

    return Resident.objects.scoped_for(user).values("pk")


class PartnerQuerySet(ScopedQuerySet):
    """Partner staff see only their own organisation; the street and local staff (who refer
    residents to them) see every partner — organisations, not people."""

    def scoped_for(self, user):
        if user.is_partner_staff:
            return self.filter(pk__in=partners_of(user))
        return self.all()

    def agreement_in_force(self, on):
        """Partners whose agreement covers the day `on` (an open end counts as covering it)."""
        return self.filter(
            Q(agreement_start__isnull=True) | Q(agreement_start__lte=on),
            Q(agreement_end__isnull=True) | Q(agreement_end__gte=on),
        )

    def agreement_state(self, state: str, on):
        """Partners whose agreement is in `state` (Partner.AgreementState) on the day `on`."""
        if state == "in_force":
            return self.agreement_in_force(on)
        if state == "not_started":
            return self.filter(agreement_start__gt=on)
        if state == "ended":
            return self.filter(agreement_end__lt=on)
        return self.none()


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
    # True for a table carrying its resident's jurisdiction columns (scope_grid,
    # scope_community, kept by triggers): local staff's rows come from its own index.
    carries_scope = False

    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_partner_staff:
            return self.filter(**{f"{self.partner_path}__in": partners_of(user)})
        if self.carries_scope:
            return self.filter(
                registry_scope(user).residents_q(resident=f"{self.resident_path}_id")
            )
        return self.filter(**{f"{self.resident_path}__in": residents_in_scope(user)})
