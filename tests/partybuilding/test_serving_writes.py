"""The writes of 双报到: report, the needs' state machine (conflicts), hours logged by the member
and approved by the community with points from the street's rule; the feedback sheet."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from partybuilding.models import CommunityNeed, ServiceHours
from partybuilding.serving import selectors, writes
from partybuilding.serving.policy import access_service_hours_approve
from portal.models import AuditEvent, Notification
from portal.policy import allowed
from portal.spreadsheets import safe_cell
from tests.partybuilding.factories import (
    CommunityNeedFactory,
    PartyMemberFactory,
    PointRuleFactory,
    ServiceHoursFactory,
    ServingMemberFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def serving(member, community_a):
    """The `member` login made a serving member reported to community A."""
    record = member.party_member
    record.serving = True
    record.employer = "市人民医院"
    record.reported_community = community_a
    record.reported_on = date(2025, 1, 1)
    record.save()
    return member


@pytest.fixture
def need_a(community_a):
    return CommunityNeedFactory(community=community_a, title="助老陪护")


# --- Report -----------------------------------------------------------------------------------


def test_a_serving_member_reports_themself(member, community_b):
    record = member.party_member
    record.serving = True
    record.save()
    writes.member_report(actor=member, member=record, community=community_b, on=date(2025, 5, 1))
    record.refresh_from_db()
    assert record.reported_community == community_b and record.reported_on == date(2025, 5, 1)
    assert AuditEvent.objects.filter(action="party_member.report").exists()


def test_a_member_not_serving_does_not_report(member, community_a):
    with pytest.raises(ValidationError):
        writes.member_report(actor=member, member=member.party_member, community=community_a)


def test_a_member_does_not_report_someone_else(member, branch_a, community_a):
    other = PartyMemberFactory(org=branch_a, serving=True)
    with pytest.raises(PermissionDenied):
        writes.member_report(actor=member, member=other, community=community_a)


# --- Needs ------------------------------------------------------------------------------------


def test_the_granted_cadre_posts_needs_of_their_community_only(
    party_cadre, community_a, community_b
):
    need = writes.community_need_create(actor=party_cadre, community=community_a, title="清洁")
    assert need.status == CommunityNeed.Status.OPEN and need.created_by == party_cadre
    with pytest.raises(PermissionDenied):
        writes.community_need_create(actor=party_cadre, community=community_b, title="清洁")


def test_an_ungranted_cadre_posts_no_needs(community_cadre, community_a):
    with pytest.raises(PermissionDenied):
        writes.community_need_create(actor=community_cadre, community=community_a, title="清洁")


def test_claim_start_complete(serving, need_a):
    need = writes.community_need_claim(actor=serving, need=need_a)
    assert need.status == CommunityNeed.Status.CLAIMED
    assert need.claimed_by == serving.party_member
    need = writes.community_need_start(actor=serving, need=need)
    assert need.status == CommunityNeed.Status.IN_PROGRESS
    with pytest.raises(ValidationError):
        writes.community_need_complete(actor=serving, need=need, delivered=" ")
    need = writes.community_need_complete(actor=serving, need=need, delivered="陪护三次")
    assert need.status == CommunityNeed.Status.DONE and need.delivered == "陪护三次"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"community_need.claim", "community_need.start", "community_need.complete"} <= actions


def test_a_second_claim_is_a_conflict(serving, need_a, branch_a, community_a):
    from tests.partybuilding.factories import PartyMemberUserFactory

    rival_user = PartyMemberUserFactory(username="t_rival")
    ServingMemberFactory(org=branch_a, user=rival_user, reported_community=community_a)
    stale = CommunityNeed.objects.get(pk=need_a.pk)
    writes.community_need_claim(actor=serving, need=need_a)
    with pytest.raises(writes.ServingConflict):
        writes.community_need_claim(actor=rival_user, need=stale)
    assert CommunityNeed.objects.get(pk=need_a.pk).claimed_by == serving.party_member


def test_only_members_reported_to_the_community_claim(serving, community_b):
    need_b = CommunityNeedFactory(community=community_b)
    with pytest.raises(PermissionDenied):
        writes.community_need_claim(actor=serving, need=need_b)


def test_only_the_claimer_starts_and_completes(serving, need_a, secretary):
    need = writes.community_need_claim(actor=serving, need=need_a)
    with pytest.raises(PermissionDenied):
        writes.community_need_start(actor=secretary, need=need)
    with pytest.raises(PermissionDenied):
        writes.community_need_complete(actor=secretary, need=need, delivered="x")


def test_cancel_then_nothing_moves(party_officer, serving, need_a):
    writes.community_need_cancel(actor=party_officer, need=need_a)
    with pytest.raises(writes.ServingConflict):
        writes.community_need_claim(actor=serving, need=need_a)


# --- Hours ------------------------------------------------------------------------------------


def test_hours_go_to_the_members_community_and_need_no_evidence_by_this_rule(serving, need_a):
    rule = PointRuleFactory(points_per_hour=Decimal("2"))
    writes.community_need_claim(actor=serving, need=need_a)
    record = writes.service_hours_log(
        actor=serving, served_on=date(2025, 6, 1), hours=Decimal("1.5"), rule=rule, need=need_a
    )
    assert record.community == serving.party_member.reported_community
    assert record.status == ServiceHours.Status.SUBMITTED and record.points is None


def test_evidence_is_required_when_the_rule_says_so(serving):
    rule = PointRuleFactory(evidence_required=True)
    with pytest.raises(ValidationError) as exc:
        writes.service_hours_log(
            actor=serving, served_on=date(2025, 6, 1), hours=Decimal("2"), rule=rule
        )
    assert "evidence" in exc.value.message_dict
    assert not ServiceHours.objects.exists()
    photo = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0jpeg", content_type="image/jpeg")
    record = writes.service_hours_log(
        actor=serving, served_on=date(2025, 6, 1), hours=Decimal("2"), rule=rule, evidence=photo
    )
    assert record.evidence.name.startswith("partybuilding/evidence/")


def test_hours_for_a_need_the_member_did_not_claim_are_refused(serving, need_a):
    with pytest.raises(ValidationError) as exc:
        writes.service_hours_log(
            actor=serving,
            served_on=date(2025, 6, 1),
            hours=Decimal("1"),
            rule=PointRuleFactory(),
            need=need_a,
        )
    assert "need" in exc.value.message_dict


def test_a_member_who_has_not_reported_logs_no_hours(member):
    with pytest.raises(ValidationError) as exc:
        writes.service_hours_log(
            actor=member, served_on=date(2025, 6, 1), hours=Decimal("1"), rule=PointRuleFactory()
        )
    assert "community" in exc.value.message_dict


def test_approval_credits_points_from_the_rule_and_tells_the_member(secretary, serving):
    rule = PointRuleFactory(points_per_hour=Decimal("2"), points_per_item=Decimal("1"))
    record = ServiceHoursFactory(member=serving.party_member, hours=Decimal("1.5"), rule=rule)
    approved = writes.service_hours_approve(actor=secretary, hours=record, note="属实")
    assert approved.status == ServiceHours.Status.APPROVED
    assert approved.points == Decimal("4.00")  # 2 × 1.5 + 1
    assert approved.reviewed_by == secretary
    assert Notification.objects.filter(recipient=serving).count() == 1
    with pytest.raises(writes.ServingConflict):
        writes.service_hours_approve(actor=secretary, hours=record)
    assert Notification.objects.filter(recipient=serving).count() == 1
    totals = selectors.member_totals(member=serving.party_member)
    assert totals["hours"] == Decimal("1.5") and totals["points"] == Decimal("4.00")


def test_reject_needs_a_reason_and_credits_nothing(party_cadre, serving):
    record = ServiceHoursFactory(member=serving.party_member)
    with pytest.raises(ValidationError):
        writes.service_hours_reject(actor=party_cadre, hours=record, note="")
    rejected = writes.service_hours_reject(actor=party_cadre, hours=record, note="无证明")
    assert rejected.status == ServiceHours.Status.REJECTED and rejected.points is None


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("party_officer", True),
        ("street_cadre", True),
        ("party_cadre", True),  # community A, where the hours were served
        ("secretary", True),  # branch A's secretary, over the member
        ("serving", False),  # the member themself
        ("community_cadre", False),  # no Party-work grant
        ("other_community_cadre", False),
        ("grid_worker", False),
        ("partner_staff", False),
    ],
)
def test_who_reviews_hours_and_the_review_list_agree(request, serving, person, expected):
    user = request.getfixturevalue(person)
    record = ServiceHoursFactory(member=serving.party_member)
    assert allowed(access_service_hours_approve, user, record) is expected
    if user.has_perm("partybuilding.view_servicehours"):
        listed = selectors.service_hours_to_review(actor=user).filter(pk=record.pk).exists()
        assert listed is expected


# --- The feedback sheet -----------------------------------------------------------------------


def test_feedback_sheet_lists_the_employers_members_and_their_approved_quarter(
    party_officer, branch_a, branch_b
):
    hospital_org = branch_b
    alice = ServingMemberFactory(name="张医生", org=branch_a, employer_org=hospital_org)
    bob = ServingMemberFactory(name='=HYPERLINK("x")', org=branch_a, employer_org=hospital_org)
    ServingMemberFactory(name="别单位", org=branch_a)
    rule = PointRuleFactory()
    for served_on, status in [
        (date(2025, 4, 2), ServiceHours.Status.APPROVED),
        (date(2025, 6, 30), ServiceHours.Status.APPROVED),
        (date(2025, 7, 1), ServiceHours.Status.APPROVED),  # next quarter
        (date(2025, 5, 1), ServiceHours.Status.SUBMITTED),  # not approved
    ]:
        record = ServiceHoursFactory(member=alice, served_on=served_on, rule=rule)
        if status == ServiceHours.Status.APPROVED:
            writes.service_hours_approve(actor=party_officer, hours=record)
    sheet = selectors.feedback_sheet(
        actor=party_officer, employer_org=hospital_org, year=2025, quarter=2
    )
    rows = {row["member"].pk: row for row in sheet["rows"]}
    assert set(rows) == {alice.pk, bob.pk}
    assert rows[alice.pk]["hours"] == Decimal("4.0") and len(rows[alice.pk]["items"]) == 2
    assert rows[bob.pk]["hours"] == 0

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(selectors.feedback_sheet_workbook(sheet)))
    names = [row[0] for row in book.active.iter_rows(min_row=3, values_only=True)]
    assert '\'=HYPERLINK("x")' in names  # neutralised: Excel shows the text, runs nothing


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_safe_cell_neutralises_formulas(text):
    assert safe_cell(text) == "'" + text


def test_quarter_bounds():
    assert selectors.quarter_bounds(2025, 4) == (date(2025, 10, 1), date(2025, 12, 31))
    assert selectors.quarter_bounds(2025, 1) == (date(2025, 1, 1), date(2025, 3, 31))
