"""Append-only tables enforced by the database itself, on SQLite and PostgreSQL.

Django can be bypassed (a shell, a raw query, a bug), so immutability lives in triggers:
UPDATE and DELETE raise an integrity error. The tables are created by migrations; call
`append_only_sql()` from a `RunPython` there (see communities 0001) and again after any
later migration that makes SQLite rebuild the table, because a rebuild drops triggers.

Emptying a whole table stays possible the way an administrator would: PostgreSQL's
TRUNCATE does not fire row triggers; on SQLite the test suite's flush drops and re-creates
the triggers around its DELETEs (tests/conftest.py).
"""

from typing import Any

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION communities_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
"""


def append_only_sql(table: str, vendor: str) -> tuple[list[str], list[str]]:
    """(statements that make `table` append-only, statements that undo it) for a vendor."""
    if vendor == "postgresql":
        trigger = f"{table}_append_only"
        return (
            [
                _PG_FUNCTION,
                f"DROP TRIGGER IF EXISTS {trigger} ON {table};",
                f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION communities_reject_change();",
            ],
            [f"DROP TRIGGER IF EXISTS {trigger} ON {table};"],
        )
    if vendor == "sqlite":
        no_update, no_delete = f"{table}_no_update", f"{table}_no_delete"
        return (
            [
                f"DROP TRIGGER IF EXISTS {no_update};",
                f"DROP TRIGGER IF EXISTS {no_delete};",
                f"CREATE TRIGGER {no_update} BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE rejected'); END;",
                f"CREATE TRIGGER {no_delete} BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE rejected'); END;",
            ],
            [f"DROP TRIGGER IF EXISTS {no_update};", f"DROP TRIGGER IF EXISTS {no_delete};"],
        )
    raise NotImplementedError(f"append-only triggers for {vendor}")


def make_append_only(*tables: str) -> Any:
    """A `RunPython` operation that installs the triggers for `tables` (and can undo it)."""
    from django.db import migrations

    def forward(apps: Any, schema_editor: Any) -> None:
        for table in tables:
            for statement in append_only_sql(table, schema_editor.connection.vendor)[0]:
                schema_editor.execute(statement, params=None)

    def backward(apps: Any, schema_editor: Any) -> None:
        for table in tables:
            for statement in append_only_sql(table, schema_editor.connection.vendor)[1]:
                schema_editor.execute(statement, params=None)

    return migrations.RunPython(forward, backward, elidable=False)
