"""Who sees which funders, bundles, aid cases and disbursements."""

from portal.querysets import ScopedQuerySet


def households_in_scope(user):
    """Primary keys of the households in a community or grid user's jurisdiction (a subquery)."""
    from grids.models import Household

    return Household.objects.scoped_for(user).values("pk")


class StreetAndLocalQuerySet(ScopedQuerySet):
    """Records without personal data: the street and local staff read them, partners do not."""

    def scoped_for(self, user):
        if user.is_partner_staff:
            return self.none()
        return self.all()


class AidCaseQuerySet(ScopedQuerySet):
    """Street: all; community and grid staff: cases of households in their scope; partners: none."""

    household_path = "household"

    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_partner_staff:
            return self.none()
        return self.filter(**{f"{self.household_path}__in": households_in_scope(user)})


class DisbursementQuerySet(AidCaseQuerySet):
    household_path = "case__household"
