"""Database guarantees the ORM cannot express, for SQLite and PostgreSQL.

- Immutability: UPDATE and DELETE of journals, transfers, entries, rollups, Merkle nodes
  and checkpoints are rejected; accounts may be updated (snapshots) but never deleted, and
  never change asset, community or kind.
- One asset per leg: on PostgreSQL composite foreign keys (account, asset); SQLite cannot
  add a foreign key to an existing table, so a BEFORE INSERT trigger does the same check.
"""

from typing import Any

IMMUTABLE_TABLES = (
    "ledger_journal",
    "ledger_transfer",
    "ledger_entry",
    "ledger_hotrollup",
    "ledger_merklenode",
    "ledger_checkpoint",
)

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION linli_ledger_reject_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger rows are immutable: % on %', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$ LANGUAGE plpgsql
"""


def postgresql_statements() -> list[str]:
    statements = [_PG_FUNCTION]
    for table in IMMUTABLE_TABLES:
        statements.append(
            f"CREATE TRIGGER linli_immutable_{table} BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION linli_ledger_reject_change()"
        )
    statements += [
        "CREATE TRIGGER linli_account_no_delete BEFORE DELETE ON ledger_account "
        "FOR EACH ROW EXECUTE FUNCTION linli_ledger_reject_change()",
        "CREATE TRIGGER linli_account_identity BEFORE UPDATE ON ledger_account FOR EACH ROW "
        "WHEN (OLD.asset IS DISTINCT FROM NEW.asset OR OLD.community_id IS DISTINCT FROM "
        "NEW.community_id OR OLD.kind IS DISTINCT FROM NEW.kind) "
        "EXECUTE FUNCTION linli_ledger_reject_change()",
        "ALTER TABLE ledger_transfer ADD CONSTRAINT transfer_debit_same_asset FOREIGN KEY "
        "(debit_account_id, asset) REFERENCES ledger_account (id, asset)",
        "ALTER TABLE ledger_transfer ADD CONSTRAINT transfer_credit_same_asset FOREIGN KEY "
        "(credit_account_id, asset) REFERENCES ledger_account (id, asset)",
    ]
    return statements


def _sqlite_reject(name: str, event: str, table: str, when: str = "") -> str:
    return (
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} {when} "
        f"BEGIN SELECT RAISE(ABORT, 'ledger rows are immutable: {event} on {table}'); END"
    )


def sqlite_statements() -> list[str]:
    statements = []
    for table in IMMUTABLE_TABLES:
        statements.append(_sqlite_reject(f"linli_immutable_{table}_update", "UPDATE", table))
        statements.append(_sqlite_reject(f"linli_immutable_{table}_delete", "DELETE", table))
    statements += [
        _sqlite_reject("linli_account_no_delete", "DELETE", "ledger_account"),
        _sqlite_reject(
            "linli_account_identity",
            "UPDATE",
            "ledger_account",
            "WHEN OLD.asset IS NOT NEW.asset OR OLD.community_id IS NOT NEW.community_id "
            "OR OLD.kind IS NOT NEW.kind",
        ),
        "CREATE TRIGGER linli_transfer_same_asset BEFORE INSERT ON ledger_transfer "
        "WHEN (SELECT asset FROM ledger_account WHERE id = NEW.debit_account_id) IS NOT NEW.asset "
        "OR (SELECT asset FROM ledger_account WHERE id = NEW.credit_account_id) IS NOT NEW.asset "
        "BEGIN SELECT RAISE(ABORT, 'transfer legs must share one asset'); END",
    ]
    return statements


def install(schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    statements = postgresql_statements() if vendor == "postgresql" else sqlite_statements()
    for statement in statements:
        schema_editor.execute(statement, params=None)
