"""Who sees training: the course list and the thresholds are the street's, records are personal.

Street staff and Party-work officers: every record. Otherwise the records of members of the
organisations in the user's jurisdiction (granted `party_work`, or led as secretary), and a
member's own records.
"""

from partybuilding.organisations.querysets import member_scope, sees_whole_street, takes_part
from portal.querysets import ScopedQuerySet


class TrainingCourseQuerySet(ScopedQuerySet):
    """Courses are one list for the whole street, like a timetable, read by everyone who takes
    part in its Party work; thresholds likewise."""

    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(takes_part(user))


class TrainingRecordQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(member_scope(user, "member"))


class TrainingThresholdQuerySet(ScopedQuerySet):
    def scoped_for(self, user):
        if sees_whole_street(user):
            return self.all()
        return self.filter(takes_part(user))
