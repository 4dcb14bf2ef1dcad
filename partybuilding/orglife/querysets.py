"""Who sees organisational life (三会一课, 主题党日): meetings and attendance.

Street staff and Party-work officers: all. Otherwise the meetings of the organisations in the
user's jurisdiction (granted `party_work`, or led as secretary), and a member the meetings they
were on the attendance list of, and their own attendance.
"""

from django.apps import apps
from django.db.models import Q

from partybuilding.organisations.querysets import (
    orgs_in_scope,
    sees_whole_street,
    takes_part,
)
from portal.querysets import ScopedQuerySet


class OrgLifeMeetingQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        attended = (
            apps.get_model("partybuilding", "MeetingAttendance")
            .objects.filter(member__user=user)
            .values("meeting")
        )
        return self.filter(Q(org__in=orgs_in_scope(user)) | Q(pk__in=attended))


class MeetingAttendanceQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(Q(meeting__org__in=orgs_in_scope(user)) | Q(member__user=user))


class MeetingRequirementQuerySet(ScopedQuerySet):
    """The required frequencies are one table for the street, read by everyone who takes part in
    its Party work."""

    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(takes_part(user))
