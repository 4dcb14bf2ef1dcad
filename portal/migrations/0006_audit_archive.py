"""Audit archives, and the one DELETE the append-only trigger lets through.

The trigger of 0002 refused every UPDATE and DELETE on portal_auditevent. Now a DELETE passes
only inside a transaction that named a verified archive (`SET LOCAL portal.audit_archive`) and
only for an event that archive covers: its id within the archive's range and its time before
the archive's cutoff. Nothing else changes: UPDATE is still refused, and so is any other DELETE.
"""

import django.utils.timezone
from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION portal_auditevent_append_only() RETURNS trigger AS $$
DECLARE
    archive_id text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        archive_id := current_setting('portal.audit_archive', true);
        IF archive_id IS NOT NULL AND archive_id ~ '^[0-9]+$' AND EXISTS (
            SELECT 1 FROM portal_auditarchive a
            WHERE a.id = archive_id::bigint
              AND a.verified_at IS NOT NULL
              AND OLD.id BETWEEN a.first_event_id AND a.last_event_id
              AND OLD.occurred_at < a.cutoff
        ) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

RESTORE = """
CREATE OR REPLACE FUNCTION portal_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RESTORE, params=None)


class Migration(migrations.Migration):
    dependencies = [("portal", "0005_user_role_party_member")]

    operations = [
        migrations.CreateModel(
            name="AuditArchive",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now,
                        editable=False,
                        verbose_name="archived at",
                    ),
                ),
                ("cutoff", models.DateTimeField(verbose_name="events before")),
                ("first_event_id", models.BigIntegerField(verbose_name="first event")),
                ("last_event_id", models.BigIntegerField(verbose_name="last event")),
                ("event_count", models.PositiveIntegerField(verbose_name="events")),
                ("file_name", models.CharField(max_length=200, unique=True, verbose_name="file")),
                ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                (
                    "verified_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="verified at"),
                ),
                (
                    "deleted_count",
                    models.PositiveIntegerField(
                        default=0, verbose_name="events removed from the table"
                    ),
                ),
            ],
            options={
                "verbose_name": "audit archive",
                "verbose_name_plural": "audit archives",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
