"""Who sees which Party organisations and members — and the subqueries every room's scope reuses.

- street administrator, street cadre, Party-work officer: the whole street's Party data;
- anyone granted `partybuilding.party_work` on a Party organisation (a community cadre): that
  organisation and its whole subtree;
- a branch secretary (`PartyOrg.secretary` → their own member record): the organisations they
  lead and their subtrees — members, meetings, training and hours;
- a Party member (own login): their own records;
- the street's Party configuration (point rules, meeting requirements, courses, thresholds):
  everyone of the above, nobody else (`takes_part`);
- grid staff, partner staff and integrations carry no Party permission, so `visible_to` stops
  at the role before it gets here.

The subtree is read from the materialised `PartyOrg.path` ("/1/7/23/"): one correlated
`EXISTS` over the few root organisations, nested as a subquery in the caller's SQL — never one
query per organisation, never recursion.
"""

from django.apps import apps
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.lookups import StartsWith

from portal.querysets import ScopedQuerySet, objects_granted

PARTY_WORK = "partybuilding.party_work"


def _model(name):
    return apps.get_model("partybuilding", name)


def sees_whole_street(user) -> bool:
    """Street staff and Party-work officers see every Party row of the street."""
    return user.is_street_staff or user.is_party_officer


def orgs_granted(user):
    """Primary keys of the organisations on which `user` holds `party_work` (not their subtree)."""
    return objects_granted(user, PARTY_WORK, _model("PartyOrg"))


def orgs_in_scope(user):
    """Primary keys of the organisations in the user's Party-work jurisdiction (a subquery).

    The roots are the organisations granted to the user and those whose secretary is the
    user's member record; every organisation whose path starts with a root's path is inside.
    A root without a path yet (mid-creation) covers nothing rather than everything.
    """
    PartyOrg = _model("PartyOrg")
    roots = (
        PartyOrg.objects.filter(Q(pk__in=orgs_granted(user)) | Q(secretary__user=user))
        .exclude(path="")
        .filter(StartsWith(OuterRef("path"), F("path")))
    )
    return PartyOrg.objects.filter(Exists(roots)).values("pk")


def communities_in_scope(user):
    """Communities of the organisations in the user's jurisdiction (a subquery): where the
    user's Party work serves 双报到 members, needs and alliances."""
    return (
        _model("PartyOrg")
        .objects.filter(pk__in=orgs_in_scope(user), community__isnull=False)
        .values("community")
    )


def takes_part(user) -> Q:
    """Q that holds (for every row) when the user has any part in the street's Party work: a
    `party_work` grant or a member record of their own. The street's Party configuration (point
    rules, required meetings, course list, thresholds) is theirs to read; for anyone else —
    a community cadre without a grant — it is as empty as everything else."""
    PartyMember = _model("PartyMember")
    grants = _model("PartyOrg").objects.filter(pk__in=orgs_granted(user))
    return Q(Exists(grants)) | Q(Exists(PartyMember.objects.filter(user=user)))


def member_scope(user, member_path: str) -> Q:
    """Q for rows about one member (reached by `member_path`): the member's organisation is in
    the user's jurisdiction, or the member is the user."""
    return Q(**{f"{member_path}__org__in": orgs_in_scope(user)}) | Q(
        **{f"{member_path}__user": user}
    )


class PartyOrgQuerySet(ScopedQuerySet):
    """The organisations in the user's jurisdiction, plus a member's own organisation."""

    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        own_org = _model("PartyMember").objects.filter(user=user).values("org")
        return self.filter(Q(pk__in=orgs_in_scope(user)) | Q(pk__in=own_org))

    def subtree_of(self, org):
        """`org` and every organisation below it (one `LIKE 'path%'` on the indexed path)."""
        return self.filter(path__startswith=org.path)


class PartyMemberQuerySet(ScopedQuerySet):
    """Members of the organisations in the user's jurisdiction, the serving members who reported
    to (双报到) one of its communities, and the user's own record."""

    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(
            Q(org__in=orgs_in_scope(user))
            | Q(reported_community__in=communities_in_scope(user))
            | Q(user=user)
        )


class MemberTransferQuerySet(ScopedQuerySet):
    """A transfer is part of the member's record: seen by whoever sees the member's organisation,
    and by the member."""

    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(member_scope(user, "member"))
