"""Who sees the task flow:

- street staff: every task, assignment, value and delegation;
- a district integration: the tasks it sent (and their events) — the answer is built from
  them by the selector, never from rows it may list itself;
- a community cadre: the tasks issued to their communities, those communities' assignments,
  values and delegations;
- a grid worker or leader: the delegations made to them and the values of exactly those
  fields (nothing else of the form);
- partners, Party roles, anyone else: nothing.
"""

from django.db.models import Exists, OuterRef, Q

from portal.querysets import ScopedQuerySet
from reporting.scope import my_communities


def _model(name):
    from django.apps import apps

    return apps.get_model("reporting", name)


class ReportTaskQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_integration:
            return self.filter(Q(created_by=user) | Q(template__created_by=user))
        if user.is_community_cadre:
            issued = _model("ReportAssignment").objects.filter(community__in=my_communities(user))
            return self.filter(pk__in=issued.values("task"))
        return self.none()


class TaskEventQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        return self.filter(task__in=_model("ReportTask").objects.scoped_for(user).values("pk"))


class ReportAssignmentQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_community_cadre:
            return self.filter(community__in=my_communities(user))
        return self.none()


class AssignmentValueQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_community_cadre:
            return self.filter(assignment__community__in=my_communities(user))
        if user.is_grid_staff:
            delegated = _model("FieldDelegation").objects.filter(
                worker=user, assignment=OuterRef("assignment"), field=OuterRef("field")
            )
            return self.filter(Exists(delegated))
        return self.none()


class FieldDelegationQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if user.is_street_staff:
            return self.all()
        if user.is_community_cadre:
            return self.filter(assignment__community__in=my_communities(user))
        if user.is_grid_staff:
            return self.filter(worker=user)
        return self.none()
