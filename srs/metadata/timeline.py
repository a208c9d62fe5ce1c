"""Merging the metadata versions of one recording session into a timeline.

RFC 7865 §6: a ``complete`` document describes the whole recording session (anything it
omits has ended), a ``partial`` one only what changed.  The timeline applies each version
in arrival order, keeps every raw version, and reports what changed as ``TimelineChange``
values (participants joining/leaving, streams added/removed, senders changing, forward
stream references resolved, placeholders replaced).  Time is passed in as ``now``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from srs.metadata.derive import party_of
from srs.metadata.facts import CallFacts
from srs.metadata.model import Group, MetadataDocument, Participant, Session, Stream
from srs.metadata.timestamp import Timestamp


class _Note(Protocol):
    """The change recorder handed to the merge steps."""

    def __call__(
        self, kind: str, subject: str, at: str | None = None, **detail: object
    ) -> None: ...


_USABLE = ("participants", "streams", "sessions", "groups", "participant_stream_assocs")


@dataclass(frozen=True)
class TimelineChange:
    """One observable change; ``at`` is the metadata's own time for it when given."""

    kind: str
    subject: str
    version: int
    now: float
    at: str | None = None
    detail: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "version": self.version,
            "now": self.now,
            "at": self.at,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True)
class TimelineVersion:
    """One received document, kept raw for audit and re-parsing."""

    index: int
    now: float
    document: MetadataDocument

    @property
    def raw(self) -> bytes:
        return self.document.raw

    def to_json(self) -> dict[str, object]:
        doc = self.document
        return {
            "index": self.index,
            "now": self.now,
            "content_type": doc.content_type,
            "data_mode": doc.data_mode,
            "dialect": doc.dialect,
            "well_formed": doc.well_formed,
            "recovered": doc.recovered,
            "errors": list(doc.errors),
            "raw": doc.raw.decode("utf-8", errors="replace"),
        }


@dataclass(frozen=True)
class Departure:
    """A participant leaving: metadata time (if any), arrival ``now`` and the reason."""

    at: str | None
    now: float
    reason: str

    def to_json(self) -> dict[str, object]:
        return {"at": self.at, "now": self.now, "reason": self.reason}


def _iso(stamp: Timestamp | None) -> str | None:
    return None if stamp is None else stamp.iso()


class MetadataTimeline:
    """The merged view of every metadata version received for one recording session."""

    def __init__(self) -> None:
        self.versions: list[TimelineVersion] = []
        self.changes: list[TimelineChange] = []
        self._participants: dict[str, Participant] = {}
        self._left: dict[str, Departure] = {}
        self._explicit_mapping = False  # some version stated who sends what
        self._now = 0.0
        self._replaced: dict[str, str] = {}  # placeholder id -> replacing participant id
        self._streams: dict[str, Stream] = {}
        self._removed_streams: dict[str, Stream] = {}
        self._sessions: dict[str, Session] = {}
        self._groups: dict[str, Group] = {}
        self._group_sessions: dict[str, list[str]] = {}
        self._ended_sessions: set[str] = set()
        self._send: dict[str, list[str]] = {}
        self._recv: dict[str, list[str]] = {}
        self._facts = CallFacts()

    # -- queries -------------------------------------------------------------------------

    @property
    def participants(self) -> list[Participant]:
        """Participants currently in the recording session, in order of first appearance."""
        return [p for pid, p in self._participants.items() if pid not in self._left]

    @property
    def all_participants(self) -> list[Participant]:
        return list(self._participants.values())

    @property
    def streams(self) -> list[Stream]:
        return list(self._streams.values())

    @property
    def sessions(self) -> list[Session]:
        return list(self._sessions.values())

    @property
    def ended_sessions(self) -> list[str]:
        return [sid for sid in self._sessions if sid in self._ended_sessions]

    @property
    def groups(self) -> list[Group]:
        return list(self._groups.values())

    def group_sessions(self, group_id: str) -> list[str]:
        return list(self._group_sessions.get(group_id, []))

    def departure(self, participant_id: str) -> Departure | None:
        """Why and when a participant left, or ``None`` while it is present."""
        return self._left.get(participant_id)

    def left_at(self, participant_id: str) -> str | float | None:
        """The metadata's disassociate time (UTC ISO) when given, else ``now`` of the version."""
        found = self._left.get(participant_id)
        if found is None:
            return None
        return found.at if found.at is not None else found.now

    def sends(self, participant_id: str) -> list[str]:
        return list(self._send.get(participant_id, []))

    def receives(self, participant_id: str) -> list[str]:
        return list(self._recv.get(participant_id, []))

    def _streams_labelled(self, label: str) -> list[Stream]:
        return [s for s in self._streams.values() if s.label == label]

    def stream_senders(self, label: str) -> list[Participant]:
        """Current participants that the metadata says send the stream with this label."""
        refs = {label} | {s.stream_id for s in self._streams_labelled(label)}
        return [p for p in self.participants if refs & set(self._send.get(p.participant_id, []))]

    def _fallback(self) -> dict[str, Participant]:
        """Document order when no participant sends anything (OpenSIPS: caller first)."""
        if self._explicit_mapping:
            return {}
        people = [p for p in self.participants if not p.placeholder] or self.participants
        streams = [s for s in self._streams.values() if s.label is not None]
        return {s.label: p for s, p in zip(streams, people, strict=False) if s.label is not None}

    def stream_sender(self, label: str) -> Participant | None:
        """The one participant sending ``label``; ``None`` when idle, mixed or unknown."""
        senders = self.stream_senders(label)
        if len(senders) == 1:
            return senders[0]
        if senders:
            return None
        return self._fallback().get(label)

    def mapping_confidence(self, label: str) -> str | None:
        if len(self.stream_senders(label)) == 1:
            return "metadata"
        if label in self._fallback():
            return "fallback"
        return None

    @property
    def facts(self) -> CallFacts:
        return self._facts

    # -- merging ---------------------------------------------------------------------------

    def apply(self, doc: MetadataDocument, now: float) -> list[TimelineChange]:
        """Merge one document (complete or partial) received at ``now``."""
        index = len(self.versions) + 1
        self._now = now
        self.versions.append(TimelineVersion(index, now, doc))
        changes: list[TimelineChange] = []

        def note(kind: str, subject: str, at: str | None = None, **detail: object) -> None:
            changes.append(TimelineChange(kind, subject, index, now, at, dict(detail)))

        if not any(getattr(doc, name) for name in _USABLE):
            note("version_unusable", str(index), errors=list(doc.errors))
            self.changes.extend(changes)
            return changes

        senders_before = self._sender_map()
        dangling_before = self._dangling()
        complete = doc.data_mode == "complete"
        if complete:
            self._drop_absent(doc, note)
        self._merge_groups_sessions(doc, note)
        self._merge_participants(doc, note)
        self._merge_streams(doc, note)
        for assoc in doc.participant_stream_assocs:
            self._explicit_mapping = self._explicit_mapping or bool(assoc.send or assoc.recv)
            self._send[assoc.participant] = list(assoc.send)
            self._recv[assoc.participant] = list(assoc.recv)
        if complete:
            mentioned = {a.participant for a in doc.participant_stream_assocs}
            for pid in list(self._send):
                if pid not in mentioned and self._send.get(pid):
                    self._send[pid], self._recv[pid] = [], []
        self._merge_session_assocs(doc, note)
        self._replace_placeholders(note)

        for ref in sorted(dangling_before - self._dangling()):
            stream = self._streams.get(ref)
            note("stream_reference_resolved", ref, label=stream.label if stream else None)
        senders_after = self._sender_map()
        for label in sorted(set(senders_before) | set(senders_after)):
            before, after = senders_before.get(label, []), senders_after.get(label, [])
            if before != after:
                note("stream_sender_changed", label, before=before, after=after)
        self._merge_facts(doc)
        self.changes.extend(changes)
        return changes

    def _sender_map(self) -> dict[str, list[str]]:
        labels = [s.label for s in self._streams.values() if s.label is not None]
        return {label: [p.participant_id for p in self.stream_senders(label)] for label in labels}

    def _dangling(self) -> set[str]:
        known = set(self._streams) | {s.label for s in self._streams.values() if s.label}
        refs = {ref for pid, refs in self._send.items() if pid not in self._left for ref in refs}
        return refs - known

    def _drop_absent(self, doc: MetadataDocument, note: _Note) -> None:
        present = {p.participant_id for p in doc.participants}
        for pid in list(self._participants):
            if pid not in present and pid not in self._left and pid not in self._replaced:
                self._left[pid] = Departure(None, self._now, "absent from complete metadata")
                note("participant_left", pid, reason="absent from complete metadata")
        sessions = {s.session_id for s in doc.sessions}
        for session_id in self._sessions:
            if session_id not in sessions and session_id not in self._ended_sessions:
                self._ended_sessions.add(session_id)
                note("session_ended", session_id, reason="absent from complete metadata")
        streams = {s.stream_id for s in doc.streams}
        for sid in list(self._streams):
            if sid not in streams:
                self._removed_streams[sid] = self._streams.pop(sid)
                note("stream_removed", sid, label=self._removed_streams[sid].label)

    def _merge_groups_sessions(self, doc: MetadataDocument, note: _Note) -> None:
        for group in doc.groups:
            if group.group_id not in self._groups:
                self._groups[group.group_id] = _own(group)
                self._group_sessions.setdefault(group.group_id, [])
                note("group_added", group.group_id, _iso(group.associate_time))
            else:
                self._groups[group.group_id].extensions.update(group.extensions)
        for session in doc.sessions:
            known = self._sessions.get(session.session_id)
            if known is None or session.session_id in self._ended_sessions:
                self._ended_sessions.discard(session.session_id)
                self._sessions[session.session_id] = _own(session)
                note(
                    "session_added",
                    session.session_id,
                    _iso(session.start_time or session.associate_time),
                )
            else:
                for sip_id in session.sip_session_ids:
                    if sip_id not in known.sip_session_ids:
                        known.sip_session_ids.append(sip_id)
                known.group_ref = session.group_ref or known.group_ref
                known.start_time = known.start_time or session.start_time
                known.stop_time = session.stop_time or known.stop_time
                known.associate_time = known.associate_time or session.associate_time
                known.disassociate_time = session.disassociate_time or known.disassociate_time
                known.extensions.update(session.extensions)
                if (session.stop_time or session.disassociate_time) and (
                    session.session_id not in self._ended_sessions
                ):
                    self._ended_sessions.add(session.session_id)
                    note(
                        "session_ended",
                        session.session_id,
                        _iso(session.stop_time or session.disassociate_time),
                    )
            group_id = session.group_ref
            if group_id:
                members = self._group_sessions.setdefault(group_id, [])
                if session.session_id not in members:
                    members.append(session.session_id)
                    note("session_added_to_group", group_id, session=session.session_id)

    def _merge_participants(self, doc: MetadataDocument, note: _Note) -> None:
        for new in doc.participants:
            old = self._participants.get(new.participant_id)
            if old is None:
                self._participants[new.participant_id] = _own(new)
                note("participant_joined", new.participant_id, aor=new.aor, name=new.name)
                continue
            before = (old.aor, old.name, old.number, old.placeholder)
            if new.aor is not None:
                old.aor, old.aor_original, old.placeholder = (
                    new.aor,
                    new.aor_original,
                    new.placeholder,
                )
            if new.name is not None:
                old.name, old.name_lang, old.name_params = new.name, new.name_lang, new.name_params
            old.number = new.number or old.number
            old.extensions.update(new.extensions)
            if new.participant_id in self._left and doc.data_mode == "complete":
                del self._left[new.participant_id]
                note("participant_rejoined", new.participant_id)
            if (old.aor, old.name, old.number, old.placeholder) != before:
                note(
                    "participant_updated",
                    new.participant_id,
                    aor=old.aor,
                    name=old.name,
                    number=old.number,
                )

    def _merge_streams(self, doc: MetadataDocument, note: _Note) -> None:
        for new in doc.streams:
            old = self._streams.get(new.stream_id)
            if old is None:
                self._streams[new.stream_id] = _own(new)
                self._removed_streams.pop(new.stream_id, None)
                note("stream_added", new.stream_id, _iso(new.associate_time), label=new.label)
                continue
            if new.label is not None and new.label != old.label:
                note("stream_relabelled", new.stream_id, before=old.label, after=new.label)
                old.label = new.label
            if new.session_id and new.session_id != old.session_id:
                note("stream_moved", new.stream_id, before=old.session_id, after=new.session_id)
                old.session_id = new.session_id
            old.mode = new.mode or old.mode
            old.extensions.update(new.extensions)
            if new.disassociate_time is not None:
                old.disassociate_time = new.disassociate_time
                self._removed_streams[new.stream_id] = self._streams.pop(new.stream_id)
                note("stream_removed", new.stream_id, _iso(new.disassociate_time), label=old.label)

    def _merge_session_assocs(self, doc: MetadataDocument, note: _Note) -> None:
        for assoc in doc.participant_session_assocs:
            pid = assoc.participant
            if pid not in self._participants:
                self._participants[pid] = Participant(participant_id=pid)
                note("participant_joined", pid, reason="named only by an association")
            if assoc.disassociate_time is not None:
                if pid not in self._left:
                    at = _iso(assoc.disassociate_time)
                    self._left[pid] = Departure(at, self._now, "disassociated")
                    note("participant_left", pid, at, session=assoc.session)
            elif assoc.associate_time is not None and pid in self._left:
                del self._left[pid]
                note("participant_rejoined", pid, _iso(assoc.associate_time))

    def _replace_placeholders(self, note: _Note) -> None:
        for placeholder in [p for p in self.participants if p.placeholder]:
            refs = set(self._send.get(placeholder.participant_id, []))
            if not refs:
                continue
            for other in self.participants:
                if other.placeholder or other is placeholder:
                    continue
                if refs & set(self._send.get(other.participant_id, [])):
                    self._left[placeholder.participant_id] = Departure(
                        None, self._now, f"replaced by {other.participant_id}"
                    )
                    self._replaced[placeholder.participant_id] = other.participant_id
                    self._send[placeholder.participant_id] = []
                    note(
                        "participant_replaced",
                        placeholder.participant_id,
                        by=other.participant_id,
                        aor=other.aor,
                    )
                    break

    def _merge_facts(self, doc: MetadataDocument) -> None:
        newer = copy.copy(doc.facts)  # only re-bound below, never mutated in place
        current = self._facts
        if current.caller_source and newer.caller_source == "document-order":
            newer.caller, newer.callee, newer.caller_source = current.caller, current.callee, None
        merged = current.merged(newer)
        for role in ("caller", "callee"):
            party = getattr(merged, role)
            pid = party.participant_id
            pid = self._replaced.get(pid, pid) if pid else None
            if pid and pid in self._participants:
                setattr(merged, role, party.merged(party_of(self._participants[pid])))
        for role, other in (("caller", "callee"), ("callee", "caller")):
            if getattr(merged, role).empty():
                taken = getattr(merged, other).participant_id
                candidates = [
                    p for p in self.participants if not p.placeholder and p.participant_id != taken
                ]
                if candidates:
                    setattr(merged, role, party_of(candidates[0]))
        self._facts = merged

    # -- export ----------------------------------------------------------------------------

    def to_json(self) -> dict[str, object]:
        labels = [s.label for s in self._streams.values() if s.label is not None]
        return {
            "participants": [
                {
                    **p.to_json(),
                    "left": departure.to_json()
                    if (departure := self._left.get(p.participant_id))
                    else None,
                    "sends": self.sends(p.participant_id),
                    "receives": self.receives(p.participant_id),
                }
                for p in self._participants.values()
            ],
            "streams": [s.to_json() for s in self._streams.values()],
            "removed_streams": [s.to_json() for s in self._removed_streams.values()],
            "mapping": {
                label: {
                    "participant_id": (
                        sender.participant_id if (sender := self.stream_sender(label)) else None
                    ),
                    "confidence": self.mapping_confidence(label),
                }
                for label in labels
            },
            "sessions": [s.to_json() for s in self._sessions.values()],
            "groups": [
                {**g.to_json(), "sessions": self.group_sessions(g.group_id)}
                for g in self._groups.values()
            ],
            "versions": [v.to_json() for v in self.versions],
            "changes": [c.to_json() for c in self.changes],
            "facts": self._facts.to_json(),
        }


_Owned = TypeVar("_Owned")


def _own(item: _Owned) -> _Owned:
    """A copy the timeline can update in place without touching the parsed document:
    fresh top-level lists and dicts (merges only ever ``update``/``append`` those; their
    values are strings, timestamps (frozen) and JSON data that nothing mutates).
    ``copy.deepcopy`` did the same at several times the cost, once per element per call."""
    clone = copy.copy(item)
    for name, value in vars(clone).items():
        if isinstance(value, (list, dict)):
            setattr(clone, name, value.copy())
    return clone
