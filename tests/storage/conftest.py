"""A real database per test: SQLite in a temp dir, plus PostgreSQL when
``SRS_TEST_DATABASE_URL`` names one (that variant is skipped otherwise)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from srs.storage import Database, Repository

PG_ENV = "SRS_TEST_DATABASE_URL"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path}/db/srs.db")
    else:
        url = os.environ.get(PG_ENV)
        if not url:
            pytest.skip(f"{PG_ENV} not set")
        db = Database(url)
        db.drop_all()
    db.create_all()
    yield db
    if request.param != "sqlite":
        db.drop_all()
    db.dispose()


@pytest.fixture
def repo(database: Database) -> Repository:
    return Repository(database)
