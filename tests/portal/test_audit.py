"""The audit trail is complete (every service write leaves one event, a failed write none) and
append-only at every level: model, queryset, database trigger and admin."""

import gzip
import hashlib
import io
from datetime import date, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from grids.models import Resident
from grids.writes import resident_create
from portal import audit_archive
from portal.audit import audit_record
from portal.models import AuditArchive, AuditEvent
from tests.helpers import login

pytestmark = pytest.mark.django_db

# The example of GB 11643: a woman born on 31 December 1949.
VALID_ID = "11010519491231002X"
BAD_CHECKSUM_ID = "110105194912310021"


@pytest.fixture
def event(street_admin):
    return audit_record(
        actor=street_admin, action="resident.export", details={"rows": 12, "format": "xlsx"}
    )


def assert_unchanged(event):
    """The row in the database still holds exactly what was written."""
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.actor_id, stored.outcome, stored.details) == (
        event.action,
        event.actor_id,
        event.outcome,
        event.details,
    )


# --- Complete: a service write leaves one event, a failed one none ------------------------


def test_creating_a_resident_writes_one_audit_event(street_admin):
    before = AuditEvent.objects.count()

    resident = resident_create(
        actor=street_admin,
        name="赵新民",
        id_number=VALID_ID,
        sex=Resident.Sex.FEMALE,
        birth_date=date(1949, 12, 31),
        phone="13800138000",
    )

    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(action="resident.create")
    assert event.actor == street_admin
    assert event.actor_username == street_admin.username
    assert event.content_type == ContentType.objects.get_for_model(Resident)
    assert event.object_id == str(resident.pk)
    assert event.object_repr == "赵新民"
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    # The ID number never lands in the audit trail in clear.
    assert VALID_ID not in str(event.details)


def test_a_refused_resident_leaves_neither_row_nor_audit_event(street_admin):
    before = AuditEvent.objects.count()

    with pytest.raises(ValidationError) as exc:
        resident_create(
            actor=street_admin,
            name="赵新民",
            id_number=BAD_CHECKSUM_ID,
            sex=Resident.Sex.FEMALE,
            birth_date=date(1949, 12, 31),
        )

    assert "id_number" in exc.value.message_dict
    assert not Resident.objects.filter(name="赵新民").exists()
    assert AuditEvent.objects.count() == before
    assert not AuditEvent.objects.filter(action="resident.create").exists()


def test_an_api_write_records_the_clients_address(api_client_for, street_admin, resident_a):
    client = api_client_for(street_admin)

    response = client.post(
        reverse("resident-list"),
        {
            "name": "赵新民",
            "id_number": VALID_ID,
            "sex": "female",
            "birth_date": "1949-12-31",
            "phone": "13800138000",
            "household": resident_a.household_id,
        },
        format="json",
        REMOTE_ADDR="10.9.8.7",
        HTTP_USER_AGENT="district-sync/1.0",
    )

    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(action="resident.create")
    assert event.object_id == str(response.json()["id"])
    assert event.actor == street_admin
    assert event.ip_address == "10.9.8.7"
    assert event.user_agent == "district-sync/1.0"


def test_a_refused_api_write_leaves_no_audit_event(api_client_for, street_admin):
    before = AuditEvent.objects.count()

    response = api_client_for(street_admin).post(
        reverse("resident-list"),
        {
            "name": "赵新民",
            "id_number": BAD_CHECKSUM_ID,
            "sex": "female",
            "birth_date": "1949-12-31",
        },
        format="json",
    )

    assert response.status_code == 400
    assert AuditEvent.objects.count() == before
    assert not Resident.objects.filter(name="赵新民").exists()


# --- Append-only: model, queryset, database -----------------------------------------------


def test_an_event_cannot_be_saved_again(event):
    event.action = "resident.view"

    with pytest.raises(PermissionError):
        event.save()

    event.action = "resident.export"
    assert_unchanged(event)


def test_an_event_cannot_be_deleted(event):
    with pytest.raises(PermissionError):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_events_cannot_be_updated_in_bulk(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")

    assert_unchanged(event)


def test_events_cannot_be_deleted_in_bulk(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_database_refuses_a_raw_update(event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE portal_auditevent SET action = 'x'")

    assert_unchanged(event)


def test_the_database_refuses_a_raw_delete(event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM portal_auditevent")

    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- Append-only: the admin ---------------------------------------------------------------


def test_the_admin_lists_audit_events(client, superuser, event):
    login(client, superuser)

    response = client.get(reverse("admin:portal_auditevent_changelist"))

    assert response.status_code == 200
    assert "resident.export" in response.content.decode()


def test_the_admin_cannot_add_audit_events(client, superuser):
    login(client, superuser)
    before = AuditEvent.objects.count()

    assert client.get(reverse("admin:portal_auditevent_add")).status_code == 403
    response = client.post(reverse("admin:portal_auditevent_add"), {"action": "forged"})

    assert response.status_code == 403
    assert AuditEvent.objects.count() == before


def test_the_admin_shows_an_event_read_only_and_refuses_changes(client, superuser, event):
    login(client, superuser)
    url = reverse("admin:portal_auditevent_change", args=[event.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert 'name="action"' not in page.content.decode()

    response = client.post(
        url, {"action": "forged", "actor_username": "someone_else", "outcome": "failure"}
    )

    assert response.status_code == 403
    assert_unchanged(event)


def test_the_admin_cannot_delete_audit_events(client, superuser, event):
    login(client, superuser)
    url = reverse("admin:portal_auditevent_delete", args=[event.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403

    assert_unchanged(event)


def test_the_admin_has_no_bulk_delete_action_for_audit_events(client, superuser, event):
    login(client, superuser)

    client.post(
        reverse("admin:portal_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )

    assert_unchanged(event)


def test_the_admin_cannot_delete_users(client, superuser, grid_worker):
    login(client, superuser)
    url = reverse("admin:portal_user_delete", args=[grid_worker.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403

    grid_worker.refresh_from_db()
    assert grid_worker.is_active


# --- Retention: archived after six months, never silently deleted ----------------------------


def _old_event(*, days: int, action: str = "resident.export") -> AuditEvent:
    return AuditEvent.objects.create(
        occurred_at=timezone.now() - timedelta(days=days),
        actor_username="t_admin",
        action=action,
        details={"rows": days},
    )


@pytest.fixture
def archive_dir(settings, tmp_path):
    settings.AUDIT_ARCHIVE_DIR = tmp_path / "audit-archive"
    settings.AUDIT_RETENTION_MONTHS = 6
    return settings.AUDIT_ARCHIVE_DIR


def test_events_past_retention_move_to_verified_files(archive_dir):
    old = [_old_event(days=200 + n) for n in range(5)]
    recent = [_old_event(days=n) for n in (1, 170)]  # 170 days: under six months, kept

    result = audit_archive.audit_archive_run(batch_size=2)

    assert result["events"] == 5
    archives = list(AuditArchive.objects.order_by("first_event_id"))
    assert [a.event_count for a in archives] == [2, 2, 1]
    assert all(a.verified_at and a.deleted_count == a.event_count for a in archives)
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert set(
        AuditEvent.objects.filter(pk__in=[e.pk for e in recent]).values_list("pk", flat=True)
    ) == {e.pk for e in recent}
    archived = [row for a in archives for row in audit_archive.audit_archive_read(a)]
    assert [row["id"] for row in archived] == [e.pk for e in old]
    assert [row["details"] for row in archived] == [e.details for e in old]
    for archive in archives:
        path = archive_dir / archive.file_name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == archive.sha256
        assert gzip.decompress(path.read_bytes()).count(b"\n") == archive.event_count
    # Each file is itself on the trail.
    assert AuditEvent.objects.filter(action="audit.archive").count() == 3
    # A second run has nothing left to do.
    assert audit_archive.audit_archive_run()["events"] == 0


def test_retention_below_six_months_is_refused(archive_dir, settings):
    _old_event(days=100)
    settings.AUDIT_RETENTION_MONTHS = 3
    with pytest.raises(ImproperlyConfigured):
        audit_archive.audit_archive_run()
    with pytest.raises(CommandError):
        call_command("audit_archive")
    assert not AuditArchive.objects.exists()
    assert AuditEvent.objects.filter(action="resident.export").count() == 1


def test_the_environment_refuses_less_than_six_months(monkeypatch):
    from portal.env import env_int

    monkeypatch.setenv("AUDIT_RETENTION_MONTHS", "5")
    with pytest.raises(ImproperlyConfigured):
        env_int("AUDIT_RETENTION_MONTHS", 6, minimum=audit_archive.MINIMUM_RETENTION_MONTHS)


def test_a_file_that_does_not_read_back_deletes_nothing(archive_dir, monkeypatch):
    old = [_old_event(days=300 + n) for n in range(3)]
    write = audit_archive._write
    monkeypatch.setattr(audit_archive, "_write", lambda path, lines: write(path, lines[:-1]))

    with pytest.raises(audit_archive.ArchiveVerificationError):
        audit_archive.audit_archive_run()

    assert AuditEvent.objects.filter(pk__in=[e.pk for e in old]).count() == 3
    assert not AuditArchive.objects.exists()


def test_the_database_refuses_a_delete_no_verified_archive_covers(archive_dir):
    old = _old_event(days=400)
    fresh = _old_event(days=1)
    unverified = AuditArchive.objects.create(
        cutoff=timezone.now(),
        first_event_id=old.pk,
        last_event_id=fresh.pk,
        event_count=2,
        file_name="unverified.jsonl.gz",
        sha256="0" * 64,
    )
    verified_before_fresh = AuditArchive.objects.create(
        cutoff=timezone.now() - timedelta(days=300),
        first_event_id=old.pk,
        last_event_id=fresh.pk,
        event_count=1,
        file_name="verified.jsonl.gz",
        sha256="0" * 64,
        verified_at=timezone.now(),
    )
    for archive, target in [(None, old), (unverified, old), (verified_before_fresh, fresh)]:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            if archive is not None:
                cursor.execute(
                    "SELECT set_config('portal.audit_archive', %s, true)", [str(archive.pk)]
                )
            cursor.execute("DELETE FROM portal_auditevent WHERE id = %s", [target.pk])
    assert AuditEvent.objects.filter(pk__in=[old.pk, fresh.pk]).count() == 2
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT set_config('portal.audit_archive', %s, true)", [str(verified_before_fresh.pk)]
        )
        cursor.execute("UPDATE portal_auditevent SET action = 'x' WHERE id = %s", [old.pk])


def test_the_command_and_the_beat_task_archive(archive_dir):
    from portal.tasks import audit_archive as task

    _old_event(days=250)
    out = io.StringIO()
    call_command("audit_archive", stdout=out)
    assert "Archived 1 audit events" in out.getvalue()
    _old_event(days=260)
    assert task.apply().get()["events"] == 1
    assert AuditArchive.objects.count() == 2
