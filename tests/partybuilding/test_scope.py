"""Who sees which Party rows: `Model.objects.visible_to(person)` for every model of partybuilding.

One little world (the `world` fixture) holds labelled rows on branch A's side, on branch B's
side and of the member's own; each model's table says which labels each person sees. The
street (administrator, cadre) and the Party-work officer see every row; the community cadre
granted Party work on branch A sees its subtree (and the 双报到 of community A); the secretary
of branch A the members, meetings, training and hours of its subtree; the member their own
records; a community cadre without the grant, grid staff, partner staff, an account without a
role and the anonymous visitor see nothing at all.
"""

from datetime import date

import pytest
from django.utils import timezone

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
from portal.grants import jurisdiction_grant
from portal.roles import Role
from tests.grids.factories import RegionFactory
from tests.helpers import assert_constant_queries
from tests.partybuilding.factories import (
    AllianceAgreementFactory,
    AllianceFactory,
    AllianceItemFactory,
    AllianceMemberFactory,
    ClosedContestFactory,
    CommunityNeedFactory,
    ContestantFactory,
    ContestAspectFactory,
    ContestFactory,
    ContestIndicatorFactory,
    ContestJudgeFactory,
    ContestResultFactory,
    ExchangeCircleFactory,
    ExchangeCirclePostFactory,
    LeadGooseEnrolmentFactory,
    LeadGooseMilestoneFactory,
    MeetingAttendanceFactory,
    MemberTransferFactory,
    OrgLifeMeetingFactory,
    PartyMemberFactory,
    PartyOrgAllianceMemberFactory,
    PartyOrgFactory,
    PointRuleFactory,
    ScoreFactory,
    ServiceHoursFactory,
    ServingMemberFactory,
    TrainingCourseFactory,
    TrainingRecordFactory,
    local_dt,
)
from tests.portal.factories import UserFactory

WHOLE_STREET = ("street_admin", "street_cadre", "party_officer")
NOBODY = (
    "community_cadre",
    "grid_leader",
    "grid_worker",
    "partner_staff",
    "outsider",
    "anonymous",
)
ALL = "all"  # every row of the table
CONFIGURATION = {"party_cadre": ALL, "secretary": ALL, "member": ALL}


@pytest.fixture
def world(
    street_committee,
    branch_a,
    group_a,
    branch_b,
    member,
    secretary,
    community_a,
    community_b,
):
    """{model: {label: row}} — every row of every partybuilding table, labelled.

    own: the member's own; a: branch A's side (a member of building group A); b: branch B's
    side; b_in_a: a member of branch B who reported (双报到) to community A.
    """
    me = member.party_member
    me.serving, me.reported_community, me.reported_on = True, community_b, date(2025, 3, 1)
    me.save()
    sec = secretary.party_member
    other_a = PartyMemberFactory(name="党员乙", org=group_a)
    member_b = ServingMemberFactory(name="党员丙", org=branch_b)
    b_in_a = ServingMemberFactory(name="党员丁", org=branch_b, reported_community=community_a)

    rule = PointRuleFactory()
    need_claimed = CommunityNeedFactory(
        community=RegionFactory(),
        status=CommunityNeed.Status.CLAIMED,
        claimed_by=me,
        claimed_at=timezone.now(),
    )

    alliance_a = AllianceFactory(lead_org=branch_a)
    alliance_b = AllianceFactory(lead_org=branch_b)
    alliance_ab = AllianceFactory(lead_org=branch_b)
    am_a = AllianceMemberFactory(alliance=alliance_a)
    am_b = AllianceMemberFactory(alliance=alliance_b)
    circle_a = ExchangeCircleFactory(orgs=[branch_a])
    circle_b = ExchangeCircleFactory(orgs=[branch_b])

    meeting_a = OrgLifeMeetingFactory(org=branch_a)
    meeting_group = OrgLifeMeetingFactory(org=group_a, kind=MeetingKind.GROUP_MEETING)
    meeting_b = OrgLifeMeetingFactory(org=branch_b)
    course = TrainingCourseFactory()

    contest_a = ClosedContestFactory(published_at=local_dt(2025, 9, 3))
    contest_b = ClosedContestFactory()
    contest_judged = ContestFactory()
    officer_judges = {c: ContestJudgeFactory(contest=c) for c in (contest_a, contest_b)}
    judged_own = ContestJudgeFactory(contest=contest_judged, user=member)
    judged_other = ContestJudgeFactory(contest=contest_judged)
    contestants = {
        contest_a: ContestantFactory(contest=contest_a, member=other_a),
        contest_b: ContestantFactory(contest=contest_b, member=member_b),
        contest_judged: ContestantFactory(contest=contest_judged, member=member_b),
    }
    indicators = {
        c: ContestIndicatorFactory(aspect=ContestAspectFactory(contest=c))
        for c in (contest_a, contest_b, contest_judged)
    }

    def score(judge, contest):
        return ScoreFactory(
            judge=judge, contestant=contestants[contest], indicator=indicators[contest]
        )

    enrolments = {
        "own": LeadGooseEnrolmentFactory(member=me),
        "a": LeadGooseEnrolmentFactory(member=other_a),
        "b": LeadGooseEnrolmentFactory(member=member_b),
    }

    labelled = {
        PartyOrg: {
            "committee": street_committee,
            "branch_a": branch_a,
            "group_a": group_a,
            "branch_b": branch_b,
        },
        PartyMember: {"own": me, "secretary": sec, "a": other_a, "b": member_b, "b_in_a": b_in_a},
        MemberTransfer: {
            "own": MemberTransferFactory(member=me),
            "a": MemberTransferFactory(member=other_a),
            "b": MemberTransferFactory(member=member_b),
        },
        CommunityNeed: {
            "a": CommunityNeedFactory(community=community_a),
            "b": CommunityNeedFactory(community=community_b),
            "claimed": need_claimed,
        },
        ServiceHours: {
            "own": ServiceHoursFactory(member=me, rule=rule),
            "a": ServiceHoursFactory(member=other_a, community=community_a, rule=rule),
            "b": ServiceHoursFactory(member=member_b, rule=rule),
            "b_in_a": ServiceHoursFactory(member=b_in_a, rule=rule),
        },
        Alliance: {"a": alliance_a, "b": alliance_b, "ab": alliance_ab},
        AllianceMember: {
            "a": am_a,
            "b": am_b,
            "ab": PartyOrgAllianceMemberFactory(alliance=alliance_ab, party_org=group_a),
        },
        AllianceAgreement: {
            "a": AllianceAgreementFactory(alliance=alliance_a, lead=am_a, parties=[am_a]),
            "b": AllianceAgreementFactory(alliance=alliance_b, lead=am_b),
        },
        AllianceItem: {
            "a": AllianceItemFactory(alliance=alliance_a, posted_by=am_a),
            "b": AllianceItemFactory(alliance=alliance_b, posted_by=am_b),
        },
        ExchangeCircle: {"a": circle_a, "b": circle_b},
        ExchangeCirclePost: {
            "a": ExchangeCirclePostFactory(circle=circle_a, org=branch_a),
            "b": ExchangeCirclePostFactory(circle=circle_b, org=branch_b),
        },
        OrgLifeMeeting: {"a": meeting_a, "group": meeting_group, "b": meeting_b},
        MeetingAttendance: {
            "own": MeetingAttendanceFactory(meeting=meeting_a, member=me),
            "a": MeetingAttendanceFactory(meeting=meeting_group, member=other_a),
            "b": MeetingAttendanceFactory(meeting=meeting_b, member=member_b),
        },
        TrainingRecord: {
            "own": TrainingRecordFactory(course=course, member=me),
            "a": TrainingRecordFactory(course=course, member=other_a),
            "b": TrainingRecordFactory(course=course, member=member_b),
        },
        Contest: {"a": contest_a, "b": contest_b, "judged": contest_judged},
        ContestAspect: {
            "a": indicators[contest_a].aspect,
            "b": indicators[contest_b].aspect,
            "judged": indicators[contest_judged].aspect,
        },
        ContestIndicator: {
            "a": indicators[contest_a],
            "b": indicators[contest_b],
            "judged": indicators[contest_judged],
        },
        Contestant: {
            "a": contestants[contest_a],
            "b": contestants[contest_b],
            "judged": contestants[contest_judged],
        },
        ContestJudge: {
            "a": officer_judges[contest_a],
            "b": officer_judges[contest_b],
            "judged_own": judged_own,
            "judged_other": judged_other,
        },
        Score: {
            "a": score(officer_judges[contest_a], contest_a),
            "b": score(officer_judges[contest_b], contest_b),
            "own": score(judged_own, contest_judged),
            "other": score(judged_other, contest_judged),
        },
        ContestResult: {
            "a": ContestResultFactory(contest=contest_a, contestant=contestants[contest_a]),
            "b": ContestResultFactory(contest=contest_b, contestant=contestants[contest_b]),
        },
        LeadGooseEnrolment: enrolments,
        LeadGooseMilestone: {
            label: LeadGooseMilestoneFactory(enrolment=enrolment)
            for label, enrolment in enrolments.items()
        },
    }
    # The street's configuration: the defaults of migration 0002 plus one more rule and course.
    for model in (PointRule, MeetingRequirement, TrainingThreshold, TrainingCourse):
        labelled[model] = {f"row{row.pk}": row for row in model.objects.all()}
    return labelled


SECRETARY_AND_CADRE = {"own", "secretary", "a", "b_in_a"}

# model → {person: labels seen}; the whole street sees ALL, NOBODY sees nothing.
EXPECTED = {
    PartyOrg: {
        "party_cadre": {"branch_a", "group_a"},
        "secretary": {"branch_a", "group_a"},
        "member": {"branch_a"},  # their own organisation
    },
    PartyMember: {
        "party_cadre": SECRETARY_AND_CADRE,
        "secretary": SECRETARY_AND_CADRE,
        "member": {"own"},
    },
    MemberTransfer: {"party_cadre": {"own", "a"}, "secretary": {"own", "a"}, "member": {"own"}},
    # The member reported to community B: they see B's needs (to claim) and what they claimed.
    CommunityNeed: {"party_cadre": {"a"}, "secretary": {"a"}, "member": {"b", "claimed"}},
    ServiceHours: {
        "party_cadre": {"own", "a", "b_in_a"},
        "secretary": {"own", "a", "b_in_a"},
        "member": {"own"},
    },
    PointRule: CONFIGURATION,
    # Alliances are Party work, not a member's record: a plain member reads none; a secretary
    # acts for the branch they lead (a member unit) and sees what a granted cadre sees.
    Alliance: {"party_cadre": {"a", "ab"}, "secretary": {"a", "ab"}, "member": set()},
    AllianceMember: {"party_cadre": {"a", "ab"}, "secretary": {"a", "ab"}, "member": set()},
    AllianceAgreement: {"party_cadre": {"a"}, "secretary": {"a"}, "member": set()},
    AllianceItem: {"party_cadre": {"a"}, "secretary": {"a"}, "member": set()},
    ExchangeCircle: {"party_cadre": {"a"}, "secretary": {"a"}, "member": set()},
    ExchangeCirclePost: {"party_cadre": {"a"}, "secretary": {"a"}, "member": set()},
    OrgLifeMeeting: {
        "party_cadre": {"a", "group"},
        "secretary": {"a", "group"},
        "member": {"a"},  # the meeting they were on the list of
    },
    MeetingAttendance: {"party_cadre": {"own", "a"}, "secretary": {"own", "a"}, "member": {"own"}},
    MeetingRequirement: CONFIGURATION,
    TrainingCourse: CONFIGURATION,
    TrainingRecord: {"party_cadre": {"own", "a"}, "secretary": {"own", "a"}, "member": {"own"}},
    TrainingThreshold: CONFIGURATION,
    Contest: {"party_cadre": {"a"}, "secretary": {"a"}, "member": {"judged"}},
    ContestAspect: {"party_cadre": {"a"}, "secretary": {"a"}, "member": {"judged"}},
    ContestIndicator: {"party_cadre": {"a"}, "secretary": {"a"}, "member": {"judged"}},
    Contestant: {"party_cadre": {"a"}, "secretary": {"a"}, "member": {"judged"}},
    ContestJudge: {
        "party_cadre": {"a"},
        "secretary": {"a"},
        "member": {"judged_own", "judged_other"},
    },
    # Contest A is published (its sheet is seen); the member judges an open contest and sees
    # only their own score in it.
    Score: {"party_cadre": {"a"}, "secretary": {"a"}, "member": {"own"}},
    ContestResult: {"party_cadre": {"a"}, "secretary": {"a"}, "member": set()},
    LeadGooseEnrolment: {
        "party_cadre": {"own", "a"},
        "secretary": {"own", "a"},
        "member": {"own"},
    },
    LeadGooseMilestone: {
        "party_cadre": {"own", "a"},
        "secretary": {"own", "a"},
        "member": {"own"},
    },
}


def _person(request, name):
    return None if name == "anonymous" else request.getfixturevalue(name)


def _seen(model, rows, user) -> set[str]:
    label_of = {row.pk: label for label, row in rows.items()}
    return {label_of[pk] for pk in model.objects.visible_to(user).values_list("pk", flat=True)}


def test_every_model_has_a_table():
    from django.apps import apps

    models = {
        m
        for m in apps.get_app_config("partybuilding").get_models()
        if not m.__name__.endswith("UserObjectPermission")
    }
    assert models == set(EXPECTED)


@pytest.mark.parametrize("model", list(EXPECTED), ids=lambda m: m.__name__)
def test_who_sees_which_rows(request, world, model):
    rows = world[model]
    # Every row of the table is labelled, so nothing unlabelled can leak unseen.
    assert model.objects.count() == len(rows)
    everything = set(rows)
    expected = dict.fromkeys(WHOLE_STREET, everything)
    expected |= {name: set() for name in NOBODY}
    expected |= {
        name: everything if labels == ALL else labels for name, labels in EXPECTED[model].items()
    }
    actual = {name: _seen(model, rows, _person(request, name)) for name in expected}
    wrong = {
        name: (expected[name], actual[name]) for name in expected if actual[name] != expected[name]
    }
    assert not wrong, "person: (expected, seen)\n" + "\n".join(
        f"{name}: {exp} → {got}" for name, (exp, got) in wrong.items()
    )


def test_a_scoring_judge_sees_the_whole_sheet_once_published(world, member):
    contest = world[Contest]["judged"]
    contest.status, contest.closed_at = Contest.Status.CLOSED, local_dt(2025, 9, 2)
    contest.published_at = local_dt(2025, 9, 3)
    contest.save()
    assert _seen(Score, world[Score], member) == {"own", "other"}


def test_revoking_the_grant_empties_the_cadre_scope(world, party_cadre, branch_a):
    from portal.grants import jurisdiction_revoke

    jurisdiction_revoke(actor=None, user=party_cadre, perm="partybuilding.party_work", obj=branch_a)
    assert not PartyMember.objects.visible_to(party_cadre).exists()
    assert not PointRule.objects.visible_to(party_cadre).exists()


def test_a_grant_on_the_street_committee_covers_the_whole_tree(world, street_committee):
    cadre = UserFactory(username="t_street_party", role=Role.COMMUNITY_CADRE)
    jurisdiction_grant(
        actor=None, user=cadre, perm="partybuilding.party_work", obj=street_committee
    )
    assert _seen(PartyOrg, world[PartyOrg], cadre) == set(world[PartyOrg])
    assert _seen(PartyMember, world[PartyMember], cadre) == set(world[PartyMember])


def test_a_replaced_secretary_sees_only_their_own_record(world, secretary, branch_a):
    """The secretary's extra sight comes from the post: another secretary, and it is gone."""
    branch_a.secretary = PartyMemberFactory(org=branch_a)
    branch_a.save(update_fields=["secretary"])
    assert _seen(PartyMember, world[PartyMember], secretary) == {"secretary"}


def test_subtree_scope_is_one_query_however_deep_the_tree(street_committee):
    """A chain of committees nested ever deeper, each with a member: listing the members a
    cadre granted at the top of the chain sees stays one query (the subtree is a subquery on
    the materialised path, not a walk down the tree)."""
    top = PartyOrgFactory(parent=street_committee)
    cadre = UserFactory(username="t_deep_party", role=Role.COMMUNITY_CADRE)
    jurisdiction_grant(actor=None, user=cadre, perm="partybuilding.party_work", obj=top)
    chain = [top]

    def add_rows(n):
        for _ in range(n):
            chain.append(PartyOrgFactory(parent=chain[-1]))
            PartyMemberFactory(org=chain[-1])

    def fetch():
        return list(PartyMember.objects.visible_to(cadre))

    # 1. the members whose organisation's path starts with a granted root's path (one SELECT)
    assert_constant_queries(add_rows=add_rows, fetch=fetch, expected=1)
    assert len(fetch()) == 20
