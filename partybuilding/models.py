"""The models of partybuilding/, one module per room, all importable from `partybuilding.models`.

- organisations: PartyOrg (the tree, with its `party_work` grant table), PartyMember,
  MemberTransfer
- serving (双报到): CommunityNeed, PointRule, ServiceHours
- alliances (党建联盟): Alliance, AllianceMember, AllianceAgreement, AllianceItem,
  ExchangeCircle, ExchangeCirclePost
- orglife (三会一课): OrgLifeMeeting, MeetingAttendance, MeetingRequirement
- training: TrainingCourse, TrainingRecord, TrainingThreshold
- contests (擂台赛 → 领头雁): Contest, ContestAspect, ContestIndicator, Contestant, ContestJudge,
  Score, ContestResult, LeadGooseEnrolment, LeadGooseMilestone

Who sees which rows is each room's `querysets.py`; the Party-work jurisdiction they share
(`orgs_in_scope`: granted or led organisations and their subtrees) is in
partybuilding/organisations/querysets.py.
"""

from partybuilding.alliances.models import (
    Alliance,
    AllianceAgreement,
    AllianceItem,
    AllianceMember,
    ExchangeCircle,
    ExchangeCirclePost,
)
from partybuilding.contests.models import (
    Contest,
    Contestant,
    ContestAspect,
    ContestIndicator,
    ContestJudge,
    ContestResult,
    LeadGooseEnrolment,
    LeadGooseMilestone,
    Score,
)
from partybuilding.organisations.models import (
    MemberTransfer,
    PartyMember,
    PartyOrg,
    PartyOrgUserObjectPermission,
)
from partybuilding.orglife.models import (
    MeetingAttendance,
    MeetingKind,
    MeetingRequirement,
    OrgLifeMeeting,
)
from partybuilding.serving.models import CommunityNeed, PointRule, ServiceHours
from partybuilding.training.models import TrainingCourse, TrainingRecord, TrainingThreshold

__all__ = [
    "Alliance",
    "AllianceAgreement",
    "AllianceItem",
    "AllianceMember",
    "CommunityNeed",
    "Contest",
    "ContestAspect",
    "ContestIndicator",
    "ContestJudge",
    "ContestResult",
    "Contestant",
    "ExchangeCircle",
    "ExchangeCirclePost",
    "LeadGooseEnrolment",
    "LeadGooseMilestone",
    "MeetingAttendance",
    "MeetingKind",
    "MeetingRequirement",
    "MemberTransfer",
    "OrgLifeMeeting",
    "PartyMember",
    "PartyOrg",
    "PartyOrgUserObjectPermission",
    "PointRule",
    "Score",
    "ServiceHours",
    "TrainingCourse",
    "TrainingRecord",
    "TrainingThreshold",
]
