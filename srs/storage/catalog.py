"""Recordings as people manage them: tenant, notes, tags, flag, call-centre fields, soft
delete, legal hold and retention, plus the search over all of it.

Everything here reads or writes :class:`RecordingAnnotation`, a row apart from the ones
the recorder upserts, so replaying a ``session.json`` never erases what a person added.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_
from sqlmodel import Session, col, select

from srs.storage.database import Database
from srs.storage.models import (
    MetadataVersion,
    Participant,
    Recording,
    RecordingAnnotation,
    RecordingSession,
    RecordingVendorId,
    Stream,
)
from srs.storage.repository import columns_of, dialect_insert

log = logging.getLogger(__name__)

MAX_TAGS = 32
TAG = re.compile(r"^[\w.:+/-]{1,64}$")
EDITABLE = ("notes", "tags", "flag", "agent_id", "agent_name", "client_id", "campaign_id")
SORT_KEYS = ("started_at", "created_at", "duration", "completeness", "size", "flag")


class CatalogError(ValueError):
    """A change the rules refuse; ``field`` names the culprit, ``conflict`` means 409."""

    def __init__(self, message: str, field: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.conflict = conflict


# ------------------------------------------------------------------------------ tenancy


@dataclass(frozen=True)
class TenantRules:
    """Which tenant a recording belongs to: the metadata's ``tenant`` fact, else the
    first ``sources`` entry (CIDR, IP address or SIP host/realm) matching the SRC's
    address or From host, else ``default``."""

    default: str = "default"
    sources: Mapping[str, str] = field(default_factory=dict)

    def tenant_for(
        self,
        facts: Mapping[str, Any] | None,
        source_address: str | None = None,
        from_uri: str | None = None,
    ) -> str:
        tenant = (facts or {}).get("tenant")
        if isinstance(tenant, str) and tenant.strip():
            return tenant.strip()
        hosts = [h for h in (_host(source_address), _uri_host(from_uri)) if h]
        for pattern, name in self.sources.items():
            if any(_matches(pattern, host) for host in hosts):
                return name
        return self.default

    def tenant_for_snapshot(self, snapshot: Mapping[str, Any]) -> str:
        sip = snapshot.get("sip") if isinstance(snapshot.get("sip"), Mapping) else {}
        headers = snapshot.get("headers") if isinstance(snapshot.get("headers"), Mapping) else {}
        facts = snapshot.get("facts")
        source = snapshot.get("source_address") or (sip or {}).get("source")
        from_uri = snapshot.get("from_uri") or (headers or {}).get("From")
        return self.tenant_for(
            facts if isinstance(facts, Mapping) else None,
            str(source) if source else None,
            str(from_uri) if from_uri else None,
        )


def _host(address: str | None) -> str | None:
    """``10.0.0.1:5060`` / ``[::1]:5060`` / ``host`` → the host part."""
    if not address:
        return None
    text = address.strip()
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    if text.count(":") == 1:
        return text.split(":", 1)[0]
    return text


def _uri_host(uri: str | None) -> str | None:
    if not uri:
        return None
    match = re.search(r"sips?:(?:[^@;>]*@)?([^;:>]+)", uri, re.IGNORECASE)
    return match.group(1).lower() if match else None


def _matches(pattern: str, host: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return pattern.lower() == host.lower()


# ------------------------------------------------------------------------------ search


@dataclass(frozen=True)
class RecordingSearch:
    """Search criteria; ``None`` means "any".  Text matches are case-insensitive."""

    tenant_id: str | None = None  # the caller's tenant (None: every tenant)
    agent_scope: str | None = None  # read-own: only recordings of this agent id
    caller: str | None = None  # substring of caller number, name or AOR
    callee: str | None = None
    participant: str | None = None  # number, name or AOR of any participant
    participant_match: str = "contains"  # contains | equals
    direction: str | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    vendor_id: str | None = None
    call_id: str | None = None
    tags: tuple[str, ...] = ()  # all of them
    notes: str | None = None  # substring
    agent: str | None = None  # agent id (exact) or agent name (substring)
    client_id: str | None = None
    campaign_id: str | None = None
    channels: int | None = None
    min_completeness: float | None = None
    max_completeness: float | None = None
    min_flag: int | None = None
    legal_hold: bool | None = None
    deleted: bool | None = False  # False: live ones, True: soft-deleted only, None: both
    started_from: datetime | None = None
    started_to: datetime | None = None
    sort: str = "-started_at"


@dataclass
class CatalogEntry:
    """A recording with its annotation (``None`` only before :meth:`Catalog.sync`)."""

    recording: Recording
    annotation: RecordingAnnotation | None


def _contains(columns: Sequence[Any], text: str) -> ColumnElement[bool]:
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(col(c).ilike(pattern, escape="\\") for c in columns))


def _equals(columns: Sequence[Any], text: str) -> ColumnElement[bool]:
    return or_(*(func.lower(col(c)) == text.lower() for c in columns))


def _conditions(criteria: RecordingSearch) -> list[ColumnElement[bool]]:
    ann = RecordingAnnotation
    where: list[ColumnElement[bool]] = []
    if criteria.tenant_id is not None:
        where.append(col(ann.tenant_id) == criteria.tenant_id)
    if criteria.agent_scope is not None:
        where.append(col(ann.agent_id) == criteria.agent_scope)
    if criteria.deleted is False:
        where.append(col(ann.deleted_at).is_(None))
    elif criteria.deleted is True:
        where.append(col(ann.deleted_at).is_not(None))
    caller = (Recording.caller_number, Recording.caller_name, Recording.caller_aor)
    callee = (Recording.callee_number, Recording.callee_name, Recording.callee_aor)
    if criteria.caller:
        where.append(_contains(caller, criteria.caller))
    if criteria.callee:
        where.append(_contains(callee, criteria.callee))
    if criteria.participant:
        match = _equals if criteria.participant_match == "equals" else _contains
        parts = (Participant.number, Participant.name, Participant.aor)
        in_participants = exists(
            select(Participant.id).where(
                col(Participant.recording_id) == col(Recording.session_id),
                match(parts, criteria.participant),
            )
        )
        where.append(
            or_(match(caller, criteria.participant), match(callee, criteria.participant))
            | in_participants
        )
    if criteria.direction:
        where.append(col(Recording.direction) == criteria.direction)
    if criteria.min_duration is not None:
        where.append(col(Recording.duration) >= criteria.min_duration)
    if criteria.max_duration is not None:
        where.append(col(Recording.duration) <= criteria.max_duration)
    if criteria.call_id:
        where.append(col(Recording.call_id) == criteria.call_id)
    if criteria.vendor_id:
        matching = select(RecordingVendorId.recording_id).where(
            col(RecordingVendorId.value) == criteria.vendor_id
        )
        where.append(col(Recording.session_id).in_(matching))
    for tag in criteria.tags:
        where.append(_contains([ann.tags_text], f",{tag.lower()},"))
    if criteria.notes:
        where.append(_contains([ann.notes], criteria.notes))
    if criteria.agent:
        where.append(
            or_(col(ann.agent_id) == criteria.agent, _contains([ann.agent_name], criteria.agent))
        )
    if criteria.client_id:
        where.append(col(ann.client_id) == criteria.client_id)
    if criteria.campaign_id:
        where.append(col(ann.campaign_id) == criteria.campaign_id)
    if criteria.channels is not None:
        where.append(col(Recording.channels) == criteria.channels)
    if criteria.min_completeness is not None:
        where.append(col(Recording.completeness) >= criteria.min_completeness)
    if criteria.max_completeness is not None:
        where.append(col(Recording.completeness) <= criteria.max_completeness)
    if criteria.min_flag is not None:
        where.append(col(ann.flag) >= criteria.min_flag)
    if criteria.legal_hold is not None:
        where.append(col(ann.legal_hold) == criteria.legal_hold)
    if criteria.started_from is not None:
        where.append(col(Recording.started_at) >= criteria.started_from)
    if criteria.started_to is not None:
        where.append(col(Recording.started_at) < criteria.started_to)
    return where


def _order(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    key = sort.lstrip("-+")
    if key not in SORT_KEYS:
        raise CatalogError(
            f"sort: must be one of {', '.join(SORT_KEYS)} (prefix - for descending)", "sort"
        )
    column = col(getattr(RecordingAnnotation if key == "flag" else Recording, key))
    first = column.desc().nulls_last() if descending else column.asc().nulls_last()
    return [first, col(Recording.created_at).desc(), col(Recording.id)]


def normalise_tags(tags: Iterable[Any]) -> list[str]:
    """Validated tags, lower-cased, duplicates dropped, order kept."""
    out: list[str] = []
    for tag in tags:
        if not isinstance(tag, str) or not TAG.match(tag):
            raise CatalogError(f"tags: {tag!r} is not 1-64 letters, digits or . _ : + / -", "tags")
        if tag.lower() not in out:
            out.append(tag.lower())
    if len(out) > MAX_TAGS:
        raise CatalogError(f"tags: at most {MAX_TAGS}", "tags")
    return out


def _check_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in EDITABLE:
            raise CatalogError(f"{name}: cannot be changed", name)
        if name == "tags":
            clean["tags"] = normalise_tags(value or [])
        elif name == "flag":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
                raise CatalogError("flag: must be an integer from 0 to 10", "flag")
            clean["flag"] = value
        elif value is None or isinstance(value, str):
            limit = 10_000 if name == "notes" else 256 if name == "agent_name" else 128
            if value is not None and len(value) > limit:
                raise CatalogError(f"{name}: at most {limit} characters", name)
            clean[name] = value or None
        else:
            raise CatalogError(f"{name}: must be a string or null", name)
    return clean


class Catalog:
    """Annotations, search, retention and legal hold over one :class:`Database`."""

    def __init__(self, db: Database, rules: TenantRules | None = None) -> None:
        self.db = db
        self.rules = rules or TenantRules()
        self._claim_statements: dict[bool, Any] = {}  # by "explicit"
        self._annotation_defaults: dict[str, Any] | None = None

    # -- annotations ---------------------------------------------------------------
    def annotation(self, recording_id: str) -> RecordingAnnotation | None:
        with self.db.session() as session:
            return session.get(RecordingAnnotation, recording_id)

    def annotations(self, recording_ids: Iterable[str]) -> dict[str, RecordingAnnotation]:
        ids = list(recording_ids)
        if not ids:
            return {}
        query = select(RecordingAnnotation).where(col(RecordingAnnotation.recording_id).in_(ids))
        with self.db.session() as session:
            return {row.recording_id: row for row in session.exec(query).all()}

    def annotate(
        self, recording_id: str, changes: Mapping[str, Any], *, tenant_id: str | None = None
    ) -> RecordingAnnotation:
        """Apply ``changes`` (``notes``, ``tags``, ``flag``, call-centre fields), creating
        the row (with ``tenant_id``) when the recording has none yet."""
        clean = _check_changes(changes)
        with self.db.writing() as session:
            row = self._row(session, recording_id, tenant_id)
            for name, value in clean.items():
                setattr(row, name, value)
            if "tags" in clean:
                row.tags_text = "," + ",".join(clean["tags"]) + "," if clean["tags"] else ""
            return self._save(session, row)

    def set_control(
        self,
        recording_id: str,
        *,
        tenant_id: str | None = None,
        keep: bool | None = None,
        intervals: list[dict[str, Any]] | None = None,
    ) -> RecordingAnnotation:
        """Record what live control did (keep flag, pause/mute intervals)."""
        with self.db.writing() as session:
            row = self._row(session, recording_id, tenant_id)
            if keep is not None:
                row.keep = keep
            if intervals is not None:
                row.intervals = list(intervals)
            return self._save(session, row)

    def _row(
        self, session: Session, recording_id: str, tenant_id: str | None
    ) -> RecordingAnnotation:
        row = session.get(RecordingAnnotation, recording_id)
        if row is None:
            row = RecordingAnnotation(recording_id=recording_id, tenant_id=tenant_id)
        elif row.tenant_id is None and tenant_id is not None:
            row.tenant_id = tenant_id
        return row

    @staticmethod
    def _save(session: Session, row: RecordingAnnotation) -> RecordingAnnotation:
        row.updated_at = datetime.now(UTC)
        session.add(row)
        session.flush()
        session.refresh(row)
        return row

    def claim(self, snapshot: Mapping[str, Any]) -> str:
        """Record the tenant of a live session from its snapshot: set when missing, and
        replaced when the metadata names a tenant explicitly.  Returns the stored tenant."""
        rid = self.claim_many([snapshot])[0]
        with self.db.session() as session:
            row = session.get(RecordingAnnotation, rid)
            assert row is not None and row.tenant_id is not None  # just claimed
            return row.tenant_id

    def claim_many(self, snapshots: Sequence[Mapping[str, Any]]) -> list[str]:
        """:meth:`claim` for a batch of snapshots (the server's database thread, once per
        batch of SIP transactions): one transaction and two ``INSERT … ON CONFLICT``
        statements, however many snapshots.  Returns their recording ids."""
        explicit_rows: list[dict[str, Any]] = []
        derived_rows: list[dict[str, Any]] = []
        ids: list[str] = []
        now = datetime.now(UTC)
        if self._annotation_defaults is None:  # a Core insert runs no Python defaults
            self._annotation_defaults = columns_of(RecordingAnnotation(recording_id=""))
        defaults = self._annotation_defaults
        for snapshot in snapshots:
            rid = snapshot.get("recording_id")
            if not isinstance(rid, str) or not rid:
                raise CatalogError(
                    "snapshot.recording_id: must be a non-empty string", "recording_id"
                )
            tenant = self.rules.tenant_for_snapshot(snapshot)
            facts = snapshot.get("facts")
            explicit = isinstance(facts, Mapping) and bool(facts.get("tenant"))
            row = {**defaults, "recording_id": rid, "tenant_id": tenant, "updated_at": now}
            (explicit_rows if explicit else derived_rows).append(row)
            ids.append(rid)
        with self.db.writing() as session:
            connection = session.connection()
            for rows, statement in (
                (derived_rows, self._claims(explicit=False)),
                (explicit_rows, self._claims(explicit=True)),
            ):
                if rows:
                    connection.execute(statement, rows)
        return ids

    def _claims(self, explicit: bool) -> Any:
        """The claim upsert: an explicit tenant replaces a different one, a derived one
        only fills a missing one (built once per kind, then cached)."""
        cached = self._claim_statements.get(explicit)
        if cached is not None:
            return cached
        table = RecordingAnnotation.__table__  # type: ignore[attr-defined]
        statement = dialect_insert(self.db.engine.dialect.name)(table)
        new = statement.excluded
        when = (
            table.c.tenant_id.is_distinct_from(new.tenant_id)
            if explicit
            else table.c.tenant_id.is_(None)
        )
        built = statement.on_conflict_do_update(
            index_elements=["recording_id"],
            set_={"tenant_id": new.tenant_id, "updated_at": new.updated_at},
            where=when,
        )
        self._claim_statements[explicit] = built
        return built

    def tenant_of_session(self, recording_id: str) -> str | None:
        """The stored tenant of a recording id, deriving (and storing) it when missing."""
        self.sync([recording_id])
        row = self.annotation(recording_id)
        if row is not None and row.tenant_id is not None:
            return row.tenant_id
        with self.db.session() as session:
            stored = session.get(RecordingSession, recording_id)
            if stored is None:
                return None
            return self.rules.tenant_for(None, stored.source_address, stored.from_uri)

    def sync(self, recording_ids: Sequence[str] | None = None) -> int:
        """Give every finalized recording without a tenant its derived tenant; returns how
        many rows changed.  Cheap when nothing is missing: one anti-join, read without
        taking the write lock (which the recorder's writes share)."""
        ann = RecordingAnnotation
        query = (
            select(Recording, RecordingSession, ann)
            .join(RecordingSession, col(RecordingSession.id) == col(Recording.session_id))
            .outerjoin(ann, col(ann.recording_id) == col(Recording.id))
            .where(or_(col(ann.recording_id).is_(None), col(ann.tenant_id).is_(None)))
        )
        if recording_ids is not None:
            query = query.where(col(Recording.id).in_(list(recording_ids)))
        with self.db.session() as session:
            if session.exec(query.limit(1)).first() is None:
                return 0
        with self.db.writing() as session:
            rows = list(session.exec(query).all())
            for recording, stored, annotation in rows:
                tenant = self.rules.tenant_for(
                    recording.facts, stored.source_address, stored.from_uri
                )
                row = annotation or RecordingAnnotation(recording_id=recording.id)
                row.tenant_id = tenant
                self._save(session, row)
        return len(rows)

    # -- search ----------------------------------------------------------------------
    def search(
        self, criteria: RecordingSearch, limit: int = 50, offset: int = 0
    ) -> tuple[list[CatalogEntry], int]:
        """One page of matching recordings and the total number of matches."""
        self.sync()
        where = _conditions(criteria)
        join = col(RecordingAnnotation.recording_id) == col(Recording.id)
        query = (
            select(Recording, RecordingAnnotation)
            .outerjoin(RecordingAnnotation, join)
            .where(*where)
            .order_by(*_order(criteria.sort))
            .offset(offset)
            .limit(limit)
        )
        count = (
            select(func.count())
            .select_from(Recording)
            .outerjoin(RecordingAnnotation, join)
            .where(*where)
        )
        with self.db.session() as session:
            rows = [CatalogEntry(r, a) for r, a in session.exec(query).all()]
            total = int(session.exec(count).one())
        return rows, total

    # -- retention -------------------------------------------------------------------
    def soft_delete(self, recording_id: str, by: str, now: datetime) -> RecordingAnnotation:
        """Hide a recording (purged later); refused under legal hold or retention."""
        self.sync([recording_id])
        with self.db.writing() as session:
            row = self._row(session, recording_id, None)
            if row.legal_hold:
                raise CatalogError(
                    f"recording {recording_id!r} is under legal hold", "legal_hold", conflict=True
                )
            if row.retain_until is not None and row.retain_until > now:
                raise CatalogError(
                    f"recording {recording_id!r} must be kept until {row.retain_until.isoformat()}",
                    "retain_until",
                    conflict=True,
                )
            if row.deleted_at is not None:
                raise CatalogError(
                    f"recording {recording_id!r} is already deleted", "deleted_at", conflict=True
                )
            row.deleted_at, row.deleted_by = now, by
            return self._save(session, row)

    def restore(self, recording_id: str) -> RecordingAnnotation:
        with self.db.writing() as session:
            row = session.get(RecordingAnnotation, recording_id)
            if row is None or row.deleted_at is None:
                raise CatalogError(
                    f"recording {recording_id!r} is not deleted", "deleted_at", conflict=True
                )
            row.deleted_at, row.deleted_by = None, None
            return self._save(session, row)

    def set_hold(
        self,
        recording_id: str,
        hold: bool,
        reason: str | None = None,
        retain_until: datetime | None = None,
    ) -> RecordingAnnotation:
        """Place or lift a legal hold; ``retain_until`` forbids deletion before a date."""
        self.sync([recording_id])
        with self.db.writing() as session:
            row = self._row(session, recording_id, None)
            row.legal_hold = hold
            row.hold_reason = reason if hold else None
            if retain_until is not None:
                row.retain_until = retain_until
            return self._save(session, row)

    def purge(self, now: datetime, grace: timedelta) -> list[str]:
        """Erase (rows and files) recordings soft-deleted more than ``grace`` ago and not
        on hold; returns their ids.  Run it from a periodic job."""
        ann = RecordingAnnotation
        query = select(ann).where(
            col(ann.deleted_at).is_not(None),
            col(ann.deleted_at) <= now - grace,
            col(ann.legal_hold).is_(False),
            or_(col(ann.retain_until).is_(None), col(ann.retain_until) <= now),
        )
        purged: list[str] = []
        with self.db.writing() as session:
            for row in session.exec(query).all():
                recording = session.get(Recording, row.recording_id)
                if recording is not None:
                    _remove_files(recording)
                    session.delete(recording)
                for model in (Participant, Stream, MetadataVersion, RecordingVendorId):
                    column = getattr(model, "recording_id")  # noqa: B009
                    for child in session.exec(select(model).where(column == row.recording_id)):
                        session.delete(child)
                session.flush()
                stored = session.get(RecordingSession, row.recording_id)
                if stored is not None:
                    session.delete(stored)
                session.delete(row)
                purged.append(row.recording_id)
        return purged


def _remove_files(recording: Recording) -> None:
    paths = {recording.path} | {
        str(f["path"]) for f in recording.files if isinstance(f, dict) and f.get("path")
    }
    for path in paths:
        try:
            Path(path).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("purge: could not remove %s: %s", path, exc)
