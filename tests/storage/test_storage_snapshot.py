"""Mapping of ``session.json`` / finalize results to row values (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srs.storage import snapshot as snap
from srs.storage.columns import to_datetime
from srs.storage.examples import example_result, example_snapshot


def test_roles_by_aor_or_number_when_facts_lack_participant_ids() -> None:
    data = example_snapshot()
    data["facts"]["caller"] = {"aor": "<SIP:+15551000@PBX.example.com>"}
    data["facts"]["callee"] = {"number": "+15552000"}
    data["participants"].append({"participant_id": "carol", "aor": "sip:carol@x", "role": "callee"})
    data["participants"].append({"name": "anonymous"})
    rows = snap.participant_rows(data)
    assert [(r["participant_id"], r["role"]) for r in rows] == [
        ("alice", "caller"),
        ("bob", "callee"),
        ("carol", "callee"),
        ("p3", None),
    ]


def test_brief_shape_raw_and_sip_keys() -> None:
    """The documented shape (``raw``, headers under ``sip``) works like the recorder's."""
    data = {
        "recording_id": "r",
        "call_id": "c",
        "metadata": [{"raw": "<x/>", "errors": ["bad"]}, {"raw": "<y/>", "errors": []}],
        "sip": {"From": "<sip:a@b>", "To": "<sip:c@d>", "dialog_key": "c;1;2"},
        "state": "terminated",
    }
    assert [(m["raw"], m["well_formed"]) for m in snap.metadata_rows(data)] == [
        ("<x/>", False),
        ("<y/>", True),
    ]
    values = snap.session_fields(data)
    assert (values["from_uri"], values["to_uri"], values["dialog_key"]) == (
        "<sip:a@b>",
        "<sip:c@d>",
        "c;1;2",
    )


def test_session_fields_tolerate_sparse_snapshots() -> None:
    values = snap.session_fields(
        {
            "recording_id": "r",
            "call_id": "c",
            "mapping_confidence": "fallback",
            "sip": {"from": ["<sip:a@b>", "<sip:c@d>"], "DIALOG": "c;x;y"},
            "transport": "tls",
        }
    )
    assert values["mapping_confidence"] == "fallback"
    assert values["from_uri"] == "<sip:a@b>"
    assert values["dialog_key"] == "c;x;y"
    assert values["transport"] == "tls"
    assert values["started_at"] is None and values["siprec"] is True
    assert snap.participant_rows({"recording_id": "r"}) == []
    assert snap.stream_rows({"streams": [{"index": 3}]})[0]["key"] == "m3"


def test_wrong_shapes_name_the_key() -> None:
    with pytest.raises(
        snap.SnapshotError, match=r"^snapshot\.participants: must be a list of objects, got 'x'$"
    ):
        snap.participant_rows({"participants": "x"})
    with pytest.raises(
        snap.SnapshotError, match=r"^snapshot\.call_id: must be a non-empty string, got 5$"
    ):
        snap.session_fields({"recording_id": "r", "call_id": 5})
    with pytest.raises(
        snap.SnapshotError,
        match=r"^result\.streams\[0\]\.key: must be a non-empty string, got None$",
    ):
        snap.stream_stats({"streams": [{"codec": "PCMU"}]})
    with pytest.raises(snap.SnapshotError, match=r"^snapshot\.metadata\[0\]\.received_at: "):
        snap.metadata_rows({"metadata": [{"raw": "", "received_at": "soon"}]})


def test_recording_fields_sum_file_sizes(tmp_path: Path) -> None:
    result = example_result(tmp_path / "a.wav", size=10)
    result["files"].append(dict(result["files"][0], path=str(tmp_path / "b.wav"), size=32))
    values = snap.recording_fields(result, example_snapshot(), 3.0)
    assert values["size"] == 42
    assert values["path"] == str(tmp_path / "a.wav")
    assert len(values["files"]) == 2


def test_vendor_ids_from_lists_and_call_id() -> None:
    data = example_snapshot(vendor_ids={"ucid": "U1", "x_session_id": ["S1", "S2"]})  # type: ignore[dict-item]
    assert snap.vendor_ids(data) == [
        ("sip_call_id", "call-1@sbc.example.com"),
        ("ucid", "U1"),
        ("x_session_id", "S1"),
        ("x_session_id", "S2"),
    ]


def test_to_datetime_forms() -> None:
    when = datetime(2026, 7, 25, 17, 20, tzinfo=UTC)
    assert to_datetime(1_785_000_000) == when
    assert to_datetime("2026-07-25T17:20:00Z") == when
    assert to_datetime("2026-07-25T19:20:00+02:00") == when
    assert to_datetime("2026-07-25T17:20:00") == when
    assert to_datetime(datetime(2026, 7, 25, 18, 20, tzinfo=timezone(timedelta(hours=1)))) == when
    assert to_datetime(None) is None and to_datetime("") is None
    with pytest.raises(ValueError):
        to_datetime(True)


@given(st.floats(min_value=0, max_value=4e9, allow_nan=False))
def test_epoch_round_trip(value: float) -> None:
    parsed = to_datetime(value)
    assert parsed is not None and abs(parsed.timestamp() - value) < 1e-5
