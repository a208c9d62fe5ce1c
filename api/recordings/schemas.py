"""Response bodies for recordings (separate from the ``Recording`` table)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

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


class RecordingPage(msgspec.Struct):
    items: list[RecordingSummary]
    total: int
    limit: int
    offset: int
