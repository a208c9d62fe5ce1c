"""Repository operations against a real database (SQLite file; PostgreSQL when configured)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from srs.storage import Database, RecordingFilter, Repository, SnapshotError
from srs.storage.examples import EPOCH, example_result, example_snapshot

START = datetime.fromtimestamp(EPOCH, UTC)


def test_upsert_creates_session_with_children(repo: Repository) -> None:
    repo.upsert_session(example_snapshot("r1", metadata_versions=2))
    record = repo.get_session("r1")
    assert record is not None
    row = record.session
    assert (row.id, row.call_id, row.state, row.siprec) == (
        "r1",
        "call-1@sbc.example.com",
        "active",
        True,
    )
    assert row.started_at == START and row.ended_at is None
    assert (row.source_address, row.transport) == ("127.0.0.1:5060", "udp")
    assert row.from_uri == "<sip:src@sbc.example.com>;tag=a1"
    assert row.to_uri == "<sip:srs@recorder.example.com>"
    assert row.mapping_confidence == "metadata"
    assert row.dialog_key == "call-1@sbc.example.com;srs-1;a1"
    assert [(p.participant_id, p.name, p.channel, p.role) for p in record.participants] == [
        ("alice", "Alice Smith", 0, "caller"),
        ("bob", "Bob Jones", 1, "callee"),
    ]
    assert [
        (s.key, s.label, s.index, s.media, s.participant_id, s.channel) for s in record.streams
    ] == [
        ("s0", "1", 0, "audio", "alice", 0),
        ("s1", "2", 1, "audio", "bob", 1),
    ]
    assert [(m.seq, m.dialect, m.well_formed) for m in record.metadata] == [
        (0, "rfc7865", True),
        (1, "rfc7865", True),
    ]
    assert record.metadata[1].received_at == START + timedelta(seconds=1)
    assert {(v.kind, v.value) for v in record.vendor_ids} == {
        ("sip_call_id", "call-1@sbc.example.com"),
        ("ucid", "00001002341700000001"),
    }


def test_upsert_is_idempotent_and_appends_metadata(repo: Repository) -> None:
    repo.upsert_session(example_snapshot("r1", metadata_versions=1))
    repo.upsert_session(example_snapshot("r1", metadata_versions=1))
    later = example_snapshot("r1", metadata_versions=3, callee=("bob", "Robert Jones", "+15552000"))
    later["metadata"][0]["text"] = "changed"  # stored versions are immutable
    later["metadata"][2].update(errors=["participant p9 unknown"], well_formed=False)
    repo.upsert_session(later)
    record = repo.get_session("r1")
    assert record is not None
    assert [m.seq for m in record.metadata] == [0, 1, 2]
    assert record.metadata[0].raw != "changed"
    assert (record.metadata[2].well_formed, record.metadata[2].errors) == (
        False,
        ["participant p9 unknown"],
    )
    assert [p.name for p in record.participants] == ["Alice Smith", "Robert Jones"]
    assert len(record.streams) == 2 and len(record.vendor_ids) == 2
    assert len(repo.list_sessions()) == 1


def test_end_session(repo: Repository) -> None:
    assert repo.end_session("missing", "bye", EPOCH) is False
    repo.upsert_session(example_snapshot("r1"))
    assert repo.end_session("r1", "bye", EPOCH + 60) is True
    record = repo.get_session("r1")
    assert record is not None
    assert (record.session.state, record.session.end_reason) == ("ended", "bye")
    assert record.session.ended_at == START + timedelta(seconds=60)
    repo.upsert_session(example_snapshot("r1"))  # a late live snapshot does not reopen it
    record = repo.get_session("r1")
    assert record is not None and record.session.state == "ended"
    assert record.session.ended_at == START + timedelta(seconds=60)


def test_list_sessions_active_only(repo: Repository) -> None:
    repo.upsert_session(example_snapshot("r1", call_id="c1"))
    repo.upsert_session(example_snapshot("r2", call_id="c2", started_at=EPOCH + 10))
    repo.end_session("r1", "cancel", EPOCH + 5)
    assert [s.id for s in repo.list_sessions()] == ["r2", "r1"]
    assert [s.id for s in repo.list_sessions(active_only=True)] == ["r2"]
    assert [s.id for s in repo.list_sessions(limit=1, offset=1)] == ["r1"]


def test_save_recording(repo: Repository, tmp_path: Path) -> None:
    repo.upsert_session(example_snapshot("r1"))
    repo.end_session("r1", "bye", EPOCH + 13)
    audio = tmp_path / "r1.wav"
    audio.write_bytes(b"RIFF" + bytes(96))
    saved = repo.save_recording(example_result(audio), example_snapshot("r1"), 42.5)
    assert (saved.id, saved.path, saved.size, saved.channels, saved.sample_rate) == (
        "r1",
        str(audio),
        100,
        2,
        8000,
    )
    record = repo.get_recording("r1")
    assert record is not None and record.session is not None
    rec = record.recording
    assert rec.finalize_latency_ms == 42.5
    assert (rec.duration, rec.completeness, rec.recovered, rec.format) == (
        12.5,
        0.998,
        False,
        "wav",
    )
    assert (rec.caller_number, rec.caller_name, rec.callee_number) == (
        "+15551000",
        "Alice Smith",
        "+15552000",
    )
    assert rec.direction == "inbound"
    assert rec.started_at == START and rec.ended_at == START + timedelta(seconds=13)
    assert rec.dtmf == [{"stream": "s0", "digit": "5", "start": 3.0, "duration": 0.12}]
    assert rec.gaps == {"s1": [[2.0, 2.02]]}
    assert rec.holds == [{"start": 5.0, "end": 6.0, "stream": "s0"}]
    assert rec.facts["vendor_ids"] == {"ucid": "00001002341700000001"}
    assert record.session.state == "finalized" and record.session.end_reason == "bye"
    stats = {
        s.key: (s.codec, s.packets, s.expected, s.lost, s.jitter_ms, s.ssrcs, s.channel)
        for s in record.streams
    }
    assert stats == {
        "s0": ("PCMU", 625, 625, 0, 1.5, [0x1000], 0),
        "s1": ("PCMU", 624, 625, 1, 2.5, [0x1001], 1),
    }
    assert len(record.participants) == 2 and len(record.metadata) == 1


def test_save_recording_without_prior_session(repo: Repository, tmp_path: Path) -> None:
    """A recording recovered from a spool after a crash has no session row yet."""
    snapshot = example_snapshot("rec-x", ended_at=EPOCH + 30)
    result = example_result(tmp_path / "x.wav", size=10) | {"recovered": True}
    repo.save_recording(result, snapshot, 1.0)
    record = repo.get_recording("rec-x")
    assert record is not None and record.recording.recovered is True
    assert record.session is not None and record.session.state == "finalized"
    assert record.session.ended_at == START + timedelta(seconds=30)
    repo.save_recording(result, snapshot, 2.0)  # re-finalizing updates in place
    again = repo.get_recording("rec-x")
    assert again is not None and again.recording.finalize_latency_ms == 2.0
    assert repo.count_recordings() == 1


def _store(repo: Repository, tmp_path: Path, rid: str, offset: float, **kwargs: object) -> None:
    snapshot = example_snapshot(rid, call_id=f"call-{rid}", started_at=EPOCH + offset, **kwargs)  # type: ignore[arg-type]
    repo.save_recording(example_result(tmp_path / f"{rid}.wav", size=1), snapshot, 1.0)


def test_list_recordings_filters(repo: Repository, tmp_path: Path) -> None:
    _store(repo, tmp_path, "a", 0, vendor_ids={"ucid": "U-1"})
    _store(
        repo,
        tmp_path,
        "b",
        100,
        caller=("c", "Carol 50%_off", "+4930123"),
        vendor_ids={"cisco_guid": "G-2"},
    )
    _store(repo, tmp_path, "c", 200, callee=("d", "Dave", "+15559999"))

    def ids(**kwargs: object) -> list[str]:
        return [r.id for r in repo.list_recordings(**kwargs)]  # type: ignore[arg-type]

    assert ids() == ["c", "b", "a"]
    assert ids(caller="alice") == ["c", "a"]  # name, case-insensitive
    assert ids(caller="4930") == ["b"]  # number substring
    assert ids(caller="50%") == ["b"]  # LIKE wildcards are literal
    assert ids(caller="5_o") == []
    assert ids(callee="+15559999") == ["c"]
    assert ids(callee="pbx.example") == ["c", "b", "a"]  # AOR
    assert ids(call_id="call-b") == ["b"]
    assert ids(call_id="call") == []  # exact
    assert ids(vendor_id="G-2") == ["b"]
    assert ids(vendor_id="call-a") == ["a"]  # the SIP Call-ID is a vendor id too
    assert ids(vendor_id="U") == []
    assert ids(started_from=START + timedelta(seconds=100)) == ["c", "b"]
    assert ids(started_to=START + timedelta(seconds=100)) == ["a"]
    assert ids(caller="alice", started_from=START + timedelta(seconds=1)) == ["c"]
    assert ids(limit=1, offset=1) == ["b"]
    assert repo.count_recordings(RecordingFilter(caller="alice")) == 2
    assert repo.count_recordings(RecordingFilter(vendor_id="nothing")) == 0


def test_bad_snapshots_name_the_key(repo: Repository) -> None:
    with pytest.raises(
        SnapshotError, match=r"^snapshot\.recording_id: must be a non-empty string, got None$"
    ):
        repo.upsert_session({"call_id": "x"})
    with pytest.raises(SnapshotError, match=r"^snapshot\.started_at: "):
        repo.upsert_session({"recording_id": "r", "call_id": "x", "started_at": "yesterday"})
    with pytest.raises(
        SnapshotError, match=r"^result\.files: a finalized recording needs at least one file$"
    ):
        repo.save_recording({"files": []}, example_snapshot("r"), 1.0)
    assert repo.list_sessions() == []  # nothing half-written


def test_concurrent_upserts_of_one_session(database: Database) -> None:
    """The signaling thread and finalize workers may write the same session at once."""
    repo = Repository(database)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                repo.upsert_session(example_snapshot("r1", metadata_versions=1 + (n + i) % 3))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    record = repo.get_session("r1")
    assert record is not None and [m.seq for m in record.metadata] == [0, 1, 2]
    assert len(record.participants) == 2


def test_ping_and_file_created(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/nested/dir/srs.db")
    db.create_all()
    assert db.ping() is True
    assert (tmp_path / "nested" / "dir" / "srs.db").exists()
    memory = Database("sqlite://")
    memory.create_all()
    Repository(memory).upsert_session(example_snapshot("m"))
    assert Repository(memory).get_session("m") is not None
