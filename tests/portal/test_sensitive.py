"""Revealing and exporting personal data: scope, permission, reason and audit every time."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from grids import imports
from portal.models import AuditEvent
from tests.helpers import login

pytestmark = pytest.mark.django_db


def _reveal(client, resident, field="phone", reason="回访逾期，需电话联系"):
    return client.post(
        reverse("grids:resident-reveal", args=[resident.pk]), {"field": field, "reason": reason}
    )


def test_a_grid_worker_reveals_a_phone_with_a_reason_and_it_is_logged(
    client, grid_worker, resident_a
):
    login(client, grid_worker)
    page = client.get(reverse("grids:resident-detail", args=[resident_a.pk])).content.decode()
    assert resident_a.phone not in page  # masked by default

    response = _reveal(client, resident_a)
    assert response.status_code == 200
    assert resident_a.phone in response.content.decode()
    assert resident_a.id_number not in response.content.decode()  # only the field asked for
    event = AuditEvent.objects.get(action="reveal")
    assert (event.actor, event.object_id, event.outcome) == (
        grid_worker,
        str(resident_a.pk),
        "success",
    )
    assert event.details == {"field": "phone", "reason": "回访逾期，需电话联系"}


def test_no_reason_no_reveal(client, grid_worker, resident_a):
    login(client, grid_worker)
    response = _reveal(client, resident_a, reason=" ")
    assert response.status_code == 400
    assert resident_a.phone not in response.content.decode()
    assert not AuditEvent.objects.filter(action="reveal").exists()


def test_out_of_scope_reveal_is_a_404_and_shows_nothing(client, other_grid_worker, resident_a):
    login(client, other_grid_worker)
    response = _reveal(client, resident_a, field="id_number")
    assert response.status_code == 404
    assert resident_a.id_number not in response.content.decode()


def test_a_role_without_the_permission_is_refused_and_the_attempt_logged(
    client, grid_worker, resident_a, monkeypatch
):
    from portal import roles

    monkeypatch.setitem(
        roles._role_permissions,
        "grid_worker",
        roles.role_permissions("grid_worker") - {"portal.reveal_sensitive"},
    )
    login(client, grid_worker)
    response = _reveal(client, resident_a)
    assert response.status_code == 403
    assert resident_a.phone not in response.content.decode()
    assert AuditEvent.objects.get(action="reveal").outcome == "denied"


def test_export_holds_exactly_what_the_user_sees_masked_and_is_audited(
    client, grid_worker, resident_a, resident_b
):
    login(client, grid_worker)
    response = client.get(reverse("grids:resident-export"), {"format": "csv", "unmasked": "1"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2  # header + resident_a only
    body = response.content.decode("utf-8-sig")
    assert resident_a.name in body and resident_b.name not in body
    assert (
        resident_a.id_number not in body and resident_a.id_number_masked in body
    )  # no permission to unmask
    event = AuditEvent.objects.get(action="export")
    assert event.actor == grid_worker
    assert event.details["rows"] == 1 and event.details["unmasked"] is False


def test_an_administrator_may_export_unmasked_to_excel(
    client, street_admin, resident_a, resident_b
):
    login(client, street_admin)
    response = client.get(reverse("grids:resident-export"), {"format": "xlsx", "unmasked": "1"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    position = [column.key for column in imports.COLUMNS].index("id_number")
    id_numbers = {row[position] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert id_numbers == {resident_a.id_number, resident_b.id_number}
    assert AuditEvent.objects.get(action="export").details["unmasked"] is True


def test_a_role_without_the_registry_cannot_export_it(client, party_officer, resident_a):
    login(client, party_officer)
    response = client.get(reverse("grids:resident-export"), {"format": "csv"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_an_empty_scope_exports_an_empty_sheet(client, grid_worker, resident_b):
    login(client, grid_worker)
    response = client.get(reverse("grids:resident-export"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1:] == []
