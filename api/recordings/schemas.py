"""Response bodies for recordings (separate from the ``Recording`` table)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from api.control.schemas import AnnotationOut
from api.sessions.schemas import MetadataVersionOut, ParticipantOut, StreamOut


class PartyOut(msgspec.Struct):
    number: str | None = None
    name: str | None = None
    aor: str | None = None


class VendorIdOut(msgspec.Struct):
    kind: str
    value: str


class RecordingFileOut(msgspec.Struct):
    index: int
    format: str | None
    channels: int | None
    sample_rate: int | None
    duration: float | None
    size: int | None
    sha256: str | None
    url: str


class RecordingSummary(msgspec.Struct, kw_only=True):
    id: str
    call_id: str
    started_at: datetime | None
    ended_at: datetime | None
    duration: float
    format: str
    channels: int
    sample_rate: int
    size: int
    completeness: float | None
    recovered: bool
    direction: str | None
    caller: PartyOut
    callee: PartyOut
    media_url: str
    tenant_id: str | None = None
    tags: list[str] = msgspec.field(default_factory=list)
    flag: int = 0
    agent_id: str | None = None
    deleted: bool = False
    legal_hold: bool = False


class RecordingDetail(RecordingSummary, kw_only=True):
    sha256: str
    finalize_latency_ms: float | None
    created_at: datetime
    session_state: str | None
    end_reason: str | None
    files: list[RecordingFileOut]
    facts: dict[str, Any]
    dtmf: list[Any]
    gaps: dict[str, Any]
    holds: list[Any]
    vendor_ids: list[VendorIdOut]
    participants: list[ParticipantOut]
    streams: list[StreamOut]
    metadata: list[MetadataVersionOut]
    annotation: AnnotationOut | None = None
    quality: QualityOut | None = None
    timeline: list[TimelineEntry] = msgspec.field(default_factory=list)


class QualityOut(msgspec.Struct):
    """Figures over every stream: RTP loss, jitter and completeness."""

    packets: int
    expected: int
    lost: int
    loss_ratio: float | None
    max_jitter_ms: float | None
    completeness: float | None
    gaps: int


class TimelineEntry(msgspec.Struct, omit_defaults=True):
    """One dated thing that happened during the call, in order: metadata versions,
    DTMF digits, holds, pauses and mutes; ``at``/``end`` are seconds from the start."""

    kind: str  # metadata|dtmf|hold|pause|mute
    at: float | None
    end: float | None = None
    stream: str | None = None
    participant_id: str | None = None
    detail: dict[str, Any] = msgspec.field(default_factory=dict)


class HoldIn(msgspec.Struct):
    """Place (``hold: true``) or lift a legal hold; ``retain_until`` forbids deletion
    before that time."""

    hold: bool
    reason: str | None = None
    retain_until: datetime | None = None


class RecordingPage(msgspec.Struct):
    items: list[RecordingSummary]
    total: int
    limit: int
    offset: int
