"""What the pages show, computed from storage rows (no HTML)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.state import AppState
from api.ui.views import dtmf_markers
from srs.storage.examples import example_result, example_snapshot


def stored_with_dtmf(state: AppState, tmp_path: Path, dtmf: list[dict[str, object]]) -> str:
    path = tmp_path / "d.wav"
    path.write_bytes(b"RIFF")
    result = example_result(path)
    result["streams"][0]["dtmf"] = dtmf
    result["streams"][1]["dtmf"] = []
    state.repository.save_recording(result, example_snapshot("rec-d"), 1.0)
    return "rec-d"


def test_dtmf_markers_read_finalize_times(state: AppState, tmp_path: Path) -> None:
    """Finalize writes a digit's time as ``t``; markers sort by it and sit on its channel."""
    rid = stored_with_dtmf(
        state,
        tmp_path,
        [
            {"t": 7.5, "digit": "#", "duration": 0.2},
            {"t": 2.0, "digit": "1", "duration": 0.2},
            {"start": 5.0, "digit": "9"},  # the older spelling
            {"digit": "4"},  # no time: not placed
        ],
    )
    record = state.repository.get_recording(rid)
    assert record is not None
    markers = dtmf_markers(record)
    assert [(m.digit, m.start, m.channel) for m in markers] == [
        ("1", 2.0, 0),
        ("9", 5.0, 0),
        ("#", 7.5, 0),
    ]
    duration = record.recording.duration
    assert [m.left for m in markers] == pytest.approx(
        [100 * 2.0 / duration, 100 * 5.0 / duration, min(100.0, 100 * 7.5 / duration)]
    )
