"""Response bodies for sessions (and the participant/stream shapes recordings reuse)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from api.control.schemas import AnnotationOut


class ParticipantOut(msgspec.Struct):
    participant_id: str
    name: str | None = None
    aor: str | None = None
    number: str | None = None
    channel: int | None = None
    role: str | None = None


class StreamOut(msgspec.Struct):
    key: str
    label: str | None = None
    index: int | None = None
    media: str | None = None
    participant_id: str | None = None
    channel: int | None = None
    codec: str | None = None
    packets: int | None = None
    expected: int | None = None
    lost: int | None = None
    duplicates: int | None = None
    late: int | None = None
    jitter_ms: float | None = None
    completeness: float | None = None
    ssrcs: list[Any] = msgspec.field(default_factory=list)
    bytes: int | None = None  # live: received so far
    held: bool | None = None  # live: the SRC put the stream on hold (inactive)
    muted: bool | None = None  # live: muted by control


class MetadataVersionOut(msgspec.Struct):
    seq: int
    received_at: datetime | None
    content_type: str | None
    dialect: str | None
    well_formed: bool
    errors: list[Any]
    raw: str


class SessionOut(msgspec.Struct):
    """A recording session; ``live`` is true while the server still records it."""

    id: str
    call_id: str | None
    state: str  # active | ended | finalized
    live: bool
    signaling_state: str | None = None  # the recorder's own state while live
    siprec: bool = True
    started_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None
    dialog_key: str | None = None
    from_uri: str | None = None
    to_uri: str | None = None
    source_address: str | None = None
    transport: str | None = None
    metadata_error: bool = False
    mapping_confidence: str | None = None
    participants: list[ParticipantOut] = msgspec.field(default_factory=list)
    streams: list[StreamOut] = msgspec.field(default_factory=list)
    capture: dict[str, Any] | None = None  # live capture counters per stream key
    tenant_id: str | None = None
    held: bool = False  # every open stream is on hold
    paused: bool = False
    muted: list[str] = msgspec.field(default_factory=list)  # participant ids
    keep: bool = True
    annotation: AnnotationOut | None = None


class SessionList(msgspec.Struct):
    items: list[SessionOut]
    total: int
