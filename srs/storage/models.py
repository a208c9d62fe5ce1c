"""Database tables (SQLModel).  Portable SQL only: SQLite today, PostgreSQL later.

These are storage rows, not API schemas: the API converts them to its own response
types.  Every child row carries ``recording_id`` (the recording session's id) so one
recording can be read back with one indexed query per table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from srs.storage.columns import UtcDateTime


def _utcnow() -> datetime:
    return datetime.now(UTC)


class RecordingSession(SQLModel, table=True):
    """One SIP recording session, live or ended (one per recording id)."""

    __tablename__ = "recording_session"

    id: str = Field(primary_key=True, max_length=128)
    call_id: str = Field(index=True, max_length=512)
    dialog_key: str | None = Field(default=None, max_length=1024)
    siprec: bool = True
    state: str = Field(default="active", index=True, max_length=16)  # active|ended|finalized
    started_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), index=True))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    end_reason: str | None = Field(default=None, max_length=64)
    source_address: str | None = Field(default=None, max_length=128)
    transport: str | None = Field(default=None, max_length=8)
    from_uri: str | None = Field(default=None, max_length=1024)
    to_uri: str | None = Field(default=None, max_length=1024)
    metadata_error: bool = False
    mapping_confidence: str | None = Field(default=None, max_length=16)  # metadata|fallback
    updated_at: datetime = Field(
        default_factory=_utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )


class Participant(SQLModel, table=True):
    """A participant of a recording, as the latest metadata describes it."""

    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("recording_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    recording_id: str = Field(foreign_key="recording_session.id", index=True, max_length=128)
    participant_id: str = Field(max_length=256)
    name: str | None = Field(default=None, max_length=512)
    aor: str | None = Field(default=None, max_length=1024)
    number: str | None = Field(default=None, max_length=64)
    channel: int | None = None
    role: str | None = Field(default=None, max_length=16)  # caller|callee


class Stream(SQLModel, table=True):
    """One recorded media stream; the statistics arrive when the recording is finalized."""

    __tablename__ = "stream"
    __table_args__ = (UniqueConstraint("recording_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    recording_id: str = Field(foreign_key="recording_session.id", index=True, max_length=128)
    key: str = Field(max_length=128)
    label: str | None = Field(default=None, max_length=128)
    index: int | None = None
    media: str | None = Field(default=None, max_length=16)  # audio|video
    participant_id: str | None = Field(default=None, max_length=256)
    channel: int | None = None
    codec: str | None = Field(default=None, max_length=64)
    packets: int | None = None
    expected: int | None = None
    lost: int | None = None
    duplicates: int | None = None
    late: int | None = None
    jitter_ms: float | None = None
    completeness: float | None = None
    ssrcs: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class MetadataVersion(SQLModel, table=True):
    """One recording-metadata document as received (raw text kept for re-parsing)."""

    __tablename__ = "metadata_version"
    __table_args__ = (UniqueConstraint("recording_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    recording_id: str = Field(foreign_key="recording_session.id", index=True, max_length=128)
    seq: int
    received_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    content_type: str | None = Field(default=None, max_length=256)
    raw: str = Field(default="", sa_column=Column(Text, nullable=False))
    dialect: str | None = Field(default=None, max_length=64)
    well_formed: bool = True
    errors: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Recording(SQLModel, table=True):
    """The finalized artifact of a recording session, with searchable call facts."""

    __tablename__ = "recording"

    id: str = Field(primary_key=True, max_length=128)
    session_id: str = Field(foreign_key="recording_session.id", index=True, max_length=128)
    call_id: str = Field(index=True, max_length=512)
    path: str = Field(max_length=4096)
    files: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    format: str = Field(max_length=16)
    channels: int = 0
    sample_rate: int = 0
    duration: float = 0.0
    size: int = 0
    sha256: str = Field(default="", max_length=64)
    completeness: float | None = None
    recovered: bool = False
    finalize_latency_ms: float | None = None
    started_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), index=True))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    direction: str | None = Field(default=None, max_length=16)
    caller_number: str | None = Field(default=None, max_length=64, index=True)
    caller_name: str | None = Field(default=None, max_length=512)
    caller_aor: str | None = Field(default=None, max_length=1024)
    callee_number: str | None = Field(default=None, max_length=64, index=True)
    callee_name: str | None = Field(default=None, max_length=512)
    callee_aor: str | None = Field(default=None, max_length=1024)
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    dtmf: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    gaps: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    holds: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(
        default_factory=_utcnow, sa_column=Column(UtcDateTime(), nullable=False, index=True)
    )


class RecordingVendorId(SQLModel, table=True):
    """A vendor call id (``ucid``, ``cisco_guid``, ``sip_call_id``…) for exact search."""

    __tablename__ = "recording_vendor_id"
    __table_args__ = (
        UniqueConstraint("recording_id", "kind", "value"),
        Index("ix_recording_vendor_id_value", "value"),
    )

    id: int | None = Field(default=None, primary_key=True)
    recording_id: str = Field(foreign_key="recording_session.id", index=True, max_length=128)
    kind: str = Field(max_length=64)
    value: str = Field(max_length=512)


class RecordingAnnotation(SQLModel, table=True):
    """What people and policy add to a recording session: tenant, notes, tags, flag,
    call-centre fields, keep/discard, soft delete, legal hold, retention and the live
    control intervals (pause/mute).  One row per recording id, live or finalized; kept
    apart from the rows the recorder rewrites so a snapshot replay never erases it."""

    __tablename__ = "recording_annotation"

    recording_id: str = Field(primary_key=True, max_length=128)
    tenant_id: str | None = Field(default=None, index=True, max_length=64)
    notes: str | None = Field(default=None, sa_column=Column(Text))
    tags: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tags_text: str = Field(default="", max_length=4096)  # ",a,b," for portable LIKE search
    flag: int = Field(default=0, index=True)  # 0 (none) … 10
    agent_id: str | None = Field(default=None, index=True, max_length=128)
    agent_name: str | None = Field(default=None, max_length=256)
    client_id: str | None = Field(default=None, index=True, max_length=128)
    campaign_id: str | None = Field(default=None, index=True, max_length=128)
    keep: bool = True  # False: discard the recording instead of finalizing it
    intervals: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), index=True))
    deleted_by: str | None = Field(default=None, max_length=64)
    legal_hold: bool = Field(default=False, index=True)
    hold_reason: str | None = Field(default=None, max_length=512)
    retain_until: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    updated_at: datetime = Field(
        default_factory=_utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )
