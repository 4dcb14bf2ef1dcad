"""Who sees the alliances (党建联盟), their agreements, members and list items, and the exchange
circles.

Street staff and Party-work officers: all. Otherwise an alliance whose lead organisation or one
of whose member organisations is in the user's jurisdiction, or which works in one of its
communities; everything of the alliance follows it. An exchange circle is seen by the
organisations in it.
"""

from django.apps import apps
from django.db.models import Q

from partybuilding.organisations.querysets import (
    communities_in_scope,
    orgs_in_scope,
    sees_whole_street,
)
from portal.querysets import ScopedQuerySet


def _model(name):
    return apps.get_model("partybuilding", name)


def alliances_in_scope(user):
    """Primary keys of the alliances in the user's jurisdiction (a subquery)."""
    orgs = orgs_in_scope(user)
    with_member_org = _model("AllianceMember").objects.filter(party_org__in=orgs).values("alliance")
    return (
        _model("Alliance")
        .objects.filter(
            Q(lead_org__in=orgs)
            | Q(community__in=communities_in_scope(user))
            | Q(pk__in=with_member_org)
        )
        .values("pk")
    )


def circles_in_scope(user):
    """Primary keys of the exchange circles one of whose organisations is in the user's
    jurisdiction (a subquery)."""
    through = _model("ExchangeCircle").orgs.through
    return through.objects.filter(partyorg__in=orgs_in_scope(user)).values("exchangecircle")


class _AllianceScoped(ScopedQuerySet):
    alliance_path = "alliance"

    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(**{f"{self.alliance_path}__in": alliances_in_scope(user)})


class AllianceQuerySet(_AllianceScoped):
    alliance_path = "pk"


class AllianceMemberQuerySet(_AllianceScoped):
    pass


class AllianceAgreementQuerySet(_AllianceScoped):
    pass


class AllianceItemQuerySet(_AllianceScoped):
    pass


class ExchangeCircleQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(pk__in=circles_in_scope(user))


class ExchangeCirclePostQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(circle__in=circles_in_scope(user))
