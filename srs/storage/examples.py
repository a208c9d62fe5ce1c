"""Contract-shaped example payloads: a ``session.json`` snapshot and a finalize result.

Tests of storage, the API and the server build their inputs here so that all of them
exercise the same shapes the recording and finalize layers write (see
``docs/architecture.md``).  Every builder returns fresh dicts the caller may modify.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

EPOCH = 1_785_000_000.0  # a fixed wall-clock start (2026-07-25T17:20:00Z)


def example_snapshot(
    recording_id: str = "rec-1",
    *,
    call_id: str = "call-1@sbc.example.com",
    started_at: float = EPOCH,
    ended_at: float | None = None,
    caller: tuple[str, str, str] = ("alice", "Alice Smith", "+15551000"),
    callee: tuple[str, str, str] = ("bob", "Bob Jones", "+15552000"),
    vendor_ids: dict[str, str] | None = None,
    metadata_versions: int = 1,
) -> dict[str, Any]:
    """A two-party SIPREC session: ``caller``/``callee`` are (participant id, name, number)."""
    parties = (caller, callee)
    return {
        "recording_id": recording_id,
        "call_id": call_id,
        "local_tag": "srs-1",
        "remote_tag": "a1",
        "state": "active" if ended_at is None else "terminated",
        "started_at": started_at,
        "ended_at": ended_at,
        "end_reason": None,
        "siprec": True,
        "headers": {
            "From": "<sip:src@sbc.example.com>;tag=a1",
            "To": "<sip:srs@recorder.example.com>",
            "Call-ID": call_id,
        },
        "metadata": [
            {
                "text": f'<recording xmlns="urn:ietf:params:xml:ns:recording:1" v="{n}"/>',
                "content_type": "application/rs-metadata+xml",
                "received_at": started_at + n,
                "errors": [],
                "well_formed": True,
                "dialect": "rfc7865",
            }
            for n in range(metadata_versions)
        ],
        "participants": [
            {"participant_id": pid, "name": name, "aor": f"sip:{number}@pbx.example.com"}
            for pid, name, number in parties
        ],
        "streams": [
            {
                "key": f"s{n}",
                "label": str(n + 1),
                "index": n,
                "media": "audio",
                "spool": f"s{n}.spool",
                "participant_id": pid,
                "participant_name": name,
                "participant_aor": f"sip:{number}@pbx.example.com",
                "channel": n,
            }
            for n, (pid, name, number) in enumerate(parties)
        ],
        "events": [],
        "mapping_confidence": "metadata",
        "metadata_error": False,
        "facts": {
            "direction": "inbound",
            "caller": {
                "number": caller[2],
                "name": caller[1],
                "aor": f"sip:{caller[2]}@pbx.example.com",
                "participant_id": caller[0],
            },
            "callee": {
                "number": callee[2],
                "name": callee[1],
                "aor": f"sip:{callee[2]}@pbx.example.com",
                "participant_id": callee[0],
            },
            "vendor_ids": dict(vendor_ids or {"ucid": "00001002341700000001"}),
        },
        "sip": {"source": "127.0.0.1:5060", "transport": "udp"},
    }


def example_result(
    path: Path, *, size: int | None = None, duration: float = 12.5
) -> dict[str, Any]:
    """A finalize result for :func:`example_snapshot`'s two streams, one stereo WAV."""
    actual = size if size is not None else (path.stat().st_size if path.exists() else 0)
    return {
        "files": [
            {
                "path": str(path),
                "format": "wav",
                "channels": 2,
                "sample_rate": 8000,
                "duration": duration,
                "size": actual,
                "sha256": "0" * 64,
            }
        ],
        "duration": duration,
        "streams": [
            {
                "key": f"s{n}",
                "label": str(n + 1),
                "participant": pid,
                "channel": n,
                "codec": "PCMU",
                "packets": 625 - n,
                "expected": 625,
                "lost": n,
                "duplicates": 0,
                "late": 0,
                "jitter_ms": 1.5 + n,
                "gaps": [[2.0, 2.02]] if n else [],
                "ssrcs": [0x1000 + n],
                "dtmf": [{"digit": "5", "start": 3.0, "duration": 0.12}] if n == 0 else [],
                "completeness": 1.0 - n / 625,
            }
            for n, pid in enumerate(("alice", "bob"))
        ],
        "completeness": 0.998,
        "recovered": False,
        "holds": [{"start": 5.0, "end": 6.0, "stream": "s0"}],
    }
