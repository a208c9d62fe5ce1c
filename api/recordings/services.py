"""Row → response conversion for recordings."""

from __future__ import annotations

from typing import Any

from api.recordings.schemas import (
    PartyOut,
    RecordingDetail,
    RecordingFileOut,
    RecordingSummary,
    VendorIdOut,
)
from api.sessions.services import metadata_out, participant_out, stream_out
from srs.storage import Recording, RecordingRecord

API_PREFIX = "/api/v1"


def media_url(recording_id: str, index: int = 0) -> str:
    base = f"{API_PREFIX}/recordings/{recording_id}/media"
    return base if index == 0 else f"{base}?file={index}"


def _summary_fields(row: Recording) -> dict[str, Any]:
    return {
        "id": row.id,
        "call_id": row.call_id,
        "started_at": row.started_at,
        "ended_at": row.ended_at,
        "duration": row.duration,
        "format": row.format,
        "channels": row.channels,
        "sample_rate": row.sample_rate,
        "size": row.size,
        "completeness": row.completeness,
        "recovered": row.recovered,
        "direction": row.direction,
        "caller": PartyOut(row.caller_number, row.caller_name, row.caller_aor),
        "callee": PartyOut(row.callee_number, row.callee_name, row.callee_aor),
        "media_url": media_url(row.id),
    }


def recording_summary(row: Recording) -> RecordingSummary:
    return RecordingSummary(**_summary_fields(row))


def _file_out(recording_id: str, index: int, item: dict[str, Any]) -> RecordingFileOut:
    def opt(key: str, kind: type) -> Any:
        value = item.get(key)
        return value if isinstance(value, kind) and not isinstance(value, bool) else None

    return RecordingFileOut(
        index=index,
        format=opt("format", str),
        channels=opt("channels", int),
        sample_rate=opt("sample_rate", int),
        duration=float(item["duration"]) if isinstance(item.get("duration"), int | float) else None,
        size=opt("size", int),
        sha256=opt("sha256", str),
        url=media_url(recording_id, index),
    )


def recording_detail(record: RecordingRecord) -> RecordingDetail:
    row = record.recording
    return RecordingDetail(
        **_summary_fields(row),
        sha256=row.sha256,
        finalize_latency_ms=row.finalize_latency_ms,
        created_at=row.created_at,
        session_state=record.session.state if record.session else None,
        end_reason=record.session.end_reason if record.session else None,
        files=[_file_out(row.id, i, f) for i, f in enumerate(row.files) if isinstance(f, dict)],
        facts=dict(row.facts),
        dtmf=list(row.dtmf),
        gaps=dict(row.gaps),
        holds=list(row.holds),
        vendor_ids=[VendorIdOut(v.kind, v.value) for v in record.vendor_ids],
        participants=[participant_out(p) for p in record.participants],
        streams=[stream_out(s) for s in record.streams],
        metadata=[metadata_out(m) for m in record.metadata],
    )
