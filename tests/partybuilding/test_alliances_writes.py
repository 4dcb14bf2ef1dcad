"""The alliance writes: rules, audit rows, the item state machine, nothing half-written."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from partybuilding.alliances import writes
from partybuilding.models import (
    Alliance,
    AllianceAgreement,
    AllianceItem,
    AllianceMember,
    ExchangeCirclePost,
)
from portal.models import AuditEvent, Notification


def test_founding_an_alliance_makes_its_lead_a_member(party_officer, branch_a):
    alliance = writes.alliance_create(
        actor=party_officer,
        name="商圈联盟",
        kind=Alliance.Kind.BUSINESS_DISTRICT,
        lead_org=branch_a,
    )
    assert list(alliance.members.values_list("party_org", flat=True)) == [branch_a.pk]
    assert AuditEvent.objects.filter(action="alliance.create", object_id=str(alliance.pk)).exists()


def test_a_secretary_cannot_found_an_alliance(secretary, branch_a):
    with pytest.raises(PermissionDenied):
        writes.alliance_create(actor=secretary, name="X", kind="regional", lead_org=branch_a)
    assert not Alliance.objects.exists()


def test_a_member_unit_has_a_valid_uscc(party_officer, alliance):
    with pytest.raises(ValidationError) as exc:
        writes.alliance_member_add(
            actor=party_officer,
            alliance=alliance,
            name="某学校",
            kind=AllianceMember.Kind.SCHOOL,
            unit_uscc="91350100M000100Y44",
        )
    assert "unit_uscc" in exc.value.message_dict
    school = writes.alliance_member_add(
        actor=party_officer,
        alliance=alliance,
        name="某学校",
        kind=AllianceMember.Kind.SCHOOL,
        unit_uscc="91350100m000100y43",
    )
    assert school.unit_uscc == "91350100M000100Y43"


def test_agreement_is_one_lead_and_n_parties(party_officer, alliance, unit_a, unit_b, hospital):
    scan = SimpleUploadedFile("agreement.pdf", b"%PDF-1.4 scan", content_type="application/pdf")
    agreement = writes.alliance_agreement_create(
        actor=party_officer,
        alliance=alliance,
        title="共建协议",
        signed_on=date(2025, 1, 1),
        term_start=date(2025, 1, 1),
        term_end=date(2027, 12, 31),
        lead=unit_a,
        parties=[unit_b, hospital],
        scanned_copy=scan,
    )
    assert set(agreement.parties.all()) == {unit_b, hospital}
    assert agreement.scanned_copy.name.startswith("partybuilding/agreements/")
    with pytest.raises(ValidationError) as exc:
        writes.alliance_agreement_create(
            actor=party_officer,
            alliance=alliance,
            title="坏协议",
            signed_on=date(2025, 1, 1),
            term_start=date(2025, 1, 1),
            term_end=date(2024, 1, 1),
            lead=unit_a,
            parties=[unit_a],
        )
    assert {"term_end", "parties"} <= set(exc.value.message_dict)
    assert AllianceAgreement.objects.count() == 1


def test_item_lifecycle_with_audit_and_notification(
    secretary, party_cadre, party_officer, alliance, unit_a, hospital
):
    item = writes.alliance_item_post(
        actor=party_officer, alliance=alliance, kind="need", title="助老志愿者", posted_by=hospital
    )
    item = writes.alliance_item_claim(actor=secretary, item=item, claimed_by=unit_a)
    assert item.status == AllianceItem.Status.CLAIMED and item.claimed_by == unit_a
    item = writes.alliance_item_start(actor=party_cadre, item=item)
    item = writes.alliance_item_complete(actor=secretary, item=item, delivered="每周两次上门")
    assert item.status == AllianceItem.Status.DONE
    assert item.delivered == "每周两次上门"
    actions = list(
        AuditEvent.objects.filter(object_id=str(item.pk), action__startswith="alliance.item")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "alliance.item_post",
        "alliance.item_claim",
        "alliance.item_start",
        "alliance.item_complete",
    ]
    titles = Notification.objects.filter(recipient=party_officer).values_list(
        "dedup_key", flat=True
    )
    assert set(titles) == {f"alliance-item:{item.pk}:claim", f"alliance-item:{item.pk}:complete"}


def test_a_stale_claim_is_a_conflict(secretary, party_officer, need, unit_a, unit_b):
    writes.alliance_item_claim(actor=party_officer, item=need, claimed_by=unit_b)
    with pytest.raises(writes.AllianceItemConflict):
        writes.alliance_item_claim(actor=secretary, item=need, claimed_by=unit_a)
    need.refresh_from_db()
    assert need.claimed_by == unit_b


def test_claiming_for_a_member_one_does_not_act_for_is_a_field_error(secretary, need, unit_b):
    with pytest.raises(ValidationError) as exc:
        writes.alliance_item_claim(actor=secretary, item=need, claimed_by=unit_b)
    assert "claimed_by" in exc.value.message_dict
    need.refresh_from_db()
    assert need.status == AllianceItem.Status.OPEN


def test_completing_needs_what_was_delivered(party_officer, need, unit_a):
    item = writes.alliance_item_claim(actor=party_officer, item=need, claimed_by=unit_a)
    with pytest.raises(ValidationError):
        writes.alliance_item_complete(actor=party_officer, item=item, delivered="  ")
    item.refresh_from_db()
    assert item.status == AllianceItem.Status.CLAIMED


def test_withdraw_then_nothing_more(party_officer, need, unit_a):
    writes.alliance_item_withdraw(actor=party_officer, item=need)
    with pytest.raises(writes.AllianceItemConflict):
        writes.alliance_item_claim(actor=party_officer, item=need, claimed_by=unit_a)


def test_only_a_project_links_to_a_referral(party_officer, alliance, hospital):
    with pytest.raises(ValidationError):
        writes.alliance_item_post(
            actor=party_officer,
            alliance=alliance,
            kind="need",
            title="x",
            posted_by=hospital,
            linked_kind="referral",
            linked_id=3,
        )
    project = writes.alliance_item_post(
        actor=party_officer,
        alliance=alliance,
        kind="project",
        title="家庭医生进社区",
        posted_by=hospital,
        linked_kind="activity",
        linked_id=7,
    )
    from partybuilding.alliances.selectors import item_linked_url

    assert item_linked_url(project) == "/services/activities/7/"


def test_secretary_posts_for_their_branch_only(secretary, alliance, unit_a, hospital):
    item = writes.alliance_item_post(
        actor=secretary, alliance=alliance, kind="resource", title="活动室", posted_by=unit_a
    )
    assert item.created_by == secretary
    with pytest.raises(ValidationError):
        writes.alliance_item_post(
            actor=secretary, alliance=alliance, kind="resource", title="病床", posted_by=hospital
        )


def test_circle_post_by_an_organisation_of_the_circle(secretary, circle, branch_a, branch_b):
    post = writes.circle_post_create(
        actor=secretary,
        circle=circle,
        org=branch_a,
        kind="practice",
        title="楼道议事",
        happened_on=date(2025, 5, 1),
    )
    assert post.posted_by == secretary
    with pytest.raises(ValidationError):
        writes.circle_post_create(
            actor=secretary,
            circle=circle,
            org=branch_b,
            kind="event",
            title="x",
            happened_on=date(2025, 5, 1),
        )
    assert ExchangeCirclePost.objects.count() == 1
