"""The database side of a services table that carries a copy of its resident's jurisdiction
(`scope_grid`, `scope_community`): referrals (0012), deliveries (0015).

Not a migration itself (the loader skips modules whose names start with "_"): the SQL both
migrations run, written once. A trigger copies the columns from the resident whenever a row is
written (whatever Django writes there is overwritten), and a statement-level trigger on
residents refreshes the rows of every resident whose jurisdiction changed. SQLite (`make run`):
row-level triggers. Keep what it writes stable: the migrations that use it have run.
"""


def postgres_forwards(name: str) -> str:
    table = f"services_{name}"
    return f"""
CREATE OR REPLACE FUNCTION {table}_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT r.scope_grid, r.scope_community INTO NEW.scope_grid, NEW.scope_community
      FROM grids_resident r WHERE r.id = NEW.resident_id;
    RETURN NEW;  -- no resident (yet): both NULL, seen by the street only
END $$;
CREATE TRIGGER {table}_scope BEFORE INSERT OR UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_scope();

CREATE OR REPLACE FUNCTION grids_resident_{name}_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH changed AS (
        SELECT id, scope_grid, scope_community FROM new_rows
        EXCEPT SELECT id, scope_grid, scope_community FROM old_rows
    )
    UPDATE {table} SET scope_grid = NULL WHERE resident_id IN (SELECT id FROM changed);
    RETURN NULL;
END $$;
CREATE TRIGGER grids_resident_{name}_scope AFTER UPDATE ON grids_resident
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_resident_{name}_scope();

UPDATE {table} SET scope_grid = NULL;
"""


def postgres_backwards(name: str) -> str:
    table = f"services_{name}"
    return f"""
DROP TRIGGER IF EXISTS grids_resident_{name}_scope ON grids_resident;
DROP FUNCTION IF EXISTS grids_resident_{name}_scope();
DROP TRIGGER IF EXISTS {table}_scope ON {table};
DROP FUNCTION IF EXISTS {table}_scope();
"""


def sqlite_triggers(name: str) -> dict[str, str]:
    table = f"services_{name}"
    copy = f"""
    UPDATE {table} SET
        scope_grid = (SELECT scope_grid FROM grids_resident WHERE id = NEW.resident_id),
        scope_community = (SELECT scope_community FROM grids_resident WHERE id = NEW.resident_id)
    WHERE id = NEW.id;
"""
    return {
        f"{table}_scope_insert": f"AFTER INSERT ON {table} BEGIN {copy} END",
        # recursive_triggers is off: the trigger's own UPDATE does not fire it again
        f"{table}_scope_update": f"AFTER UPDATE ON {table} BEGIN {copy} END",
        f"grids_resident_{name}_scope": (
            "AFTER UPDATE OF scope_grid, scope_community ON grids_resident BEGIN"
            f" UPDATE {table} SET scope_grid = NEW.scope_grid,"
            f" scope_community = NEW.scope_community WHERE resident_id = NEW.id; END"
        ),
    }


def operations(name: str):
    """forwards(apps, schema_editor) and backwards(...) for RunPython."""

    def forwards(apps, schema_editor):
        execute = schema_editor.execute
        if schema_editor.connection.vendor == "postgresql":
            execute(postgres_forwards(name), params=None)
            return
        for trigger, body in sqlite_triggers(name).items():
            execute(f"CREATE TRIGGER {trigger} {body}", params=None)
        execute(f"UPDATE services_{name} SET scope_grid = NULL", params=None)

    def backwards(apps, schema_editor):
        execute = schema_editor.execute
        if schema_editor.connection.vendor == "postgresql":
            execute(postgres_backwards(name), params=None)
            return
        for trigger in sqlite_triggers(name):
            execute(f"DROP TRIGGER IF EXISTS {trigger}", params=None)

    return forwards, backwards
