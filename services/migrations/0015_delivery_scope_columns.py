"""A delivery carries its resident's jurisdiction columns: `scope_grid` and `scope_community`.

As referrals do (migration 0012), and for the same reason: a community's or a grid's
deliveries were found by `resident_id IN (residents of the jurisdiction)`, which PostgreSQL
answered by hashing the jurisdiction's residents and reading every delivery of the district
(the community dashboard's months: 100,000 deliveries read for 9,814 kept, 27 ms). With the
columns on the delivery, `(scope_grid, delivered_at, id)` and `(scope_community, delivered_at,
id)` give the lists and the months from the jurisdiction's own index range.

Kept by the database: a trigger copies the columns from the resident whenever a delivery is
written (whatever Django writes there is overwritten; bulk inserts of a meal import included),
and a statement-level trigger on residents refreshes the deliveries of every resident whose
jurisdiction changed. SQLite (`make run`): row-level triggers.
"""

from django.db import migrations, models

PG_FORWARDS = """
CREATE OR REPLACE FUNCTION services_delivery_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT r.scope_grid, r.scope_community INTO NEW.scope_grid, NEW.scope_community
      FROM grids_resident r WHERE r.id = NEW.resident_id;
    RETURN NEW;  -- no resident (yet): both NULL, seen by the street only
END $$;
CREATE TRIGGER services_delivery_scope BEFORE INSERT OR UPDATE ON services_delivery
    FOR EACH ROW EXECUTE FUNCTION services_delivery_scope();

CREATE OR REPLACE FUNCTION grids_resident_delivery_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH changed AS (
        SELECT id, scope_grid, scope_community FROM new_rows
        EXCEPT SELECT id, scope_grid, scope_community FROM old_rows
    )
    UPDATE services_delivery SET scope_grid = NULL WHERE resident_id IN (SELECT id FROM changed);
    RETURN NULL;
END $$;
CREATE TRIGGER grids_resident_delivery_scope AFTER UPDATE ON grids_resident
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_resident_delivery_scope();

UPDATE services_delivery SET scope_grid = NULL;
"""

PG_BACKWARDS = """
DROP TRIGGER IF EXISTS grids_resident_delivery_scope ON grids_resident;
DROP FUNCTION IF EXISTS grids_resident_delivery_scope();
DROP TRIGGER IF EXISTS services_delivery_scope ON services_delivery;
DROP FUNCTION IF EXISTS services_delivery_scope();
"""

SQLITE_COPY = """
    UPDATE services_delivery SET
        scope_grid = (SELECT scope_grid FROM grids_resident WHERE id = NEW.resident_id),
        scope_community = (SELECT scope_community FROM grids_resident WHERE id = NEW.resident_id)
    WHERE id = NEW.id;
"""
SQLITE_TRIGGERS = {
    "services_delivery_scope_insert": f"AFTER INSERT ON services_delivery BEGIN {SQLITE_COPY} END",
    # recursive_triggers is off: the trigger's own UPDATE does not fire it again
    "services_delivery_scope_update": f"AFTER UPDATE ON services_delivery BEGIN {SQLITE_COPY} END",
    "grids_resident_delivery_scope": (
        "AFTER UPDATE OF scope_grid, scope_community ON grids_resident BEGIN"
        " UPDATE services_delivery SET scope_grid = NEW.scope_grid,"
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
    execute("UPDATE services_delivery SET scope_grid = NULL", params=None)


def backwards(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(PG_BACKWARDS, params=None)
        return
    for name in SQLITE_TRIGGERS:
        execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0014_referral_event_answers"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="scope_community",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="delivery",
            name="scope_grid",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                fields=["scope_grid", "-delivered_at", "-id"], name="delivery_grid_newest"
            ),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                fields=["scope_community", "-delivered_at", "-id"],
                name="delivery_community_newest",
            ),
        ),
    ]
