"""The statement-level UPDATE triggers of 0010 find the changed rows by a set difference.

0010 joined the trigger's `new_rows` and `old_rows` on id. PL/pgSQL plans that statement once
and keeps the plan; planned on a first statement of one row, it was a nested loop, so every
later UPDATE of 1,000 households compared 1,000 × 1,000 rows (150 ms each: an import of
100,000 residents spent 8.8 s setting its households' heads, which changes no grid or
dwelling at all). `new_rows EXCEPT old_rows` on (id, watched columns) is hashed or sorted,
whatever the plan's estimate, and compares NULLs as equal, as IS DISTINCT FROM did.
SQLite's row-level triggers (`make run`) are unchanged.
"""

from django.db import migrations

# (table, the households whose residents to refresh, given `changed` rows, watched columns):
# as in 0010.
SOURCES = [
    ("grids_household", "SELECT id FROM changed", "grid_id, dwelling_id"),
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


def _updated_function(table: str, households: str, columns: str, *, joined: bool) -> str:
    if joined:  # 0010's form, for going back
        differs = " OR ".join(
            f"n.{column} IS DISTINCT FROM o.{column}" for column in columns.split(", ")
        )
        changed = f"SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {differs}"
    else:
        changed = f"SELECT id, {columns} FROM new_rows EXCEPT SELECT id, {columns} FROM old_rows"
    return f"""
CREATE OR REPLACE FUNCTION {table}_scope_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH changed AS ({changed})
    UPDATE grids_resident SET scope_grid = NULL WHERE household_id IN ({households});
    RETURN NULL;
END $$;
"""


def _replace(schema_editor, *, joined: bool) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, households, columns in SOURCES:
        schema_editor.execute(
            _updated_function(table, households, columns, joined=joined), params=None
        )


def forwards(apps, schema_editor):
    _replace(schema_editor, joined=False)


def backwards(apps, schema_editor):
    _replace(schema_editor, joined=True)


class Migration(migrations.Migration):
    dependencies = [("grids", "0010_resident_scope_columns")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
