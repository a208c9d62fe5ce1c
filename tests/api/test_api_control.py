"""Live control through the API: pause/resume, mute/unmute, keep, annotations, audit, SSE."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.state import AppState, DictLiveSessions
from srs.control import ServerControl
from srs.storage.examples import EPOCH, example_snapshot


class FakeCapture:
    """Records what control asked of the capture engine (the real one writes spool events)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.open: set[str] = set()

    def set_paused(self, recording_id: str, paused: bool) -> None:
        if recording_id not in self.open:
            raise KeyError(recording_id)
        self.calls.append(("pause" if paused else "resume", recording_id))

    def set_muted(self, recording_id: str, key: str, muted: bool) -> None:
        if recording_id not in self.open:
            raise KeyError(recording_id)
        self.calls.append(("mute" if muted else "unmute", recording_id, key))


class Clock:
    def __init__(self) -> None:
        self.now = EPOCH + 10

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def capture() -> FakeCapture:
    return FakeCapture()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(state: AppState, live: DictLiveSessions, capture: FakeCapture, clock: Clock) -> AppState:
    state.control = ServerControl(capture, live)
    state.clock = clock
    return state


def go_live(live: DictLiveSessions, capture: FakeCapture, rid: str = "r1") -> None:
    live.sessions[rid] = example_snapshot(rid)
    capture.open.add(rid)


def test_pause_resume_reaches_capture_and_is_audited(
    client: TestClient[Litestar],
    live: DictLiveSessions,
    capture: FakeCapture,
    clock: Clock,
) -> None:
    go_live(live, capture)
    response = client.post("/api/v1/sessions/r1/pause")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["paused"] is True
    assert body["intervals"] == [{"kind": "pause", "start": EPOCH + 10, "end": None}]
    assert capture.calls == [("pause", "r1")]
    clock.now += 5
    body = client.post("/api/v1/sessions/r1/resume").json()
    assert body["paused"] is False
    assert body["intervals"] == [{"kind": "pause", "start": EPOCH + 10, "end": EPOCH + 15}]
    assert capture.calls == [("pause", "r1"), ("resume", "r1")]
    session = client.get("/api/v1/sessions/r1").json()
    assert session["paused"] is False
    assert session["annotation"]["intervals"] == body["intervals"]
    audit = client.get("/api/v1/audit?target_id=r1").json()
    assert [e["action"] for e in audit["items"]] == ["control.resume", "control.pause"]
    assert {e["actor"] for e in audit["items"]} == {"root"}


def test_mute_one_participant_mutes_its_streams(
    client: TestClient[Litestar], live: DictLiveSessions, capture: FakeCapture
) -> None:
    go_live(live, capture)
    body = client.post("/api/v1/sessions/r1/participants/bob/mute").json()
    assert body["muted"] == ["bob"]
    assert capture.calls == [("mute", "r1", "s1")]
    session = client.get("/api/v1/sessions/r1").json()
    assert session["muted"] == ["bob"]
    assert [(s["key"], s["muted"]) for s in session["streams"]] == [("s0", False), ("s1", True)]
    client.post("/api/v1/sessions/r1/participants/bob/unmute")
    assert capture.calls[-1] == ("unmute", "r1", "s1")
    missing = client.post("/api/v1/sessions/r1/participants/carol/mute")
    assert missing.status_code == 404
    assert missing.json()["field"] == "participant_id"


def test_control_of_an_ended_or_unknown_session(
    client: TestClient[Litestar], repo: object, live: DictLiveSessions, capture: FakeCapture
) -> None:
    from srs.storage import Repository

    assert isinstance(repo, Repository)
    repo.upsert_session(example_snapshot("old", ended_at=EPOCH + 60))
    response = client.post("/api/v1/sessions/old/pause")
    assert response.status_code == 409
    assert response.json() == {
        "error": "conflict",
        "detail": "session 'old' is not being recorded now",
        "field": "session_id",
    }
    assert client.post("/api/v1/sessions/nope/pause").status_code == 404
    go_live(live, capture, "gone")
    capture.open.discard("gone")  # registry still lists it, the capture engine ended it
    assert client.post("/api/v1/sessions/gone/pause").status_code == 409


def test_keep_false_is_stored(
    client: TestClient[Litestar], state: AppState, live: DictLiveSessions, capture: FakeCapture
) -> None:
    go_live(live, capture)
    body = client.post("/api/v1/sessions/r1/keep", json={"keep": False}).json()
    assert body["keep"] is False
    annotation = state.catalog.annotation("r1")
    assert annotation is not None and annotation.keep is False
    assert client.get("/api/v1/sessions/r1").json()["keep"] is False
    actions = [e["action"] for e in client.get("/api/v1/audit").json()["items"]]
    assert actions[0] == "control.discard"
    bad = client.post("/api/v1/sessions/r1/keep", json={"keep": "no"})
    assert bad.status_code == 422
    assert bad.json()["error"] == "invalid_value"


def test_annotate_live_session(
    client: TestClient[Litestar], live: DictLiveSessions, capture: FakeCapture
) -> None:
    go_live(live, capture)
    body = client.patch(
        "/api/v1/sessions/r1",
        json={"notes": "VIP", "tags": ["Sales", "sales", "q3"], "flag": 7, "agent_id": "a-1"},
    ).json()
    assert (body["notes"], body["tags"], body["flag"], body["agent_id"]) == (
        "VIP",
        ["sales", "q3"],
        7,
        "a-1",
    )
    assert body["tenant_id"] == "default"
    cleared = client.patch("/api/v1/sessions/r1", json={"notes": None}).json()
    assert (cleared["notes"], cleared["flag"]) == (None, 7)
    bad = client.patch("/api/v1/sessions/r1", json={"flag": 11})
    assert (bad.status_code, bad.json()["field"]) == (422, "flag")
    bad_tag = client.patch("/api/v1/sessions/r1", json={"tags": ["a b"]})
    assert (bad_tag.status_code, bad_tag.json()["field"]) == (422, "tags")
    unknown = client.patch("/api/v1/sessions/r1", json={"colour": "red"})
    assert unknown.status_code == 422


def test_live_session_shows_codecs_counters_and_hold(
    client: TestClient[Litestar], live: DictLiveSessions, capture: FakeCapture
) -> None:
    go_live(live, capture)
    snapshot = live.sessions["r1"]
    snapshot["streams"][0]["codecs"] = [{"encoding": "PCMU", "clock_rate": 8000}]
    snapshot["streams"][0]["active"] = False
    snapshot["media"] = {"s0": {"packets": 120, "bytes": 20640, "ssrcs": [7]}}
    session = client.get("/api/v1/sessions").json()["items"][0]
    s0 = session["streams"][0]
    assert (s0["codec"], s0["held"], s0["packets"], s0["bytes"], s0["ssrcs"]) == (
        "PCMU/8000",
        True,
        120,
        20640,
        [7],
    )
    assert session["held"] is False  # s1 is still sending


def _events(client: TestClient[Litestar], query: str) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    with client.stream("GET", f"/api/v1/sessions/events{query}") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                out.append((name, json.loads(line.split(":", 1)[1])))
    return out


def test_event_feed_reports_live_sessions(
    client: TestClient[Litestar], live: DictLiveSessions, capture: FakeCapture
) -> None:
    go_live(live, capture, "a")
    go_live(live, capture, "b")
    events = _events(client, "?limit=2&interval=0.05")
    assert sorted((n, d["id"]) for n, d in events) == [
        ("session.active", "a"),
        ("session.active", "b"),
    ]
    assert events[0][1]["participants"][0]["participant_id"] == "alice"


def test_event_feed_sees_a_session_end(
    client: TestClient[Litestar],
    live: DictLiveSessions,
    capture: FakeCapture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    go_live(live, capture, "a")
    polls: list[int] = []

    def list_once() -> list[dict[str, object]]:
        polls.append(1)
        return list(live.sessions.values()) if len(polls) == 1 else []

    monkeypatch.setattr(live, "list_sessions", list_once)
    events = _events(client, "?limit=2&interval=0.05")
    assert [(n, d["id"]) for n, d in events] == [("session.active", "a"), ("session.ended", "a")]


def test_event_feed_carries_control_events(
    client: TestClient[Litestar], live: DictLiveSessions, capture: FakeCapture
) -> None:
    go_live(live, capture, "a")
    import threading

    def pause_soon() -> None:
        import time

        time.sleep(0.3)
        client.post("/api/v1/sessions/a/pause")

    worker = threading.Thread(target=pause_soon)
    worker.start()
    events = _events(client, "?limit=2&interval=0.05")
    worker.join()
    assert [n for n, _ in events] == ["session.active", "control"]
    assert events[1][1]["action"] == "control.pause"
    assert events[1][1]["paused"] is True


def test_server_control_finish_discards_spool(tmp_path: Path, live: DictLiveSessions) -> None:
    capture = FakeCapture()
    control = ServerControl(capture, live)
    go_live(live, capture)
    spool = tmp_path / "r1"
    spool.mkdir()
    (spool / "s0.spool").write_bytes(b"x")
    control.keep("r1", False, EPOCH)
    assert control.finish("r1", spool) is False
    assert not spool.exists()
    assert control.state("r1") is None
    assert control.finish("r2", tmp_path / "r2") is True  # never controlled: finalize it


def test_server_control_fits_the_real_capture_engine(tmp_path: Path) -> None:
    """Type-level and behavioural fit with ``CaptureEngine`` and ``LiveRegistry``."""
    from srs.control import NotLiveError
    from srs.media.capture import CaptureEngine
    from srs.media.ports import UdpPortAllocator
    from srs.server import LiveRegistry
    from srs.session.plan import SessionSnapshot

    engine = CaptureEngine(tmp_path, UdpPortAllocator("127.0.0.1", 40000, 40010))
    registry = LiveRegistry(engine)
    control = ServerControl(engine, registry)
    snapshot = example_snapshot("r1")
    engine.apply(SessionSnapshot("r1", snapshot))  # as Server._apply does, in this order
    registry.update("r1", snapshot)
    assert control.pause("r1", True, EPOCH).paused is True
    assert control.mute("r1", "alice", True, EPOCH).muted == {"alice"}  # no open stream yet
    with pytest.raises(NotLiveError, match="'r2' is not being recorded now"):
        control.pause("r2", True, EPOCH)
    registry.update("r3", example_snapshot("r3"))  # registry ahead of the engine
    with pytest.raises(NotLiveError):
        control.pause("r3", True, EPOCH)
