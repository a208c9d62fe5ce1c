"""Recovery: unfinished spool directories are found, finalized as recovered, and marked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from srs.media.finalize import FinalizeConfig, finalize_recording
from srs.media.recovery import (
    MARKER,
    find_unfinished,
    is_live,
    mark_finalized,
    read_marker,
    recover,
)
from srs.testing_media import (
    StreamFixture,
    event_record,
    params_event,
    rtp_packets,
    timed_records,
    write_recording,
)

T = 1_700_000_000.0


def make(
    root: Path, name: str, *, ended: bool, seconds: float = 1.0, mtime: float | None = None
) -> Path:
    frames = rtp_packets("pcmu", 440, seconds, ssrc=1)
    streams = [StreamFixture("a", 0, [event_record(T, params_event()), *timed_records(frames, T)])]
    directory = write_recording(
        root / name, streams, recording_id=name, started_at=T, ended_at=T + 5 if ended else None
    )
    if mtime is not None:
        os.utime(directory, (mtime, mtime))
    return directory


def test_finds_directories_without_marker_oldest_first(tmp_path: Path) -> None:
    late = make(tmp_path, "late", ended=False, mtime=T + 100)
    early = make(tmp_path, "early", ended=True, mtime=T)
    done = make(tmp_path, "done", ended=True)
    (tmp_path / "not-a-recording").mkdir()
    (tmp_path / "stray.txt").write_text("x")
    result = finalize_recording(done, tmp_path / "out" / "done", FinalizeConfig())
    mark_finalized(done, result)
    assert find_unfinished(tmp_path) == [early, late]
    assert find_unfinished(tmp_path, skip={"late"}) == [early]  # capture still owns it
    assert find_unfinished(tmp_path / "missing") == []


def test_marker_round_trips_the_result(tmp_path: Path) -> None:
    directory = make(tmp_path, "r1", ended=True)
    result = finalize_recording(directory, tmp_path / "out", FinalizeConfig())
    path = mark_finalized(directory, result)
    assert path == directory / MARKER
    assert json.loads(path.read_text())["recording_id"] == "r1"
    assert read_marker(directory) == result
    assert read_marker(tmp_path) is None
    assert [p.name for p in directory.iterdir() if p.name.endswith(".tmp")] == []


def test_recover_finalizes_live_directories_as_recovered(tmp_path: Path) -> None:
    spool_root, out_root = tmp_path / "spool", tmp_path / "out"
    crashed = make(spool_root, "crashed", ended=False, seconds=2.0)
    ended = make(spool_root, "ended", ended=True)
    assert is_live(crashed) and not is_live(ended)
    results = {r.recording_id: r for r in recover(spool_root, out_root)}
    assert set(results) == {"crashed", "ended"}
    crashed_result = results["crashed"]
    assert crashed_result.recovered and not results["ended"].recovered
    assert crashed_result.ended_at == T + 1.98  # last packet arrival
    assert crashed_result.duration == 2.0
    assert Path(crashed_result.files[0].path) == out_root / "crashed" / "crashed.wav"
    assert Path(crashed_result.files[0].path).exists()
    assert find_unfinished(spool_root) == []
    assert recover(spool_root, out_root) == []  # nothing left to do


def test_directory_with_unreadable_session_is_live(tmp_path: Path) -> None:
    directory = make(tmp_path, "bad", ended=True)
    (directory / "session.json").write_text("{not json")
    assert is_live(directory)


def test_a_broken_directory_does_not_block_the_others(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = make(tmp_path / "spool", "broken", ended=True, mtime=T)
    (broken / "a.spool").write_bytes(b"GARBAGE")
    make(tmp_path / "spool", "fine", ended=True, mtime=T + 1)
    results = recover(tmp_path / "spool", tmp_path / "out")
    assert [r.recording_id for r in results] == ["fine"]
    assert find_unfinished(tmp_path / "spool") == [broken]
    assert "cannot recover" in caplog.text and "not a spool file" in caplog.text
