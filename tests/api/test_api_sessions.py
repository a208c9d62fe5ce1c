"""``/sessions``: live sessions from the server, ended ones from the database."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from api.state import DictLiveSessions
from srs.storage import Repository
from srs.storage.examples import EPOCH, example_snapshot


def test_lists_live_sessions(client: TestClient[Litestar], live: DictLiveSessions) -> None:
    assert client.get("/api/v1/sessions").json() == {"items": [], "total": 0}
    live.sessions["live-1"] = example_snapshot("live-1")
    live.sessions["broken"] = {"call_id": "no recording id"}
    body = client.get("/api/v1/sessions").json()
    assert body["total"] == 1
    item = body["items"][0]
    assert (item["id"], item["state"], item["live"], item["signaling_state"]) == (
        "live-1",
        "active",
        True,
        "active",
    )
    assert item["capture"] is None
    assert item["started_at"] == "2026-07-25T17:20:00Z"
    assert [p["participant_id"] for p in item["participants"]] == ["alice", "bob"]
    assert [(s["key"], s["channel"]) for s in item["streams"]] == [("s0", 0), ("s1", 1)]


def test_get_session_prefers_live_then_database(
    client: TestClient[Litestar], live: DictLiveSessions, repo: Repository
) -> None:
    repo.upsert_session(example_snapshot("r1"))
    repo.end_session("r1", "bye", EPOCH + 5)
    body = client.get("/api/v1/sessions/r1").json()
    assert (body["live"], body["state"], body["end_reason"]) == (False, "ended", "bye")
    assert body["ended_at"] == "2026-07-25T17:20:05Z"
    assert [p["role"] for p in body["participants"]] == ["caller", "callee"]
    live.sessions["r1"] = example_snapshot("r1")
    assert client.get("/api/v1/sessions/r1").json()["live"] is True


def test_unknown_session_is_404(client: TestClient[Litestar]) -> None:
    response = client.get("/api/v1/sessions/nope")
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "detail": "session 'nope' not found",
        "field": "session_id",
    }


def test_live_capture_counters_and_terminated_state(
    client: TestClient[Litestar], live: DictLiveSessions
) -> None:
    snapshot = example_snapshot("r2") | {"state": "terminated", "media": {"s0": {"packets": 10}}}
    live.sessions["r2"] = snapshot
    body = client.get("/api/v1/sessions/r2").json()
    assert (body["state"], body["signaling_state"]) == ("ended", "terminated")
    assert body["capture"] == {"s0": {"packets": 10}}
    assert body["dialog_key"] == "call-1@sbc.example.com;srs-1;a1"
    assert body["mapping_confidence"] == "metadata"
