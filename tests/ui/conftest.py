"""UI fixtures: an app over a real SQLite database with one stored stereo recording, and
clients logged in (cookie, as a browser) or not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.state import AppState
from srs.config import load_config
from srs.media.wavfile import write_wav
from srs.storage import Database
from srs.storage.accounts import DEFAULT_TENANT
from srs.storage.examples import example_result, example_snapshot
from srs.testing import pytest_runtest_makereport  # noqa: F401  (hook: logs of failures)
from srs.testing_media import tone

PASSWORD = "correct horse battery"


@pytest.fixture
def state(tmp_path: Path) -> Iterator[AppState]:
    db = Database(f"sqlite:///{tmp_path}/db/srs.db")
    db.create_all()
    config = load_config(
        None, {"SRS_STORAGE__DATA_DIR": str(tmp_path)}, detect_host=lambda: "127.0.0.1"
    )
    state = AppState(config=config, db=db, password_cost=2**4)
    state.accounts.ensure_tenant(DEFAULT_TENANT)
    state.accounts.create_user("sup", "supervisor", DEFAULT_TENANT, password=PASSWORD)
    yield state
    db.dispose()


@pytest.fixture
def recording(state: AppState, tmp_path: Path) -> str:
    """``rec-ui``: Alice (channel 0) and Bob (channel 1), 12.5 s, a DTMF 5 at 3 s."""
    path = tmp_path / "rec-ui.wav"
    pcm = np.stack([tone(440, 12.5, 8000, 0.5), tone(1000, 12.5, 8000, 0.2)], axis=1)
    write_wav(path, pcm.astype(np.int16), 8000)
    state.repository.save_recording(example_result(path), example_snapshot("rec-ui"), 5.0)
    return "rec-ui"


@pytest.fixture
def app(state: AppState) -> Litestar:
    return create_app(state)


@pytest.fixture
def anonymous(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def browser(app: Litestar) -> Iterator[TestClient[Litestar]]:
    """Logged in through the API's login, holding the session cookie like a browser."""
    with TestClient(app) as client:
        response = client.post("/api/v1/auth/login", json={"username": "sup", "password": PASSWORD})
        assert response.status_code == 200, response.text
        yield client
