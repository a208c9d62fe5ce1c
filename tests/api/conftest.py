"""An API over a real SQLite database and a scripted live-session source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.state import AppState, DictLiveSessions
from srs.config import load_config
from srs.storage import Database, Repository


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path}/db/srs.db")
    db.create_all()
    yield db
    db.dispose()


@pytest.fixture
def repo(database: Database) -> Repository:
    return Repository(database)


@pytest.fixture
def live() -> DictLiveSessions:
    return DictLiveSessions()


@pytest.fixture
def app(database: Database, live: DictLiveSessions, tmp_path: Path) -> Litestar:
    config = load_config(
        None, {"SRS_STORAGE__DATA_DIR": str(tmp_path)}, detect_host=lambda: "127.0.0.1"
    )
    return create_app(AppState(config=config, db=database, live=live))


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app) as test_client:
        yield test_client
