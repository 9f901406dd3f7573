"""Shared fixtures: a community with a policy version, and people in it."""

import os
from pathlib import Path

import pytest

ARTIFACTS_DIR = Path(os.environ.get("TEST_ARTIFACTS_DIR", "test-artifacts")).resolve()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture
def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


@pytest.fixture(scope="session", autouse=True)
def _sqlite_flush_keeps_triggers():
    """Let transactional tests empty append-only tables on SQLite.

    Django empties tables between transactional tests with DELETE on SQLite (TRUNCATE on
    PostgreSQL, which row triggers do not see). Our immutability triggers rightly refuse
    those DELETEs, so for the test flush only we drop every trigger first and re-create it
    from its stored SQL afterwards. Production code has no such way around the triggers.
    """
    from django.db.backends.sqlite3.base import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if not statements:
            return statements
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            found = cursor.fetchall()
        drops = [f'DROP TRIGGER IF EXISTS "{name}"' for name, _sql in found]
        return drops + list(statements) + [sql for _name, sql in found]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


@pytest.fixture(autouse=True)
def _postgres_only_marker(request: pytest.FixtureRequest) -> None:
    """Tests marked `postgres_only` (row locks, real concurrency) skip on SQLite."""
    from django.db import connection

    if request.node.get_closest_marker("postgres_only") and connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency are tested on PostgreSQL")
