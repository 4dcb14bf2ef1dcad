"""factory_boy factories of partybuilding: the organisation tree, members, 双报到, alliances,
organisational life, training and contests.

They write rows directly (no write service, no audit). An organisation gets its tree path right
after its insert, as the write that creates one does, so every factory builds a valid tree:
`BranchFactory()` is a branch under a fresh street committee, `BuildingGroupFactory(parent=b)`
a group under branch `b`.
"""

import datetime
from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone

from grids.models import Building
from partybuilding.models import (
    Alliance,
    AllianceAgreement,
    AllianceItem,
    AllianceMember,
    CommunityNeed,
    Contest,
    Contestant,
    ContestAspect,
    ContestIndicator,
    ContestJudge,
    ContestResult,
    ExchangeCircle,
    ExchangeCirclePost,
    LeadGooseEnrolment,
    LeadGooseMilestone,
    MeetingAttendance,
    MeetingKind,
    MeetingRequirement,
    MemberTransfer,
    OrgLifeMeeting,
    PartyMember,
    PartyOrg,
    PointRule,
    Score,
    ServiceHours,
    TrainingCourse,
    TrainingRecord,
    TrainingThreshold,
)
from portal.roles import Role
from portal.validators import uscc_make
from tests.grids.factories import GridFactory, RegionFactory
from tests.portal.factories import UserFactory


def local_dt(year, month, day, hour=10, minute=0) -> datetime.datetime:
    """An aware datetime in the portal's time zone (Asia/Shanghai)."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


class BuildingFactory(factory.django.DjangoModelFactory):
    """A building of a community (grids has no factory for it yet)."""

    class Meta:
        model = Building

    community = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"{n}幢")
    address = factory.Sequence(lambda n: f"滨江路{n}号")


# Organisations ---------------------------------------------------------------------------------


class PartyOrgFactory(factory.django.DjangoModelFactory):
    """A street Party committee (the root); the subclasses build the levels below it."""

    class Meta:
        model = PartyOrg

    name = factory.Sequence(lambda n: f"测试党委{n}")
    kind = PartyOrg.Kind.COMMITTEE
    parent = None
    community = None
    founded_on = date(2000, 7, 1)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        org = super()._create(model_class, *args, **kwargs)
        org.path = PartyOrg.path_for(parent=org.parent, pk=org.pk)
        org.save(update_fields=["path"])
        return org


class GeneralBranchFactory(PartyOrgFactory):
    name = factory.Sequence(lambda n: f"测试党总支{n}")
    kind = PartyOrg.Kind.GENERAL_BRANCH
    parent = factory.SubFactory(PartyOrgFactory)
    community = factory.SubFactory(RegionFactory)


class BranchFactory(PartyOrgFactory):
    name = factory.Sequence(lambda n: f"测试党支部{n}")
    kind = PartyOrg.Kind.BRANCH
    parent = factory.SubFactory(PartyOrgFactory)
    community = factory.SubFactory(RegionFactory)


class GridBranchFactory(BranchFactory):
    name = factory.Sequence(lambda n: f"网格党支部{n}")
    kind = PartyOrg.Kind.GRID_BRANCH
    grid = factory.SubFactory(GridFactory)
    community = factory.SelfAttribute("grid.community")


class BuildingGroupFactory(PartyOrgFactory):
    name = factory.Sequence(lambda n: f"楼道党小组{n}")
    kind = PartyOrg.Kind.BUILDING_GROUP
    parent = factory.SubFactory(BranchFactory)
    community = factory.SelfAttribute("parent.community")
    building = factory.SubFactory(BuildingFactory, community=factory.SelfAttribute("..community"))


class PartyMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartyMember

    name = factory.Sequence(lambda n: f"党员{n}")
    org = factory.SubFactory(BranchFactory)
    status = PartyMember.Status.FULL
    joined_party_on = date(2010, 7, 1)
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class ServingMemberFactory(PartyMemberFactory):
    """A serving member (在职党员) who reported (双报到) to their organisation's community."""

    serving = True
    employer = factory.Sequence(lambda n: f"测试单位{n}")
    reported_community = factory.SelfAttribute("org.community")
    reported_on = date(2025, 3, 1)


class PartyMemberUserFactory(UserFactory):
    """The member's own login."""

    role = Role.PARTY_MEMBER


class MemberTransferFactory(factory.django.DjangoModelFactory):
    """A transfer in from an outside organisation (by name) to the member's organisation."""

    class Meta:
        model = MemberTransfer

    member = factory.SubFactory(PartyMemberFactory)
    direction = MemberTransfer.Direction.IN
    date = date(2024, 5, 1)
    from_org_name = "外地某党支部"
    to_org = factory.SelfAttribute("member.org")


# 双报到 -----------------------------------------------------------------------------------------


class CommunityNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommunityNeed

    community = factory.SubFactory(RegionFactory)
    title = factory.Sequence(lambda n: f"社区需求{n}")
    category = CommunityNeed.Category.ELDERLY_CARE
    status = CommunityNeed.Status.OPEN


class PointRuleFactory(factory.django.DjangoModelFactory):
    """A point rule without evidence (tests that need evidence say so)."""

    class Meta:
        model = PointRule
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"t_rule_{n}")
    name = factory.Sequence(lambda n: f"积分规则{n}")
    points_per_hour = Decimal("1")
    evidence_required = False


class ServiceHoursFactory(factory.django.DjangoModelFactory):
    """Submitted hours of a serving member in the community they reported to."""

    class Meta:
        model = ServiceHours

    member = factory.SubFactory(ServingMemberFactory)
    community = factory.SelfAttribute("member.reported_community")
    served_on = date(2025, 6, 1)
    hours = Decimal("2.0")
    description = "陪老人聊天"
    rule = factory.SubFactory(PointRuleFactory)


# Alliances --------------------------------------------------------------------------------------


class AllianceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alliance

    name = factory.Sequence(lambda n: f"党建联盟{n}")
    kind = Alliance.Kind.CO_BUILDING
    lead_org = factory.SubFactory(BranchFactory)
    community = factory.SelfAttribute("lead_org.community")


class AllianceMemberFactory(factory.django.DjangoModelFactory):
    """An outside unit (a hospital by default) in an alliance, by name and USCC."""

    class Meta:
        model = AllianceMember

    alliance = factory.SubFactory(AllianceFactory)
    name = factory.Sequence(lambda n: f"成员单位{n}")
    kind = AllianceMember.Kind.HOSPITAL
    unit_uscc = factory.Sequence(lambda n: uscc_make(f"12330381MB{n:07d}"))
    joined_on = date(2024, 1, 1)


class PartyOrgAllianceMemberFactory(AllianceMemberFactory):
    """A Party organisation of the street in an alliance."""

    kind = AllianceMember.Kind.PARTY_ORG
    party_org = factory.SubFactory(BranchFactory)
    name = factory.SelfAttribute("party_org.name")
    unit_uscc = ""


class AllianceAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AllianceAgreement
        skip_postgeneration_save = True

    alliance = factory.SubFactory(AllianceFactory)
    title = factory.Sequence(lambda n: f"共建协议{n}")
    signed_on = date(2024, 12, 20)
    term_start = date(2025, 1, 1)
    term_end = date(2027, 12, 31)
    lead = factory.SubFactory(AllianceMemberFactory, alliance=factory.SelfAttribute("..alliance"))

    @factory.post_generation
    def parties(self, create, extracted, **kwargs):
        if create and extracted:
            self.parties.set(extracted)


class AllianceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AllianceItem

    alliance = factory.SubFactory(AllianceFactory)
    kind = AllianceItem.Kind.NEED
    title = factory.Sequence(lambda n: f"清单事项{n}")
    posted_by = factory.SubFactory(
        AllianceMemberFactory, alliance=factory.SelfAttribute("..alliance")
    )
    status = AllianceItem.Status.OPEN


class ExchangeCircleFactory(factory.django.DjangoModelFactory):
    """A circle; `orgs=[...]` puts organisations in it."""

    class Meta:
        model = ExchangeCircle
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"交流圈{n}")

    @factory.post_generation
    def orgs(self, create, extracted, **kwargs):
        if create and extracted:
            self.orgs.set(extracted)


class ExchangeCirclePostFactory(factory.django.DjangoModelFactory):
    """A post by an organisation of the circle (put into the circle if it is not yet)."""

    class Meta:
        model = ExchangeCirclePost
        skip_postgeneration_save = True

    circle = factory.SubFactory(ExchangeCircleFactory)
    org = factory.SubFactory(BranchFactory)
    kind = ExchangeCirclePost.Kind.PRACTICE
    title = factory.Sequence(lambda n: f"经验分享{n}")
    happened_on = date(2025, 5, 1)

    @factory.post_generation
    def _in_circle(self, create, extracted, **kwargs):
        if create:
            self.circle.orgs.add(self.org)


# Organisational life ----------------------------------------------------------------------------


class OrgLifeMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgLifeMeeting

    org = factory.SubFactory(BranchFactory)
    kind = MeetingKind.BRANCH_COMMITTEE
    held_on = date(2025, 6, 10)
    topic = factory.Sequence(lambda n: f"会议议题{n}")


class MeetingAttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeetingAttendance

    meeting = factory.SubFactory(OrgLifeMeetingFactory)
    member = factory.SubFactory(PartyMemberFactory, org=factory.SelfAttribute("..meeting.org"))
    status = MeetingAttendance.Status.PRESENT


class MeetingRequirementFactory(factory.django.DjangoModelFactory):
    """A requirement for one kind of organisation (the defaults of 0002 cover "any kind")."""

    class Meta:
        model = MeetingRequirement
        django_get_or_create = ("kind", "org_kind")

    kind = MeetingKind.THEME_DAY
    org_kind = PartyOrg.Kind.GRID_BRANCH
    period = MeetingRequirement.Period.MONTH


# Training ---------------------------------------------------------------------------------------


class TrainingCourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingCourse

    title = factory.Sequence(lambda n: f"培训课程{n}")
    topic = TrainingCourse.Topic.DISPUTE_MEDIATION
    hours = Decimal("4.0")
    mode = TrainingCourse.Mode.IN_PERSON
    held_on = date(2025, 4, 1)


class TrainingRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingRecord

    course = factory.SubFactory(TrainingCourseFactory)
    member = factory.SubFactory(PartyMemberFactory)
    hours = factory.SelfAttribute("course.hours")
    completed_on = factory.SelfAttribute("course.held_on")


class TrainingThresholdFactory(factory.django.DjangoModelFactory):
    """The threshold of a position (get-or-create: 0002 installs both positions)."""

    class Meta:
        model = TrainingThreshold
        django_get_or_create = ("position",)

    position = TrainingThreshold.Position.MEMBER
    yearly_hours = Decimal("32")


# Contests ---------------------------------------------------------------------------------------


class ContestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contest

    title = factory.Sequence(lambda n: f"擂台赛{n}")
    status = Contest.Status.OPEN
    held_on = date(2025, 9, 1)


class ClosedContestFactory(ContestFactory):
    status = Contest.Status.CLOSED
    closed_at = factory.LazyFunction(lambda: local_dt(2025, 9, 2))


class ContestAspectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContestAspect

    contest = factory.SubFactory(ContestFactory)
    name = factory.Sequence(lambda n: f"维度{n}")


class ContestIndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContestIndicator

    aspect = factory.SubFactory(ContestAspectFactory)
    name = factory.Sequence(lambda n: f"指标{n}")
    weight = Decimal("1.00")
    max_score = Decimal("10")


class ContestantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contestant

    contest = factory.SubFactory(ContestFactory)
    member = factory.SubFactory(PartyMemberFactory)
    name = factory.SelfAttribute("member.name")
    org = factory.SelfAttribute("member.org")


class ContestJudgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContestJudge

    contest = factory.SubFactory(ContestFactory)
    user = factory.SubFactory(UserFactory, role=Role.PARTY_OFFICER)


class ScoreFactory(factory.django.DjangoModelFactory):
    """A score of a judge, a contestant and an indicator of one contest."""

    class Meta:
        model = Score

    judge = factory.SubFactory(ContestJudgeFactory)
    contestant = factory.SubFactory(
        ContestantFactory, contest=factory.SelfAttribute("..judge.contest")
    )
    indicator = factory.SubFactory(
        ContestIndicatorFactory, aspect__contest=factory.SelfAttribute("...judge.contest")
    )
    value = Decimal("8.00")


class ContestResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContestResult

    contestant = factory.SubFactory(
        ContestantFactory, contest=factory.SubFactory(ClosedContestFactory)
    )
    contest = factory.SelfAttribute("contestant.contest")
    total = Decimal("8.500")
    rank = 1


class LeadGooseEnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadGooseEnrolment

    track = LeadGooseEnrolment.Track.LEAD_GOOSE
    member = factory.SubFactory(PartyMemberFactory)
    mentor = "街道党工委书记"
    plan = "一年内牵头一个共建项目"
    started_on = date(2025, 10, 1)


class LeadGooseMilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadGooseMilestone

    enrolment = factory.SubFactory(LeadGooseEnrolmentFactory)
    title = factory.Sequence(lambda n: f"培养节点{n}")
    due_on = date(2026, 3, 31)
