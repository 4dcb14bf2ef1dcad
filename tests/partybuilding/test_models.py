"""The rules the Party models keep: `clean()` for what spans fields and rows (a form shows the
message), check and unique constraints for what the database can hold on its own (no write
path, however careless, stores it), and the defaults the data migration installs."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from partybuilding.models import (
    AllianceItem,
    AllianceMember,
    CommunityNeed,
    Contest,
    LeadGooseEnrolment,
    MeetingKind,
    MeetingRequirement,
    MemberTransfer,
    PartyMember,
    PartyOrg,
    PointRule,
    TrainingRecord,
    TrainingThreshold,
)
from tests.grids.factories import GridFactory
from tests.partybuilding.factories import (
    AllianceAgreementFactory,
    AllianceItemFactory,
    AllianceMemberFactory,
    BranchFactory,
    BuildingFactory,
    BuildingGroupFactory,
    ClosedContestFactory,
    CommunityNeedFactory,
    ContestantFactory,
    ContestFactory,
    ContestIndicatorFactory,
    ContestJudgeFactory,
    ContestResultFactory,
    ExchangeCircleFactory,
    ExchangeCirclePostFactory,
    GeneralBranchFactory,
    GridBranchFactory,
    LeadGooseEnrolmentFactory,
    LeadGooseMilestoneFactory,
    MeetingAttendanceFactory,
    MemberTransferFactory,
    OrgLifeMeetingFactory,
    PartyMemberFactory,
    PartyOrgFactory,
    PointRuleFactory,
    ScoreFactory,
    ServiceHoursFactory,
    ServingMemberFactory,
    TrainingCourseFactory,
    TrainingRecordFactory,
)

pytestmark = pytest.mark.django_db


def errors_of(obj) -> dict[str, list[str]]:
    """The field errors full_clean() reports ({} when the object is valid)."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        return exc.message_dict
    return {}


def refused_by_database(obj, **changes) -> bool:
    """Whether the database refuses `obj` saved with `changes` (in a savepoint)."""
    for name, value in changes.items():
        setattr(obj, name, value)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        return True
    return False


# Organisations ----------------------------------------------------------------------------------


def test_a_valid_tree_cleans():
    group = BuildingGroupFactory()
    branch = group.parent
    assert errors_of(branch.parent) == {}
    assert errors_of(branch) == {}
    assert errors_of(group) == {}
    assert group.path == f"{branch.path}{group.pk}/"
    assert (branch.parent.depth, branch.depth, group.depth) == (0, 1, 2)
    assert group.is_in_subtree_of(branch.parent)
    assert set(PartyOrg.objects.subtree_of(branch)) == {branch, group}


def test_only_a_committee_stands_at_the_top():
    branch = BranchFactory()
    branch.parent = None
    assert "parent" in errors_of(branch)
    assert refused_by_database(branch, parent=None)


@pytest.mark.parametrize(
    ("kind", "parent_kind", "allowed"),
    [
        (PartyOrg.Kind.COMMITTEE, PartyOrg.Kind.COMMITTEE, True),
        (PartyOrg.Kind.GENERAL_BRANCH, PartyOrg.Kind.COMMITTEE, True),
        (PartyOrg.Kind.BRANCH, PartyOrg.Kind.GENERAL_BRANCH, True),
        (PartyOrg.Kind.JOINT_BRANCH, PartyOrg.Kind.COMMITTEE, True),
        (PartyOrg.Kind.BRANCH, PartyOrg.Kind.BRANCH, False),
        (PartyOrg.Kind.GENERAL_BRANCH, PartyOrg.Kind.GENERAL_BRANCH, False),
        (PartyOrg.Kind.BUILDING_GROUP, PartyOrg.Kind.COMMITTEE, False),
        (PartyOrg.Kind.COMMITTEE, PartyOrg.Kind.BRANCH, False),
    ],
)
def test_a_kind_stands_under_the_kinds_it_belongs_to(kind, parent_kind, allowed):
    parents = {
        PartyOrg.Kind.COMMITTEE: PartyOrgFactory,
        PartyOrg.Kind.GENERAL_BRANCH: GeneralBranchFactory,
        PartyOrg.Kind.BRANCH: BranchFactory,
    }
    parent = parents[parent_kind]()
    org = PartyOrg(name="新组织", kind=kind, parent=parent, community=parent.community)
    assert ("parent" not in errors_of(org)) is allowed


def test_a_grid_branch_needs_its_grid_and_a_building_group_its_building():
    grid_branch = GridBranchFactory()
    assert refused_by_database(grid_branch, grid=None)
    grid_branch.grid = None
    assert "grid" in errors_of(grid_branch)
    group = BuildingGroupFactory()
    assert refused_by_database(group, building=None)
    group.building = None
    assert "building" in errors_of(group)


def test_grid_and_building_lie_in_the_organisation_s_community():
    grid_branch = GridBranchFactory()
    grid_branch.grid = GridFactory()  # in another community
    assert "grid" in errors_of(grid_branch)
    group = BuildingGroupFactory()
    group.building = BuildingFactory()
    assert "building" in errors_of(group)


def test_an_organisation_cannot_move_under_its_own_subtree():
    top = PartyOrgFactory()
    below = PartyOrgFactory(parent=top)  # a committee under a committee: allowed
    top.parent = below
    with translation.override("en"):
        assert errors_of(top)["parent"] == ["An organisation cannot be placed under itself."]


def test_dissolved_after_founded():
    branch = BranchFactory(founded_on=date(2020, 1, 1))
    branch.dissolved_on = date(2019, 12, 31)
    assert "dissolved_on" in errors_of(branch)
    assert refused_by_database(branch)


def test_the_path_has_its_shape_and_is_unique():
    branch, other = BranchFactory(), BranchFactory()
    assert refused_by_database(other, path=branch.path)
    assert refused_by_database(branch, path="1/2")


def test_the_host_unit_s_uscc_is_checked_and_normalised():
    branch = BranchFactory(host_unit="某医院")
    branch.host_unit_uscc = "91350100M000100Y44"  # wrong check character
    assert "host_unit_uscc" in errors_of(branch)
    branch.host_unit_uscc = "91350100m000100y43"
    assert errors_of(branch) == {}
    assert branch.host_unit_uscc == "91350100M000100Y43"


def test_the_secretary_is_a_member_of_the_organisation():
    branch, elsewhere = BranchFactory(), BranchFactory()
    branch.secretary = PartyMemberFactory(org=elsewhere)
    assert "secretary" in errors_of(branch)
    branch.secretary = PartyMemberFactory(org=branch)
    assert errors_of(branch) == {}


def test_only_a_serving_member_reports_to_a_community():
    member = ServingMemberFactory()
    assert errors_of(member) == {}
    member.serving = False
    assert "reported_community" in errors_of(member)
    assert refused_by_database(member)


def test_reported_on_needs_the_community():
    member = PartyMemberFactory(serving=True)
    member.reported_on = date(2025, 1, 1)
    assert "reported_on" in errors_of(member)
    assert refused_by_database(member)


def test_a_member_transfers_out_after_transferring_in():
    member = PartyMemberFactory(transferred_in_on=date(2024, 1, 1))
    member.transferred_out_on = date(2023, 12, 31)
    assert "transferred_out_on" in errors_of(member)
    assert refused_by_database(member)


def test_a_member_s_phone_is_validated_encrypted_and_masked():
    member = PartyMemberFactory(phone="13800001234")
    assert member.phone_masked == "138****1234"
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM partybuilding_partymember WHERE id = %s", [member.pk])
        (stored,) = cursor.fetchone()
    assert "13800001234" not in stored
    assert PartyMember.objects.filter(phone_hash=member.phone_hash).get() == member
    member.phone = "12345"
    assert "phone" in errors_of(member)


def test_resident_and_login_belong_to_one_member_each(resident_a):
    PartyMemberFactory(resident=resident_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        PartyMemberFactory(resident=resident_a)
    PartyMemberFactory(resident=None)
    PartyMemberFactory(resident=None)  # many without a resident


def test_a_transfer_names_our_side_and_the_other_side():
    member = PartyMemberFactory()
    transfer = MemberTransferFactory(member=member)
    assert errors_of(transfer) == {}
    assert transfer.from_display == "外地某党支部"
    assert refused_by_database(transfer, to_org=None)
    out = MemberTransfer(
        member=member, direction=MemberTransfer.Direction.OUT, date=date(2025, 1, 1)
    )
    out.from_org = member.org
    assert "to_org_name" in errors_of(out)
    out.to_org = member.org
    assert "to_org" in errors_of(out)  # not to the organisation it leaves
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberTransfer.objects.create(
            member=member, direction="out", date=date(2025, 1, 1), to_org_name="外地"
        )


# 双报到 -----------------------------------------------------------------------------------------


def test_a_claimed_need_names_its_member_and_an_open_one_none():
    need = CommunityNeedFactory()
    assert refused_by_database(need, status=CommunityNeed.Status.CLAIMED)
    need.refresh_from_db()
    need.status = CommunityNeed.Status.CLAIMED
    assert "claimed_by" in errors_of(need)
    member = ServingMemberFactory()
    assert refused_by_database(need, status="open", claimed_by=member, claimed_at=timezone.now())


def test_a_need_is_done_after_it_was_claimed():
    member = ServingMemberFactory()
    claimed = timezone.now()
    need = CommunityNeedFactory(
        community=member.reported_community,
        status=CommunityNeed.Status.CLAIMED,
        claimed_by=member,
        claimed_at=claimed,
    )
    assert refused_by_database(need, status="done")  # done without a time
    need.refresh_from_db()
    need.status, need.done_at = CommunityNeed.Status.DONE, claimed - timedelta(hours=1)
    assert "done_at" in errors_of(need)
    assert refused_by_database(need)


@pytest.mark.parametrize(
    ("hours", "valid"),
    [("0.4", False), ("0.5", True), ("8", True), ("24", True), ("24.5", False)],
)
def test_hours_are_between_half_an_hour_and_a_day(hours, valid):
    record = ServiceHoursFactory()
    record.hours = Decimal(hours)
    assert ("hours" not in errors_of(record)) is valid
    assert refused_by_database(record) is not valid


def test_evidence_is_required_when_the_rule_says_so():
    rule = PointRuleFactory(evidence_required=True)
    record = ServiceHoursFactory(rule=rule)
    assert "evidence" in errors_of(record)
    record.evidence = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
    assert "evidence" not in errors_of(record)


def test_service_is_logged_once_it_happened_in_the_need_s_community():
    record = ServiceHoursFactory()
    record.served_on = timezone.localdate() + timedelta(days=1)
    assert "served_on" in errors_of(record)
    record.served_on = timezone.localdate()
    record.need = CommunityNeedFactory()  # another community
    assert "need" in errors_of(record)


def test_points_are_set_only_on_review():
    record = ServiceHoursFactory()
    assert refused_by_database(record, points=Decimal("2"))  # submitted, yet points
    record.refresh_from_db()
    assert refused_by_database(record, status="approved", reviewed_at=timezone.now())
    record.refresh_from_db()
    assert not refused_by_database(
        record, status="approved", reviewed_at=timezone.now(), points=Decimal("2")
    )


def test_a_rule_turns_hours_into_points_and_is_never_negative():
    rule = PointRuleFactory(points_per_hour=Decimal("1.5"), points_per_item=Decimal("2"))
    assert rule.points_for(Decimal("3")) == Decimal("6.5")
    assert refused_by_database(rule, points_per_hour=Decimal("-1"))


def test_the_default_point_rule_credits_an_hour_a_point_with_evidence():
    rule = PointRule.objects.get(code="serving_hours")
    assert (rule.points_per_hour, rule.evidence_required, rule.active) == (Decimal("1"), True, True)


# Alliances --------------------------------------------------------------------------------------


def test_an_alliance_member_that_is_a_party_org_names_it():
    member = AllianceMemberFactory()
    assert errors_of(member) == {}
    member.kind = AllianceMember.Kind.PARTY_ORG
    assert "party_org" in errors_of(member)
    assert refused_by_database(member)


def test_an_alliance_member_s_uscc_and_dates_are_checked():
    member = AllianceMemberFactory()
    member.unit_uscc = "91350100M000100Y44"
    assert "unit_uscc" in errors_of(member)
    member.unit_uscc = ""
    member.left_on = member.joined_on - timedelta(days=1)
    assert "left_on" in errors_of(member)
    assert refused_by_database(member)


def test_an_alliance_holds_a_unit_once():
    member = AllianceMemberFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        AllianceMemberFactory(alliance=member.alliance, name=member.name)


def test_an_agreement_s_term_ends_after_it_starts_and_its_lead_is_a_member():
    agreement = AllianceAgreementFactory()
    assert errors_of(agreement) == {}
    agreement.term_end = agreement.term_start
    assert "term_end" in errors_of(agreement)
    assert refused_by_database(agreement)
    agreement.refresh_from_db()
    agreement.lead = AllianceMemberFactory()  # of another alliance
    assert "lead" in errors_of(agreement)


def test_an_item_is_claimed_by_another_member_of_the_same_alliance():
    item = AllianceItemFactory()
    item.status, item.claimed_at = AllianceItem.Status.CLAIMED, timezone.now()
    item.claimed_by = item.posted_by
    assert "claimed_by" in errors_of(item)
    item.claimed_by = AllianceMemberFactory()  # of another alliance
    assert "claimed_by" in errors_of(item)
    item.claimed_by = AllianceMemberFactory(alliance=item.alliance)
    assert errors_of(item) == {}
    assert refused_by_database(item, claimed_by=None)


def test_only_a_project_links_to_a_referral_or_an_activity_by_kind_and_id():
    item = AllianceItemFactory()
    item.linked_kind, item.linked_id = AllianceItem.LinkedKind.REFERRAL, 7
    assert "linked_kind" in errors_of(item)
    assert refused_by_database(item)
    project = AllianceItemFactory(kind=AllianceItem.Kind.PROJECT)
    project.linked_kind = AllianceItem.LinkedKind.ACTIVITY
    assert "linked_id" in errors_of(project)
    assert refused_by_database(project)
    assert not refused_by_database(project, linked_id=7)


def test_an_item_s_times_follow_the_claim():
    item = AllianceItemFactory()
    claimed = timezone.now()
    item.status, item.claimed_at = AllianceItem.Status.IN_PROGRESS, claimed
    item.claimed_by = AllianceMemberFactory(alliance=item.alliance)
    item.started_at = claimed - timedelta(minutes=1)
    assert "started_at" in errors_of(item)
    assert refused_by_database(item)


def test_a_circle_post_comes_from_an_organisation_of_the_circle():
    post = ExchangeCirclePostFactory()
    assert errors_of(post) == {}
    post.circle = ExchangeCircleFactory(orgs=[BranchFactory()])
    assert "org" in errors_of(post)


# Organisational life ----------------------------------------------------------------------------


def test_a_meeting_is_recorded_once_held_while_the_organisation_exists():
    meeting = OrgLifeMeetingFactory()
    assert errors_of(meeting) == {}
    meeting.held_on = timezone.localdate() + timedelta(days=1)
    assert "held_on" in errors_of(meeting)
    meeting.held_on = meeting.org.founded_on - timedelta(days=1)
    assert "held_on" in errors_of(meeting)


def test_a_party_group_holds_no_committee_meeting():
    meeting = OrgLifeMeetingFactory(org=BuildingGroupFactory(), kind=MeetingKind.GROUP_MEETING)
    assert errors_of(meeting) == {}
    meeting.kind = MeetingKind.BRANCH_COMMITTEE
    assert "kind" in errors_of(meeting)


def test_attendance_is_of_members_up_or_down_the_meeting_s_line_once():
    attendance = MeetingAttendanceFactory()
    group = BuildingGroupFactory(parent=attendance.meeting.org)
    attendance.member = PartyMemberFactory(org=group)  # a group member at the branch's meeting
    assert errors_of(attendance) == {}
    attendance.member = PartyMemberFactory()  # of another branch
    assert "member" in errors_of(attendance)
    with pytest.raises(IntegrityError), transaction.atomic():
        attendance.refresh_from_db()
        MeetingAttendanceFactory(meeting=attendance.meeting, member=attendance.member)


def test_the_default_meeting_frequencies():
    defaults = dict(MeetingRequirement.objects.filter(org_kind="").values_list("kind", "period"))
    assert defaults == {
        "branch_committee": "month",
        "group_meeting": "month",
        "general_assembly": "quarter",
        "party_lecture": "quarter",
        "theme_day": "month",
    }


def test_one_requirement_per_meeting_kind_and_organisation_kind():
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingRequirement.objects.create(kind="theme_day", org_kind="", period="quarter")
    MeetingRequirement.objects.create(kind="theme_day", org_kind="grid_branch", period="quarter")


# Training ---------------------------------------------------------------------------------------


def test_a_record_counts_at_most_the_course_s_hours_and_defaults_to_them():
    course = TrainingCourseFactory(hours=Decimal("4"))
    record = TrainingRecord(course=course, member=PartyMemberFactory(), completed_on=course.held_on)
    assert errors_of(record) == {}
    assert record.hours == Decimal("4")
    record.hours = Decimal("4.5")
    assert "hours" in errors_of(record)
    record.hours, record.completed_on = Decimal("2"), course.held_on - timedelta(days=1)
    assert "completed_on" in errors_of(record)


def test_a_member_completes_a_course_once_for_positive_hours():
    record = TrainingRecordFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingRecordFactory(course=record.course, member=record.member)
    assert refused_by_database(record, hours=Decimal("0"))
    assert refused_by_database(TrainingCourseFactory(), hours=Decimal("0"))


def test_the_default_yearly_thresholds():
    assert dict(TrainingThreshold.objects.values_list("position", "yearly_hours")) == {
        "member": Decimal("32"),
        "secretary": Decimal("56"),
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingThreshold.objects.create(position="member", yearly_hours=Decimal("40"))


# Contests ---------------------------------------------------------------------------------------


def test_a_contest_closes_with_a_time_and_publishes_after_closing():
    contest = ContestFactory()
    assert refused_by_database(contest, status=Contest.Status.CLOSED)
    contest.refresh_from_db()
    contest.status = Contest.Status.CLOSED
    assert "closed_at" in errors_of(contest)
    closed = ClosedContestFactory()
    assert closed.is_frozen
    closed.published_at = closed.closed_at - timedelta(minutes=1)
    assert "published_at" in errors_of(closed)
    assert refused_by_database(closed)
    contest.refresh_from_db()
    contest.published_at = timezone.now()
    assert "published_at" in errors_of(contest)


def test_trimming_needs_at_least_three_judges():
    contest = ContestFactory()
    contest.trim_min_judges = 2
    assert "trim_min_judges" in errors_of(contest)
    assert refused_by_database(contest)


def test_an_indicator_has_a_positive_weight_and_highest_score():
    indicator = ContestIndicatorFactory()
    assert refused_by_database(indicator, weight=Decimal("0"))
    indicator.refresh_from_db()
    assert refused_by_database(indicator, max_score=Decimal("0"))


@pytest.mark.parametrize(("value", "valid"), [("0", True), ("10", True), ("10.01", False)])
def test_a_score_lies_between_zero_and_the_indicator_s_highest(value, valid):
    score = ScoreFactory()
    score.value = Decimal(value)
    assert ("value" not in errors_of(score)) is valid


def test_a_score_is_never_negative_and_given_once_per_judge_contestant_and_indicator():
    score = ScoreFactory()
    assert refused_by_database(score, value=Decimal("-1"))
    score.refresh_from_db()
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoreFactory(judge=score.judge, contestant=score.contestant, indicator=score.indicator)


def test_a_score_stays_inside_its_contest():
    score = ScoreFactory()
    score.contestant = ContestantFactory()  # of another contest
    assert "contestant" in errors_of(score)
    score.refresh_from_db()
    score.indicator = ContestIndicatorFactory()
    assert "indicator" in errors_of(score)


def test_a_judge_and_a_member_enter_a_contest_once():
    judge = ContestJudgeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContestJudgeFactory(contest=judge.contest, user=judge.user)
    contestant = ContestantFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContestantFactory(contest=contestant.contest, member=contestant.member)


def test_a_result_ranks_from_one_inside_its_contest():
    result = ContestResultFactory()
    assert errors_of(result) == {}
    assert refused_by_database(result, rank=0)
    result.refresh_from_db()
    result.contest = ClosedContestFactory()
    assert "contestant" in errors_of(result)


def test_an_enrolment_names_someone_and_takes_member_and_contest_from_the_contestant():
    contestant = ContestantFactory()
    enrolment = LeadGooseEnrolment(
        track=LeadGooseEnrolment.Track.LEAD_GOOSE,
        contestant=contestant,
        started_on=date(2025, 10, 1),
    )
    assert errors_of(enrolment) == {}
    assert (enrolment.member, enrolment.contest) == (contestant.member, contestant.contest)
    enrolment.member = PartyMemberFactory()
    assert "member" in errors_of(enrolment)
    nobody = LeadGooseEnrolmentFactory()
    assert refused_by_database(nobody, member=None)


def test_an_enrolment_ends_after_it_starts_and_its_milestones_fall_after_the_start():
    enrolment = LeadGooseEnrolmentFactory()
    enrolment.ended_on = enrolment.started_on - timedelta(days=1)
    assert "ended_on" in errors_of(enrolment)
    assert refused_by_database(enrolment)
    milestone = LeadGooseMilestoneFactory()
    milestone.due_on = milestone.enrolment.started_on - timedelta(days=1)
    assert "due_on" in errors_of(milestone)


def test_a_member_is_in_one_track_once_at_a_time():
    enrolment = LeadGooseEnrolmentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadGooseEnrolmentFactory(member=enrolment.member)
    enrolment.ended_on = date(2026, 1, 1)
    enrolment.save()
    LeadGooseEnrolmentFactory(member=enrolment.member)  # a second round after the first ended


# Every model --------------------------------------------------------------------------------------


def test_every_model_has_a_docstring_with_its_chinese_term_and_a_str():
    import re

    from django.apps import apps

    for model in apps.get_app_config("partybuilding").get_models():
        if model.__name__.endswith("UserObjectPermission"):
            continue
        assert model.__doc__ and re.search(r"[\u4e00-\u9fff]", model.__doc__), model.__name__
        assert "__str__" in model.__dict__, model.__name__
