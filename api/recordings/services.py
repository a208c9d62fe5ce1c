"""Row → response conversion for recordings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.control.services import annotation_out
from api.recordings.schemas import (
    PartyOut,
    QualityOut,
    RecordingDetail,
    RecordingFileOut,
    RecordingSummary,
    TimelineEntry,
    VendorIdOut,
)
from api.sessions.services import metadata_out, participant_out, stream_out
from srs.storage import Recording, RecordingRecord
from srs.storage.models import RecordingAnnotation, Stream

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


def _annotation_fields(annotation: RecordingAnnotation | None) -> dict[str, Any]:
    if annotation is None:
        return {}
    return {
        "tenant_id": annotation.tenant_id,
        "tags": [str(t) for t in annotation.tags],
        "flag": annotation.flag,
        "agent_id": annotation.agent_id,
        "deleted": annotation.deleted_at is not None,
        "legal_hold": annotation.legal_hold,
    }


def recording_summary(
    row: Recording, annotation: RecordingAnnotation | None = None
) -> RecordingSummary:
    return RecordingSummary(**_summary_fields(row), **_annotation_fields(annotation))


def quality(
    streams: list[Stream], completeness: float | None, gaps: Mapping[str, Any]
) -> QualityOut:
    packets = sum(s.packets or 0 for s in streams)
    expected = sum(s.expected or 0 for s in streams)
    lost = sum(s.lost or 0 for s in streams)
    jitters = [s.jitter_ms for s in streams if s.jitter_ms is not None]
    return QualityOut(
        packets=packets,
        expected=expected,
        lost=lost,
        loss_ratio=round(lost / expected, 6) if expected else None,
        max_jitter_ms=max(jitters) if jitters else None,
        completeness=completeness,
        gaps=sum(len(v) for v in gaps.values() if isinstance(v, list)),
    )


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def timeline(
    record: RecordingRecord, annotation: RecordingAnnotation | None
) -> list[TimelineEntry]:
    """Metadata versions, DTMF, holds and control intervals, ordered by time.

    DTMF and holds come from finalize in seconds from the recording's start; metadata
    and control intervals are wall-clock and are converted to the same base.
    """
    row = record.recording
    start = row.started_at.timestamp() if row.started_at else None
    entries: list[TimelineEntry] = []
    for version in record.metadata:
        at = version.received_at
        offset = at.timestamp() - start if at is not None and start is not None else None
        entries.append(
            TimelineEntry(
                "metadata",
                offset,
                detail={
                    "seq": version.seq,
                    "dialect": version.dialect,
                    "well_formed": version.well_formed,
                },
            )
        )
    for item in row.dtmf:
        if isinstance(item, Mapping):
            # finalize stores a digit's time (seconds into the file) as ``t``
            detail = {k: v for k, v in item.items() if k not in ("t", "start", "stream")}
            entries.append(
                TimelineEntry(
                    "dtmf",
                    _seconds(item.get("t", item.get("start"))),
                    stream=str(item.get("stream") or "") or None,
                    detail=detail,
                )
            )
    for item in row.holds:
        if isinstance(item, Mapping):
            entries.append(
                TimelineEntry(
                    str(item.get("kind") or "hold"),  # hold, pause or mute (finalize intervals)
                    _seconds(item.get("start")),
                    _seconds(item.get("end")),
                    stream=str(item.get("stream") or "") or None,
                )
            )
    for item in annotation.intervals if annotation else []:
        if not isinstance(item, Mapping):
            continue
        begin, end = _seconds(item.get("start")), _seconds(item.get("end"))
        if start is not None:
            begin = begin - start if begin is not None else None
            end = end - start if end is not None else None
        entries.append(
            TimelineEntry(
                str(item.get("kind")), begin, end, participant_id=item.get("participant_id")
            )
        )
    return sorted(
        entries, key=lambda e: (e.at if isinstance(e.at, float) else float("inf"), e.kind)
    )


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


def recording_detail(
    record: RecordingRecord, annotation: RecordingAnnotation | None = None
) -> RecordingDetail:
    row = record.recording
    return RecordingDetail(
        **_summary_fields(row),
        **_annotation_fields(annotation),
        annotation=annotation_out(row.id, annotation) if annotation else None,
        quality=quality(record.streams, row.completeness, row.gaps),
        timeline=timeline(record, annotation),
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
