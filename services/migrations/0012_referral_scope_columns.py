"""A referral carries its resident's jurisdiction columns: `scope_grid` and `scope_community`.

A grid worker's or a community cadre's referral list filtered `resident_id IN (residents of the
jurisdiction)`: PostgreSQL hashed the jurisdiction's residents and read every referral of the
district to count them (20,000 referrals: 3.9 ms for a grid of 540), and walked the street's
newest referrals one by one, probing each resident, to fill a page. With the columns on the
referral, `(scope_grid, created_at, id)` and `(scope_community, created_at, id)` give both the
count and the page from the jurisdiction's own index range.

The columns are kept by the database, as the resident's are (grids migration 0010): a trigger
copies them from the resident whenever a referral is written (whatever Django writes there is
overwritten), and a statement-level trigger on residents refreshes the referrals of every
resident whose jurisdiction changed — which the resident's own triggers do whenever a household
changes grid or dwelling, a grid or a building changes community, a dwelling changes building.
A referral is written after its resident (the form and the API take an existing one); one
inserted by hand before its resident, in the same transaction, is seen by the street alone
until it is next written. SQLite (`make run`): row-level triggers.
"""

from django.db import migrations, models

PG_FORWARDS = """
CREATE OR REPLACE FUNCTION services_referral_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT r.scope_grid, r.scope_community INTO NEW.scope_grid, NEW.scope_community
      FROM grids_resident r WHERE r.id = NEW.resident_id;
    RETURN NEW;  -- no resident (yet): both NULL, seen by the street only
END $$;
CREATE TRIGGER services_referral_scope BEFORE INSERT OR UPDATE ON services_referral
    FOR EACH ROW EXECUTE FUNCTION services_referral_scope();

CREATE OR REPLACE FUNCTION grids_resident_referral_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH changed AS (
        SELECT id, scope_grid, scope_community FROM new_rows
        EXCEPT SELECT id, scope_grid, scope_community FROM old_rows
    )
    UPDATE services_referral SET scope_grid = NULL WHERE resident_id IN (SELECT id FROM changed);
    RETURN NULL;
END $$;
CREATE TRIGGER grids_resident_referral_scope AFTER UPDATE ON grids_resident
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_resident_referral_scope();

UPDATE services_referral SET scope_grid = NULL;
"""

PG_BACKWARDS = """
DROP TRIGGER IF EXISTS grids_resident_referral_scope ON grids_resident;
DROP FUNCTION IF EXISTS grids_resident_referral_scope();
DROP TRIGGER IF EXISTS services_referral_scope ON services_referral;
DROP FUNCTION IF EXISTS services_referral_scope();
"""

SQLITE_COPY = """
    UPDATE services_referral SET
        scope_grid = (SELECT scope_grid FROM grids_resident WHERE id = NEW.resident_id),
        scope_community = (SELECT scope_community FROM grids_resident WHERE id = NEW.resident_id)
    WHERE id = NEW.id;
"""
SQLITE_TRIGGERS = {
    "services_referral_scope_insert": (
        f"AFTER INSERT ON services_referral BEGIN {SQLITE_COPY} END"
    ),
    # recursive_triggers is off: the trigger's own UPDATE does not fire it again
    "services_referral_scope_update": (
        f"AFTER UPDATE ON services_referral BEGIN {SQLITE_COPY} END"
    ),
    "grids_resident_referral_scope": (
        "AFTER UPDATE OF scope_grid, scope_community ON grids_resident BEGIN"
        " UPDATE services_referral SET scope_grid = NEW.scope_grid,"
        " scope_community = NEW.scope_community WHERE resident_id = NEW.id; END"
    ),
}


def forwards(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(PG_FORWARDS, params=None)
        return
    for name, body in SQLITE_TRIGGERS.items():
        execute(f"CREATE TRIGGER {name} {body}", params=None)
    execute("UPDATE services_referral SET scope_grid = NULL", params=None)


def backwards(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(PG_BACKWARDS, params=None)
        return
    for name in SQLITE_TRIGGERS:
        execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0011_scope_triggers_set_difference"),
        ("services", "0011_activity_enrolment"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="scope_community",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="referral",
            name="scope_grid",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["scope_grid", "-created_at", "-id"], name="referral_grid_newest"
            ),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["scope_community", "-created_at", "-id"], name="referral_community_newest"
            ),
        ),
    ]
