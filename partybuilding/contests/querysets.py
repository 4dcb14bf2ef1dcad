"""Who sees the contests (擂台赛), their scores and results, and the 领头雁 programme.

Street staff and Party-work officers: all. Otherwise a contest the user judges, enters, or in
which a contestant belongs to an organisation in the user's jurisdiction; within it, the sheet
(aspects, indicators, contestants, judges). A judge sees their own scores until the results
are published, then the whole published sheet; results are seen once published. A 领头雁 or
reserve-cadre enrolment is part of the member's record.
"""

from django.apps import apps
from django.db.models import Q

from partybuilding.organisations.querysets import member_scope, orgs_in_scope, sees_whole_street
from portal.querysets import ScopedQuerySet


def _model(name):
    return apps.get_model("partybuilding", name)


def contests_in_scope(user):
    """Primary keys of the contests the user judges, enters, or has a contestant of (a subquery)."""
    orgs = orgs_in_scope(user)
    judged = _model("ContestJudge").objects.filter(user=user).values("contest")
    entered = (
        _model("Contestant")
        .objects.filter(Q(member__user=user) | Q(org__in=orgs) | Q(member__org__in=orgs))
        .values("contest")
    )
    return _model("Contest").objects.filter(Q(pk__in=judged) | Q(pk__in=entered)).values("pk")


class _ContestScoped(ScopedQuerySet):
    contest_path = "contest"

    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(**{f"{self.contest_path}__in": contests_in_scope(user)})


class ContestQuerySet(_ContestScoped):
    contest_path = "pk"


class ContestAspectQuerySet(_ContestScoped):
    pass


class ContestIndicatorQuerySet(_ContestScoped):
    contest_path = "aspect__contest"


class ContestantQuerySet(_ContestScoped):
    pass


class ContestJudgeQuerySet(_ContestScoped):
    pass


class ScoreQuerySet(ScopedQuerySet):
    """A judge's own scores; the whole sheet of a published contest in the user's scope."""

    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        published = Q(judge__contest__published_at__isnull=False) & Q(
            judge__contest__in=contests_in_scope(user)
        )
        return self.filter(Q(judge__user=user) | published)


class ContestResultQuerySet(ScopedQuerySet):
    """Results are written when a contest closes and seen once they are published."""

    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(contest__published_at__isnull=False, contest__in=contests_in_scope(user))


def enrolment_scope(user, path: str = "") -> Q:
    prefix = f"{path}__" if path else ""
    orgs = orgs_in_scope(user)
    return (
        member_scope(user, f"{prefix}member")
        | Q(**{f"{prefix}contestant__member__user": user})
        | Q(**{f"{prefix}contestant__org__in": orgs})
    )


class LeadGooseEnrolmentQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(enrolment_scope(user))


class LeadGooseMilestoneQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(enrolment_scope(user, "enrolment"))
