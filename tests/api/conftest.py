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
from srs.storage.accounts import DEFAULT_TENANT


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
def app(state: AppState) -> Litestar:
    return create_app(state)


@pytest.fixture
def state(database: Database, live: DictLiveSessions, tmp_path: Path) -> AppState:
    """A fast password hash (tests log in often); the rest as in production."""
    config = load_config(
        None, {"SRS_STORAGE__DATA_DIR": str(tmp_path)}, detect_host=lambda: "127.0.0.1"
    )
    return AppState(config=config, db=database, live=live, password_cost=2**4)


@pytest.fixture
def admin_key(state: AppState) -> str:
    """An API key of a system admin of the ``default`` tenant."""
    state.accounts.ensure_tenant(DEFAULT_TENANT)
    user = state.accounts.create_user("root", "system-admin", DEFAULT_TENANT)
    assert user.id is not None
    return state.accounts.create_api_key(user.id, "tests")[1]


@pytest.fixture
def client(app: Litestar, admin_key: str) -> Iterator[TestClient[Litestar]]:
    """A client authenticated as a system admin (every existing endpoint test)."""
    with TestClient(app) as test_client:
        test_client.headers["X-API-Key"] = admin_key
        yield test_client


@pytest.fixture
def anonymous(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app) as test_client:
        yield test_client
