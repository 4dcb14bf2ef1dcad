"""Index-backed search on PostgreSQL: trigram indexes for names, numbers and addresses.

Created only on PostgreSQL (SQLite of `make run` searches the small demo without them). The
blind-index columns for ID numbers and phones already carry plain B-tree indexes.
"""

from django.db import migrations

INDEXES = [
    ("grids_resident_name_trgm", "grids_resident", "name"),
    ("grids_household_number_trgm", "grids_household", "number"),
    ("grids_building_address_trgm", "grids_building", "address"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)", params=None
        )
    # Prefix search (LIKE '王%') through a B-tree whatever the database's collation.
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS grids_resident_name_prefix ON grids_resident (name varchar_pattern_ops)",
        params=None,
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}", params=None)
    schema_editor.execute("DROP INDEX IF EXISTS grids_resident_name_prefix", params=None)


class Migration(migrations.Migration):
    dependencies = [("grids", "0003_visits_microgrids_imports")]
    operations = [migrations.RunPython(forwards, backwards)]
