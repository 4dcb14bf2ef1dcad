"""Editing alliances after creation: member units, the signed agreements and the exchange
circles (党建交流圈) — gates, writes, pages and API."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from partybuilding.alliances import policy, writes
from portal.models import AuditEvent
from portal.policy import allowed
from tests.helpers import Call, assert_access_matrix, login, page_call
from tests.partybuilding.factories import AllianceAgreementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(alliance, unit_a, unit_b, hospital):
    """1+N: branch A leads, the hospital signed."""
    return AllianceAgreementFactory(alliance=alliance, lead=unit_a, parties=[hospital])


# --- Gates ----------------------------------------------------------------------------------------


def test_the_editing_gates(
    hospital, agreement, circle, party_officer, street_admin, party_cadre, secretary, member
):
    for gate, obj in (
        (policy.access_alliance_member_update, hospital),
        (policy.access_alliance_agreement_update, agreement),
        (policy.access_circle_update, circle),
    ):
        assert allowed(gate, None, obj)
        assert allowed(gate, party_officer, obj)
        assert allowed(gate, street_admin, obj)
        # branch A is in the alliance and the circle: they act for it, do not run them
        assert not allowed(gate, party_cadre, obj)
        assert not allowed(gate, secretary, obj)
        assert not allowed(gate, member, obj)


# --- Writes ---------------------------------------------------------------------------------------


def test_an_agreement_is_corrected(agreement, unit_b, hospital, party_officer):
    writes.alliance_agreement_update(
        actor=party_officer,
        agreement=agreement,
        title="滨江共建协议（续签）",
        term_end=date(2028, 12, 31),
        parties=[hospital, unit_b],
    )
    agreement.refresh_from_db()
    assert agreement.title == "滨江共建协议（续签）"
    assert agreement.term_end == date(2028, 12, 31)
    assert sorted(agreement.parties.values_list("pk", flat=True)) == sorted(
        [hospital.pk, unit_b.pk]
    )
    event = AuditEvent.objects.get(action="alliance.agreement_update")
    assert event.details["fields"] == ["title", "term_end", "parties"]


def test_an_agreement_keeps_its_1_plus_n(agreement, unit_a, party_officer, alliance):
    with pytest.raises(ValidationError) as exc:
        writes.alliance_agreement_update(actor=party_officer, agreement=agreement, parties=[unit_a])
    assert "parties" in exc.value.message_dict  # the lead signs as the 1
    with pytest.raises(ValidationError) as exc:
        writes.alliance_agreement_update(
            actor=party_officer, agreement=agreement, term_end=agreement.term_start
        )
    assert "term_end" in exc.value.message_dict
    with pytest.raises(ValidationError):
        writes.alliance_agreement_update(actor=party_officer, agreement=agreement, parties=[])
    assert not AuditEvent.objects.filter(action="alliance.agreement_update").exists()


def test_a_member_unit_records_the_day_it_left(hospital, party_officer, secretary):
    with pytest.raises(PermissionDenied):
        writes.alliance_member_update(actor=secretary, member=hospital, left_on=date(2026, 1, 1))
    writes.alliance_member_update(actor=party_officer, member=hospital, left_on=date(2026, 1, 1))
    hospital.refresh_from_db()
    assert hospital.left_on == date(2026, 1, 1)


def test_a_circle_is_renamed_and_regrouped(circle, branch_a, branch_b, group_a, party_officer):
    writes.circle_update(
        actor=party_officer, circle=circle, name="滨江党建交流圈", orgs=[branch_a, group_a]
    )
    circle.refresh_from_db()
    assert circle.name == "滨江党建交流圈"
    assert set(circle.orgs.all()) == {branch_a, group_a}
    with pytest.raises(ValidationError) as exc:
        writes.circle_update(actor=party_officer, circle=circle, orgs=[branch_a])
    assert "orgs" in exc.value.message_dict
    assert AuditEvent.objects.filter(action="circle.update").count() == 1


def test_only_the_street_edits_a_circle(circle, secretary):
    with pytest.raises(PermissionDenied):
        writes.circle_update(actor=secretary, circle=circle, name="改名")


# --- API and pages --------------------------------------------------------------------------------


def test_editing_api_matrix(request, hospital, agreement, circle):
    actions = {
        "member": Call("patch", f"/api/v1/alliance-members/{hospital.pk}/", {"unit_uscc": ""}),
        "agreement": Call(
            "patch", f"/api/v1/alliance-agreements/{agreement.pk}/", {"note": "续签"}
        ),
        "circle": Call("patch", f"/api/v1/exchange-circles/{circle.pk}/", {"description": "x"}),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          member  agreement  circle
        party_officer     200     200        200
        street_admin      200     200        200
        # they see the alliance and the circle (branch A is in them), do not run them
        party_cadre       403     403        403
        secretary         403     403        403
        # out of scope: 404 like missing
        member            404     404        404
        community_cadre   404     404        404
        grid_worker       404     404        404
        partner_staff     404     404        404
        anonymous         401     401        401
        """,
    )


def test_editing_pages_matrix(request, alliance, hospital, agreement, circle):
    base = f"/party/alliances/{alliance.pk}/"
    actions = {
        "member": Call("get", f"{base}members/{hospital.pk}/edit/"),
        "agreement": Call("get", f"{base}agreements/{agreement.pk}/edit/"),
        "circle": Call("get", f"/party/circles/{circle.pk}/edit/"),
    }
    assert_access_matrix(
        request,
        actions,
        """
                          member  agreement  circle
        party_officer     200     200        200
        party_cadre       403     403        403
        secretary         403     403        403
        member            404     404        404
        community_cadre   404     404        404
        grid_worker       404     404        404
        anonymous         302     302        302
        """,
        perform=page_call,
    )


def test_the_officer_edits_on_the_pages(
    alliance, hospital, agreement, circle, branch_a, branch_b, client, party_officer
):
    login(client, party_officer)
    detail = client.get(f"/party/alliances/{alliance.pk}/").content.decode()
    assert f"/members/{hospital.pk}/edit/" in detail
    assert f"/agreements/{agreement.pk}/edit/" in detail
    response = client.post(
        f"/party/alliances/{alliance.pk}/members/{hospital.pk}/edit/",
        {"kind": hospital.kind, "name": "市人民医院", "joined_on": "2025-01-01",
         "left_on": "2026-02-01"},
    )  # fmt: skip
    assert response.status_code == 302
    hospital.refresh_from_db()
    assert hospital.left_on == date(2026, 2, 1)
    response = client.post(
        f"/party/circles/{circle.pk}/edit/",
        {"name": "滨江交流圈", "orgs": [branch_a.pk, branch_b.pk], "description": "每月一会"},
    )
    assert response.status_code == 302
    circle.refresh_from_db()
    assert circle.description == "每月一会"
