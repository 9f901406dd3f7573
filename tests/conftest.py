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
