"""``/metrics``: Prometheus text with live, stored, SIP and disk figures; optional token."""

from __future__ import annotations

import re
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.state import AppState, DictLiveSessions
from srs.storage import Repository
from srs.storage.examples import EPOCH, example_result, example_snapshot


def samples(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_metrics(
    anonymous: TestClient[Litestar],
    state: AppState,
    live: DictLiveSessions,
    repo: Repository,
    tmp_path: Path,
) -> None:
    live.sessions["r1"] = dict(
        example_snapshot("r1"), media={"s0": {"packets": 50, "bytes": 8600}, "s1": {"packets": 7}}
    )
    (tmp_path / "a.wav").write_bytes(b"x")
    repo.save_recording(example_result(tmp_path / "a.wav"), example_snapshot("a"), 300.0)
    repo.save_recording(
        example_result(tmp_path / "a.wav"), example_snapshot("b", started_at=EPOCH + 5), 1500.0
    )
    state.sip_responses = lambda: {200: 4, 503: 1}
    response = anonymous.get("/api/v1/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    got = samples(response.text)
    assert got["srs_sessions_active"] == 1
    assert got["srs_streams_active"] == 2
    assert got["srs_live_rtp_packets"] == 57
    assert got["srs_live_rtp_bytes"] == 8600
    assert got['srs_sessions{state="finalized"}'] == 2
    assert got["srs_recorded_rtp_packets_total"] == 2 * (625 + 624)
    assert got["srs_recorded_rtp_lost_total"] == 2
    assert got['srs_finalize_latency_ms_bucket{le="500"}'] == 1
    assert got['srs_finalize_latency_ms_bucket{le="2500"}'] == 2
    assert got['srs_finalize_latency_ms_bucket{le="+Inf"}'] == 2
    assert got["srs_finalize_latency_ms_sum"] == 1800
    assert got['srs_sip_responses_total{code="503"}'] == 1
    assert got['srs_disk_free_bytes{path="recordings"}'] > 0
    assert re.search(r"^# TYPE srs_sip_responses_total counter$", response.text, re.M)


def test_metrics_token(state: AppState) -> None:
    state.metrics_token = "s3cret"
    with TestClient(create_app(state)) as client:
        assert client.get("/api/v1/metrics").status_code == 401
        wrong = client.get("/api/v1/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = client.get("/api/v1/metrics", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
