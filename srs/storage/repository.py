"""The storage operations the server and the API call (synchronous; run them in a thread).

Writes are upserts keyed by the recording id, so replaying a ``session.json`` (after a
crash, or twice by mistake) converges to the same rows.  Reads return detached rows
grouped in small record types; nothing lazy-loads after the session closes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, case, func, literal, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, select

from srs.storage import snapshot as snap
from srs.storage.columns import UtcDateTime, to_datetime
from srs.storage.database import Database
from srs.storage.models import (
    MetadataVersion,
    Participant,
    Recording,
    RecordingSession,
    RecordingVendorId,
    Stream,
)

_STATE_ORDER = {"active": 0, "ended": 1, "finalized": 2}

Row = TypeVar("Row", bound=SQLModel)


@dataclass
class SessionRecord:
    """A recording session with its children."""

    session: RecordingSession
    participants: list[Participant] = field(default_factory=list)
    streams: list[Stream] = field(default_factory=list)
    metadata: list[MetadataVersion] = field(default_factory=list)
    vendor_ids: list[RecordingVendorId] = field(default_factory=list)


@dataclass
class RecordingRecord:
    """A finalized recording with its session's children."""

    recording: Recording
    session: RecordingSession | None
    participants: list[Participant] = field(default_factory=list)
    streams: list[Stream] = field(default_factory=list)
    metadata: list[MetadataVersion] = field(default_factory=list)
    vendor_ids: list[RecordingVendorId] = field(default_factory=list)


@dataclass(frozen=True)
class RecordingFilter:
    """Search criteria for recordings; ``None`` means "any"."""

    caller: str | None = None  # substring of caller number, name or AOR (case-insensitive)
    callee: str | None = None
    vendor_id: str | None = None  # exact value of any vendor id kind (incl. sip_call_id)
    call_id: str | None = None  # exact SIP Call-ID
    started_from: datetime | None = None  # started_at >= this
    started_to: datetime | None = None  # started_at < this


class Repository:
    """Operations over one :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._upserts: _Upserts | None = None

    # ---------------------------------------------------------------- writes

    def upsert_session(self, snapshot: Mapping[str, Any]) -> None:
        """Store a ``session.json`` snapshot: the session row and its participants,
        streams, metadata versions and vendor ids."""
        self.upsert_sessions([snapshot])

    def upsert_sessions(self, snapshots: Sequence[Mapping[str, Any]]) -> None:
        """Store several snapshots in one transaction (the server's batched writes): one
        commit instead of one per snapshot.  All or nothing."""
        writes = [_SnapshotRows.of(snapshot) for snapshot in snapshots]
        with self.db.writing() as session:
            self._write_snapshots(session, writes)

    def end_session(self, recording_id: str, reason: str, ended_at: object) -> bool:
        """Mark a session ended (``reason``: ``bye``, ``cancel``, ``session-timer``…).

        Returns False when no such session was stored.  One ``UPDATE`` (it runs once per
        call on the database thread): the end time is kept when already known, the state
        only advances.
        """
        when = to_datetime(ended_at)
        now = datetime.now(UTC)
        table = _TABLES["recording_session"]
        statement = (
            update(table)
            .where(table.c.id == recording_id)
            .values(
                ended_at=when
                if when is not None
                else func.coalesce(table.c.ended_at, literal(now, type_=UtcDateTime())),
                end_reason=reason,
                state=case((table.c.state == "finalized", table.c.state), else_=literal("ended")),
                updated_at=now,
            )
        )
        with self.db.writing() as session:
            done = session.connection().execute(statement)
        return bool(done.rowcount)

    def save_recording(
        self, result_json: Mapping[str, Any], snapshot: Mapping[str, Any], latency_ms: float
    ) -> Recording:
        """Store a finalized recording (``FinalizeResult.to_json()``) and its stream stats,
        and return the stored row (:meth:`store_recording` without the read back)."""
        self.store_recording(result_json, snapshot, latency_ms)
        with self.db.session() as session:
            recording = session.get(Recording, snap.recording_id(snapshot))
            assert recording is not None  # just stored
            return recording

    def store_recording(
        self, result_json: Mapping[str, Any], snapshot: Mapping[str, Any], latency_ms: float
    ) -> None:
        """Store a finalized recording and its stream stats (the server's path: once per
        call, Core statements in one transaction).

        Also (re)writes the session from ``snapshot``, so a recording recovered from a spool
        after a crash gets its session rows too.  Stream label, participant and channel
        already stored are kept: signaling knew better than finalize's guess.
        """
        rid = snap.recording_id(snapshot)
        write = _SnapshotRows.of(snapshot)
        values = snap.recording_fields(result_json, snapshot, latency_ms)
        stats = snap.stream_stats(result_json)
        sessions = _TABLES["recording_session"]
        with self.db.writing() as session:
            self._write_snapshots(session, [write])
            connection = session.connection()
            row = connection.execute(
                select(sessions.c.started_at, sessions.c.ended_at).where(sessions.c.id == rid)
            ).one()
            ended = row.ended_at or values["ended_at"] or datetime.now(UTC)
            connection.execute(
                update(sessions)
                .where(sessions.c.id == rid)
                .values(state="finalized", ended_at=ended)
            )
            values["started_at"] = values["started_at"] or row.started_at
            values["ended_at"] = values["ended_at"] or ended
            upserts = self._upserts_for()
            for statement, rows in upserts.stream_stats(rid, stats):
                connection.execute(statement, rows)
            recording = columns_of(Recording(id=rid, **values))
            connection.execute(upserts.recording(), [recording])

    def _upserts_for(self) -> _Upserts:
        if self._upserts is None:
            self._upserts = _Upserts(self.db.engine.dialect.name)
        return self._upserts

    def _write_snapshots(self, session: Session, writes: Sequence[_SnapshotRows]) -> None:
        """Upsert with Core statements, a few per batch instead of ORM objects per row:
        the snapshot path runs once per SIP transaction, so its cost is call setup's."""
        upserts = self._upserts_for()
        connection = session.connection()
        for batch in _rounds(writes):
            for statement, rows in upserts.statements(batch):
                if rows:
                    connection.execute(statement, rows)

    # ----------------------------------------------------------------- reads

    def get_session(self, recording_id: str) -> SessionRecord | None:
        with self.db.session() as session:
            row = session.get(RecordingSession, recording_id)
            if row is None:
                return None
            return SessionRecord(
                session=row,
                participants=_children(session, Participant, recording_id),
                streams=_children(session, Stream, recording_id),
                metadata=_children(session, MetadataVersion, recording_id),
                vendor_ids=_children(session, RecordingVendorId, recording_id),
            )

    def list_sessions(
        self, active_only: bool = False, limit: int = 100, offset: int = 0
    ) -> list[RecordingSession]:
        """Sessions, newest first; ``active_only`` keeps those not yet ended."""
        query = select(RecordingSession)
        if active_only:
            query = query.where(col(RecordingSession.state) == "active")
        query = (
            query.order_by(
                col(RecordingSession.started_at).desc().nulls_last(), col(RecordingSession.id)
            )
            .offset(offset)
            .limit(limit)
        )
        with self.db.session() as session:
            return list(session.exec(query).all())

    def get_recording(self, recording_id: str) -> RecordingRecord | None:
        with self.db.session() as session:
            recording = session.get(Recording, recording_id)
            if recording is None:
                return None
            return RecordingRecord(
                recording=recording,
                session=session.get(RecordingSession, recording.session_id),
                participants=_children(session, Participant, recording.session_id),
                streams=_children(session, Stream, recording.session_id),
                metadata=_children(session, MetadataVersion, recording.session_id),
                vendor_ids=_children(session, RecordingVendorId, recording.session_id),
            )

    def list_recordings(
        self,
        limit: int = 50,
        offset: int = 0,
        *,
        caller: str | None = None,
        callee: str | None = None,
        vendor_id: str | None = None,
        call_id: str | None = None,
        started_from: datetime | None = None,
        started_to: datetime | None = None,
    ) -> list[Recording]:
        """Recordings matching every given criterion, newest first."""
        where = _recording_conditions(
            RecordingFilter(caller, callee, vendor_id, call_id, started_from, started_to)
        )
        query = (
            select(Recording)
            .where(*where)
            .order_by(
                col(Recording.started_at).desc().nulls_last(),
                col(Recording.created_at).desc(),
                col(Recording.id),
            )
            .offset(offset)
            .limit(limit)
        )
        with self.db.session() as session:
            return list(session.exec(query).all())

    def count_recordings(self, criteria: RecordingFilter | None = None) -> int:
        """How many recordings match (for paging totals)."""
        where = _recording_conditions(criteria or RecordingFilter())
        query = select(func.count()).select_from(Recording).where(*where)
        with self.db.session() as session:
            return int(session.exec(query).one())


def _advance(current: str, new: str) -> str:
    """States only move forward: active → ended → finalized."""
    return new if _STATE_ORDER.get(new, 0) > _STATE_ORDER.get(current, 0) else current


def _children(session: Session, model: type[Row], recording_id: str) -> list[Row]:
    order = {
        Participant: "id",
        Stream: "id",
        MetadataVersion: "seq",
        RecordingVendorId: "id",
    }[model]
    column = getattr(model, "recording_id")  # noqa: B009 - generic over the child tables
    query = select(model).where(column == recording_id).order_by(getattr(model, order))
    return list(session.exec(query).all())


def _contains(columns: Sequence[Any], text: str) -> ColumnElement[bool]:
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(col(c).ilike(pattern, escape="\\") for c in columns))


def _recording_conditions(criteria: RecordingFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if criteria.caller:
        where.append(
            _contains(
                (Recording.caller_number, Recording.caller_name, Recording.caller_aor),
                criteria.caller,
            )
        )
    if criteria.callee:
        where.append(
            _contains(
                (Recording.callee_number, Recording.callee_name, Recording.callee_aor),
                criteria.callee,
            )
        )
    if criteria.call_id:
        where.append(col(Recording.call_id) == criteria.call_id)
    if criteria.vendor_id:
        matching = select(RecordingVendorId.recording_id).where(
            col(RecordingVendorId.value) == criteria.vendor_id
        )
        where.append(col(Recording.session_id).in_(matching))
    if criteria.started_from is not None:
        where.append(col(Recording.started_at) >= criteria.started_from)
    if criteria.started_to is not None:
        where.append(col(Recording.started_at) < criteria.started_to)
    return where


@dataclass(frozen=True)
class _SnapshotRows:
    """One snapshot's row values, computed (and validated) before the transaction opens."""

    recording_id: str
    session: dict[str, Any]
    participants: list[dict[str, Any]]
    streams: list[dict[str, Any]]
    metadata: list[dict[str, Any]]
    vendor_ids: list[dict[str, Any]]

    @classmethod
    def of(cls, snapshot: Mapping[str, Any]) -> _SnapshotRows:
        rid = snap.recording_id(snapshot)
        values = snap.session_fields(snapshot)
        ending = values["ended_at"] is not None or snapshot.get("state") == "terminated"
        # ``state`` carries "this snapshot ends the session" into the conflict clause.
        session = {
            "id": rid,
            **values,
            "state": "ended" if ending else "active",
            "updated_at": datetime.now(UTC),
        }
        return cls(
            recording_id=rid,
            session=session,
            participants=[{"recording_id": rid, **p} for p in snap.participant_rows(snapshot)],
            streams=[{"recording_id": rid, **s, "ssrcs": []} for s in snap.stream_rows(snapshot)],
            metadata=[{"recording_id": rid, **m} for m in snap.metadata_rows(snapshot)],
            vendor_ids=[
                {"recording_id": rid, "kind": kind, "value": value}
                for kind, value in snap.vendor_ids(snapshot)
            ],
        )


def _rounds(writes: Sequence[_SnapshotRows]) -> list[list[_SnapshotRows]]:
    """Consecutive runs of the batch with each recording at most once: one statement may
    not upsert the same row twice (PostgreSQL refuses), and order must be kept."""
    rounds: list[list[_SnapshotRows]] = []
    seen: set[str] = set()
    for write in writes:
        if not rounds or write.recording_id in seen:
            rounds.append([])
            seen = set()
        rounds[-1].append(write)
        seen.add(write.recording_id)
    return rounds


_TABLES = SQLModel.metadata.tables
_SESSION_LATE_NULLS = ("ended_at", "end_reason")  # a late live snapshot must not reopen
_PARTICIPANT_FIELDS = ("name", "aor", "number", "channel", "role")
_STREAM_FIELDS = ("label", "index", "media", "participant_id", "channel")
_SIGNALED = ("label", "participant_id", "channel")  # finalize only fills these when missing


def columns_of(row: SQLModel) -> dict[str, Any]:
    """Every column value of a model instance (its Python-side defaults applied), for a
    Core insert, which runs no Python defaults itself."""
    return {c.name: getattr(row, c.name) for c in row.__table__.columns}  # type: ignore[attr-defined]


def dialect_insert(dialect: str) -> Any:
    """The dialect's ``insert`` that has ``on_conflict_do_*`` (SQLite and PostgreSQL)."""
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise ValueError(f"unsupported database dialect for upserts: {dialect!r}")


class _Upserts:
    """The dialect's ``INSERT … ON CONFLICT`` statements, with the ORM path's merge rules:
    the session row is overwritten (but never reopened, its state only advances),
    participants keep stored values the snapshot leaves out, streams keep their finalize
    statistics, metadata versions and vendor ids are only ever added."""

    def __init__(self, dialect: str) -> None:
        self._insert = dialect_insert(dialect)
        self._sessions: dict[tuple[str, ...], Any] = {}  # by the columns a snapshot sets
        self._stats: dict[tuple[str, ...], Any] = {}  # by the statistics finalize reports
        self._recording: Any = None
        self._children = (
            self._participants(),
            self._streams(),
            self._added("metadata_version", "seq"),
            self._added("recording_vendor_id", "kind", "value"),
        )

    def statements(self, batch: Sequence[_SnapshotRows]) -> list[tuple[Any, list[Any]]]:
        """``(statement, rows)`` in foreign-key order; built statements are reused, so
        SQLAlchemy's compiled cache serves them."""
        names = tuple(batch[0].session)
        if names not in self._sessions:
            self._sessions[names] = self._session(names)
        participants, streams, metadata, vendor_ids = self._children
        return [
            (self._sessions[names], [w.session for w in batch]),
            (participants, [r for w in batch for r in w.participants]),
            (streams, [r for w in batch for r in w.streams]),
            (metadata, [r for w in batch for r in w.metadata]),
            (vendor_ids, [r for w in batch for r in w.vendor_ids]),
        ]

    def _session(self, names: tuple[str, ...]) -> Any:
        table = _TABLES["recording_session"]
        statement = self._insert(table)
        new = statement.excluded
        updates: dict[str, Any] = {
            name: func.coalesce(new[name], table.c[name])
            if name in _SESSION_LATE_NULLS
            else new[name]
            for name in names
            if name not in ("id", "state")
        }
        ending = or_(new.state == "ended", table.c.ended_at.is_not(None))
        advanced = case(
            (or_(table.c.state == "ended", table.c.state == "finalized"), table.c.state),
            else_=literal("ended"),
        )
        updates["state"] = case((ending, advanced), else_=table.c.state)
        return statement.on_conflict_do_update(index_elements=["id"], set_=updates)

    def _participants(self) -> Any:
        table = _TABLES["participant"]
        statement = self._insert(table)
        updates = {
            name: func.coalesce(statement.excluded[name], table.c[name])
            for name in _PARTICIPANT_FIELDS
        }
        return statement.on_conflict_do_update(
            index_elements=["recording_id", "participant_id"], set_=updates
        )

    def _streams(self) -> Any:
        statement = self._insert(_TABLES["stream"])
        updates = {name: statement.excluded[name] for name in _STREAM_FIELDS}
        return statement.on_conflict_do_update(index_elements=["recording_id", "key"], set_=updates)

    def stream_stats(
        self, recording_id: str, stats: Mapping[str, Mapping[str, Any]]
    ) -> list[tuple[Any, list[dict[str, Any]]]]:
        """Finalize's per-stream statistics as upserts, one statement per set of columns."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for key, stat in stats.items():
            row = columns_of(Stream(recording_id=recording_id, key=key, **stat))
            row.pop("id")
            groups.setdefault(tuple(sorted(stat)), []).append(row)
        out = []
        for names, rows in groups.items():
            if names not in self._stats:
                self._stats[names] = self._stream_stats(names)
            out.append((self._stats[names], rows))
        return out

    def _stream_stats(self, names: tuple[str, ...]) -> Any:
        table = _TABLES["stream"]
        statement = self._insert(table)
        new = statement.excluded
        updates = {
            name: func.coalesce(table.c[name], new[name]) if name in _SIGNALED else new[name]
            for name in names
        }
        return statement.on_conflict_do_update(index_elements=["recording_id", "key"], set_=updates)

    def recording(self) -> Any:
        """The recording row, replaced as a whole when finalized again (created_at kept)."""
        if self._recording is None:
            table = _TABLES["recording"]
            statement = self._insert(table)
            updates = {
                c.name: statement.excluded[c.name]
                for c in table.columns
                if c.name not in ("id", "created_at")
            }
            self._recording = statement.on_conflict_do_update(index_elements=["id"], set_=updates)
        return self._recording

    def _added(self, table: str, *keys: str) -> Any:
        statement = self._insert(_TABLES[table])
        return statement.on_conflict_do_nothing(index_elements=["recording_id", *keys])
