"""Who sees the 双报到 rows: community needs, point rules and service hours.

Street staff and Party-work officers: all. Otherwise the communities of the organisations in
the user's jurisdiction (granted `party_work`, or led as secretary) — because the community
where the members serve publishes the needs and approves the hours — and a member's own rows.
"""

from django.db.models import Q

from partybuilding.organisations.querysets import (
    communities_in_scope,
    member_scope,
    sees_whole_street,
    takes_part,
)
from portal.querysets import ScopedQuerySet


class CommunityNeedQuerySet(ScopedQuerySet):
    """Needs of the communities in the user's jurisdiction; a member sees the needs of the
    community they reported to (what they may claim) and the needs they claimed."""

    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        from partybuilding.organisations.models import PartyMember

        reported = PartyMember.objects.filter(user=user).values("reported_community")
        return self.filter(
            Q(community__in=communities_in_scope(user))
            | Q(community__in=reported)
            | Q(claimed_by__user=user)
        )


class PointRuleQuerySet(ScopedQuerySet):
    """The point rules are one table for the whole street, read by everyone who takes part in its
    Party work."""

    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(takes_part(user))


class ServiceHoursQuerySet(ScopedQuerySet):
    """Hours of members in the user's jurisdiction, hours served in its communities (which
    approve them), and a member's own hours."""

    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(
            member_scope(user, "member") | Q(community__in=communities_in_scope(user))
        )
