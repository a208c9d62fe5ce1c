"""Turning live snapshots and stored rows into :class:`SessionOut`.

Live snapshots use the same mapping as the database (``srs.storage.snapshot``), so a
session looks the same before and after it ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.control.services import annotation_out
from api.sessions.schemas import MetadataVersionOut, ParticipantOut, SessionOut, StreamOut
from api.structs import struct_from
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
    return struct_from(ParticipantOut, row)


def stream_out(row: Stream) -> StreamOut:
    return struct_from(StreamOut, row, ssrcs=list(row.ssrcs))


def metadata_out(row: MetadataVersion) -> MetadataVersionOut:
    return struct_from(MetadataVersionOut, row, errors=list(row.errors))


def stored_session_out(
    record: SessionRecord,
    *,
    tenant: str | None = None,
    annotation: RecordingAnnotation | None = None,
) -> SessionOut:
    return struct_from(
        SessionOut,
        record.session,
        live=False,
        tenant_id=tenant,
        keep=annotation.keep if annotation else True,
        annotation=annotation_out(record.session.id, annotation, tenant) if annotation else None,
        participants=[participant_out(p) for p in record.participants],
        streams=[stream_out(s) for s in record.streams],
    )
