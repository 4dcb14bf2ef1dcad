"""Who sees which referrals, which steps of their history, and which follow-ups."""

from grids.querysets import registry_scope
from portal.querysets import ScopedQuerySet
from services.catalogue.querysets import partners_of


class ReferralQuerySet(ScopedQuerySet):
    """Street roles: all; community and grid staff: referrals of residents in their scope;
    partner staff: referrals addressed to their organisation, and only those."""

    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_partner_staff:
            return self.filter(partner__in=partners_of(user))
        # The resident's jurisdiction columns, copied onto the referral (migration 0012): the
        # same referrals as `resident__in=residents_in_scope(user)`, from their own index.
        return self.filter(registry_scope(user).residents_q(resident="resident_id"))


class ReferralEventQuerySet(ScopedQuerySet):
    """The history of the referrals the user sees. A partner sees its own part of the story:
    the steps taken while the referral was with its organisation (from its assignment on),
    never the street's review or another partner's decline."""

    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_partner_staff:
            return self.filter(
                referral__partner__in=partners_of(user), partner__in=partners_of(user)
            )
        # Through the referral's copy of its resident's jurisdiction (as ReferralQuerySet): a
        # community's history is read from its referrals' index, not by joining every event
        # to the residents.
        return self.filter(
            registry_scope(user).residents_q(resident="resident_id", through="referral__")
        )


class FollowUpTaskQuerySet(ScopedQuerySet):
    """Follow-ups are the local staff's work: the street sees all, partners none."""

    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_partner_staff:
            return self.none()
        return self.filter(
            registry_scope(user).residents_q(resident="resident_id", through="referral__")
        )
