"""The resident's jurisdiction as columns of its own: `scope_grid` (its household's grid) and
`scope_community` (that grid's community or, for a household not yet in a grid, its building's).

A scoped search (an integration holding one street, a grid worker) used to reach the
residents through a semi-join on households: PostgreSQL read every resident of the district
whose name matched (every 陈) and threw away those of other streets, so the cost grew with the
district. With the jurisdiction on the row, `(scope_community, name)` and `(scope_grid, name)`
answer such a search — and its count — from the index, reading the street's names only.

The columns are **kept by the database**, never by Python: triggers recompute them whenever a
resident is written (whatever Django writes there is overwritten) and refresh the residents
concerned when a household changes grid or dwelling, a grid changes community, a building
changes community or a dwelling changes building — and when one of those rows is inserted
after its residents (the foreign keys are deferred, so a transaction may write in any order).
COPY, bulk updates and raw SQL are covered alike. PostgreSQL uses statement-level triggers
with transition tables (one UPDATE per statement, so an import of 100,000 rows pays one
refresh); SQLite (`make run`) row-level triggers.
"""

from django.db import migrations, models

# --- PostgreSQL --------------------------------------------------------------------------------

PG_RESIDENT = """
CREATE OR REPLACE FUNCTION grids_resident_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT h.grid_id,
           CASE WHEN h.grid_id IS NOT NULL THEN g.community_id ELSE b.community_id END
      INTO NEW.scope_grid, NEW.scope_community
      FROM grids_household h
      LEFT JOIN grids_grid g ON g.id = h.grid_id
      LEFT JOIN grids_dwelling d ON d.id = h.dwelling_id
      LEFT JOIN grids_building b ON b.id = d.building_id
     WHERE h.id = NEW.household_id;
    RETURN NEW;  -- no household (or none yet): both NULL, seen by the street only
END $$;
CREATE TRIGGER grids_resident_scope BEFORE INSERT OR UPDATE ON grids_resident
    FOR EACH ROW EXECUTE FUNCTION grids_resident_scope();
"""

# (table, the households whose residents to refresh, given `changed` rows of that table)
PG_SOURCES = [
    (
        "grids_household",
        "SELECT id FROM changed",
        "grid_id, dwelling_id",
    ),
    (
        "grids_grid",
        "SELECT h.id FROM grids_household h WHERE h.grid_id IN (SELECT id FROM changed)",
        "community_id",
    ),
    (
        "grids_building",
        "SELECT h.id FROM grids_household h JOIN grids_dwelling d ON d.id = h.dwelling_id"
        " WHERE h.grid_id IS NULL AND d.building_id IN (SELECT id FROM changed)",
        "community_id",
    ),
    (
        "grids_dwelling",
        "SELECT h.id FROM grids_household h"
        " WHERE h.grid_id IS NULL AND h.dwelling_id IN (SELECT id FROM changed)",
        "building_id",
    ),
]


def _pg_source_sql(table: str, households: str, columns: str) -> str:
    differs = " OR ".join(
        f"n.{column} IS DISTINCT FROM o.{column}" for column in columns.split(", ")
    )
    return f"""
CREATE OR REPLACE FUNCTION {table}_scope_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH changed AS (SELECT id FROM new_rows)
    UPDATE grids_resident SET scope_grid = NULL WHERE household_id IN ({households});
    RETURN NULL;
END $$;
CREATE TRIGGER {table}_scope_inserted AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {table}_scope_inserted();
CREATE OR REPLACE FUNCTION {table}_scope_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH changed AS (
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {differs}
    )
    UPDATE grids_resident SET scope_grid = NULL WHERE household_id IN ({households});
    RETURN NULL;
END $$;
CREATE TRIGGER {table}_scope_updated AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {table}_scope_updated();
"""


PG_INDEXES = """
CREATE INDEX IF NOT EXISTS grids_resident_scope_community_name
    ON grids_resident (scope_community, name varchar_pattern_ops);
CREATE INDEX IF NOT EXISTS grids_resident_scope_grid_name
    ON grids_resident (scope_grid, name varchar_pattern_ops);
"""

# --- SQLite (`make run`) -------------------------------------------------------------------------

SQLITE_RECOMPUTE = """
    UPDATE grids_resident SET
        scope_grid = (SELECT h.grid_id FROM grids_household h WHERE h.id = NEW.household_id),
        scope_community = (
            SELECT CASE WHEN h.grid_id IS NOT NULL THEN g.community_id ELSE b.community_id END
              FROM grids_household h
              LEFT JOIN grids_grid g ON g.id = h.grid_id
              LEFT JOIN grids_dwelling d ON d.id = h.dwelling_id
              LEFT JOIN grids_building b ON b.id = d.building_id
             WHERE h.id = NEW.household_id
        )
    WHERE id = NEW.id;
"""

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER grids_resident_scope_insert AFTER INSERT ON grids_resident BEGIN"
    f" {SQLITE_RECOMPUTE} END",
    # recursive_triggers is off: the trigger's own UPDATE does not fire it again
    f"CREATE TRIGGER grids_resident_scope_update AFTER UPDATE ON grids_resident BEGIN"
    f" {SQLITE_RECOMPUTE} END",
]
SQLITE_SOURCES = [
    ("grids_household", "grid_id, dwelling_id", "SELECT NEW.id"),
    ("grids_grid", "community_id", "SELECT id FROM grids_household WHERE grid_id = NEW.id"),
    (
        "grids_building",
        "community_id",
        "SELECT h.id FROM grids_household h JOIN grids_dwelling d ON d.id = h.dwelling_id"
        " WHERE h.grid_id IS NULL AND d.building_id = NEW.id",
    ),
    (
        "grids_dwelling",
        "building_id",
        "SELECT id FROM grids_household WHERE grid_id IS NULL AND dwelling_id = NEW.id",
    ),
]
for _table, _columns, _households in SQLITE_SOURCES:
    _refresh = f"UPDATE grids_resident SET scope_grid = NULL WHERE household_id IN ({_households});"
    SQLITE_TRIGGERS += [
        f"CREATE TRIGGER {_table}_scope_inserted AFTER INSERT ON {_table} BEGIN {_refresh} END",
        f"CREATE TRIGGER {_table}_scope_updated AFTER UPDATE OF {_columns} ON {_table} BEGIN"
        f" {_refresh} END",
    ]

SQLITE_INDEXES = [
    "CREATE INDEX grids_resident_scope_community_name ON grids_resident (scope_community, name)",
    "CREATE INDEX grids_resident_scope_grid_name ON grids_resident (scope_grid, name)",
]

TRIGGER_NAMES = [
    ("grids_resident_scope", "grids_resident"),
    *[(f"{table}_scope_{when}", table) for table, *_ in PG_SOURCES for when in ("inserted", "updated")],
]


def forwards(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(PG_RESIDENT, params=None)
        for table, households, columns in PG_SOURCES:
            execute(_pg_source_sql(table, households, columns), params=None)
        # Fill the columns of the residents already there (the BEFORE trigger computes them).
        execute("UPDATE grids_resident SET scope_grid = NULL WHERE household_id IS NOT NULL", params=None)
        execute(PG_INDEXES, params=None)
    else:
        for statement in SQLITE_TRIGGERS:
            execute(statement, params=None)
        execute("UPDATE grids_resident SET scope_grid = NULL WHERE household_id IS NOT NULL", params=None)
        for statement in SQLITE_INDEXES:
            execute(statement, params=None)


def backwards(apps, schema_editor):
    execute = schema_editor.execute
    execute("DROP INDEX IF EXISTS grids_resident_scope_community_name", params=None)
    execute("DROP INDEX IF EXISTS grids_resident_scope_grid_name", params=None)
    if schema_editor.connection.vendor == "postgresql":
        for trigger, table in TRIGGER_NAMES:
            execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}", params=None)
            execute(f"DROP FUNCTION IF EXISTS {trigger}()", params=None)
    else:
        for statement in SQLITE_TRIGGERS:
            name = statement.split()[2]
            execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [("grids", "0009_household_ungridded")]

    operations = [
        migrations.AddField(
            model_name="resident",
            name="scope_grid",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="resident",
            name="scope_community",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
