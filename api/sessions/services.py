"""Turning live snapshots and stored rows into :class:`SessionOut`.

Live snapshots use the same mapping as the database (``srs.storage.snapshot``), so a
session looks the same before and after it ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.control.services import annotation_out
from api.sessions.schemas import MetadataVersionOut, ParticipantOut, SessionOut, StreamOut
from srs.control import ControlState
from srs.storage import MetadataVersion, Participant, SessionRecord, SnapshotError, Stream
from srs.storage import snapshot as snap
from srs.storage.models import RecordingAnnotation


def _live_stream(
    item: dict[str, Any], raw: Mapping[str, Any], capture: Mapping[str, Any], muted: set[str]
) -> StreamOut:
    """A stream row enriched with what only the live snapshot knows."""
    out = StreamOut(**item)
    codecs = raw.get("codecs")
    if isinstance(codecs, list) and codecs and isinstance(codecs[0], Mapping):
        name, rate = codecs[0].get("encoding"), codecs[0].get("clock_rate")
        out.codec = f"{name}/{rate}" if name and rate else (str(name) if name else None)
    if "active" in raw:
        out.held = not bool(raw.get("active"))
    stats = capture.get(item["key"])
    if isinstance(stats, Mapping):
        out.packets = _opt_int(stats.get("packets"))
        out.bytes = _opt_int(stats.get("bytes"))
        ssrcs = stats.get("ssrcs")
        if isinstance(ssrcs, list):
            out.ssrcs = ssrcs
    pid = item.get("participant_id")
    out.muted = pid in muted if pid is not None else None
    return out


def _opt_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def live_session_out(
    data: Mapping[str, Any],
    *,
    tenant: str | None = None,
    control: ControlState | None = None,
    annotation: RecordingAnnotation | None = None,
) -> SessionOut | None:
    """A live snapshot as a session; ``None`` when the snapshot is unusable."""
    try:
        rid = snap.recording_id(data)
        values = snap.session_fields(data)
        participants = snap.participant_rows(data)
        streams = snap.stream_rows(data)
    except SnapshotError:
        return None
    signaling = _opt_text(data.get("state"))
    ended = values["ended_at"] is not None or signaling == "terminated"
    capture = data.get("media")
    counters = capture if isinstance(capture, Mapping) else {}
    muted = set(control.muted) if control else set()
    raw = {str(s.get("key")): s for s in data.get("streams") or [] if isinstance(s, Mapping)}
    stream_out_list = [_live_stream(s, raw.get(s["key"], {}), counters, muted) for s in streams]
    open_streams = [o for o in stream_out_list if raw.get(o.key, {}).get("open", True) is not False]
    return SessionOut(
        id=rid,
        state="ended" if ended else "active",
        live=True,
        signaling_state=signaling,
        capture=dict(capture) if isinstance(capture, Mapping) else None,
        participants=[ParticipantOut(**p) for p in participants],
        streams=stream_out_list,
        tenant_id=tenant,
        held=bool(open_streams) and all(o.held for o in open_streams),
        paused=control.paused if control else False,
        muted=sorted(muted),
        keep=control.keep if control else (annotation.keep if annotation else True),
        annotation=annotation_out(rid, annotation, tenant) if annotation else None,
        **values,
    )


def _opt_text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def participant_out(row: Participant) -> ParticipantOut:
    return ParticipantOut(
        participant_id=row.participant_id,
        name=row.name,
        aor=row.aor,
        number=row.number,
        channel=row.channel,
        role=row.role,
    )


def stream_out(row: Stream) -> StreamOut:
    return StreamOut(
        key=row.key,
        label=row.label,
        index=row.index,
        media=row.media,
        participant_id=row.participant_id,
        channel=row.channel,
        codec=row.codec,
        packets=row.packets,
        expected=row.expected,
        lost=row.lost,
        duplicates=row.duplicates,
        late=row.late,
        jitter_ms=row.jitter_ms,
        completeness=row.completeness,
        ssrcs=list(row.ssrcs),
    )


def metadata_out(row: MetadataVersion) -> MetadataVersionOut:
    return MetadataVersionOut(
        seq=row.seq,
        received_at=row.received_at,
        content_type=row.content_type,
        dialect=row.dialect,
        well_formed=row.well_formed,
        errors=list(row.errors),
        raw=row.raw,
    )


def stored_session_out(
    record: SessionRecord,
    *,
    tenant: str | None = None,
    annotation: RecordingAnnotation | None = None,
) -> SessionOut:
    row = record.session
    return SessionOut(
        tenant_id=tenant,
        keep=annotation.keep if annotation else True,
        annotation=annotation_out(row.id, annotation, tenant) if annotation else None,
        id=row.id,
        call_id=row.call_id,
        state=row.state,
        live=False,
        siprec=row.siprec,
        started_at=row.started_at,
        ended_at=row.ended_at,
        end_reason=row.end_reason,
        dialog_key=row.dialog_key,
        from_uri=row.from_uri,
        to_uri=row.to_uri,
        source_address=row.source_address,
        transport=row.transport,
        metadata_error=row.metadata_error,
        mapping_confidence=row.mapping_confidence,
        participants=[participant_out(p) for p in record.participants],
        streams=[stream_out(s) for s in record.streams],
    )
