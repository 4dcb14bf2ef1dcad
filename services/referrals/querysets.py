"""Who sees which referrals, which steps of their history, and which follow-ups."""

from grids.querysets import registry_scope
from portal.querysets import ScopedQuerySet
from services.catalogue.querysets import partners_of


def referrals_in_scope_q(user, *, through: str = ""):
    """The referrals of the residents in the user's jurisdiction, and of the cases shared with
    them, read from the referral's copy of its resident's jurisdiction (migration 0012): the
    same referrals as `resident__in=residents_in_scope(user)`, from their own index. `through`
    names the way to the referral from a table that hangs off it (`"referral__"`)."""
    return registry_scope(user).residents_q(resident="resident_id", through=through)


class ReferralQuerySet(ScopedQuerySet):
    """Street roles: all; community and grid staff: referrals of residents in their scope;
    partner staff: referrals addressed to their organisation, and only those."""

    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_partner_staff:
            return self.filter(partner__in=partners_of(user))
        return self.filter(referrals_in_scope_q(user))


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
        # A community's history is read through its referrals' index, not by joining every
        # event to the residents.
        return self.filter(referrals_in_scope_q(user, through="referral__"))


class FollowUpTaskQuerySet(ScopedQuerySet):
    """Follow-ups are the local staff's work: the street sees all, partners none."""

    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_partner_staff:
            return self.none()
        return self.filter(referrals_in_scope_q(user, through="referral__"))
