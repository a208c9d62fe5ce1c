"""The RFC 7865 data model as plain dataclasses, shared by readers, dialects and timeline.

Ids are kept exactly as sent (base64, ``urn:uuid:``, hex, E.164, Call-IDs) and compared as
strings.  ``extensions`` dictionaries hold vendor data keyed by the element's local name;
dialects add normalised vendor facts under their own name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from srs.metadata.facts import CallFacts
from srs.metadata.timestamp import Timestamp

DataMode = Literal["complete", "partial"]


def _time_json(value: Timestamp | None) -> dict[str, object] | None:
    return None if value is None else value.to_json()


@dataclass
class Group:
    group_id: str
    associate_time: Timestamp | None = None
    disassociate_time: Timestamp | None = None
    extensions: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "group_id": self.group_id,
            "associate_time": _time_json(self.associate_time),
            "disassociate_time": _time_json(self.disassociate_time),
            "extensions": self.extensions,
        }


@dataclass
class Session:
    session_id: str
    sip_session_ids: list[str] = field(default_factory=list)
    group_ref: str | None = None
    start_time: Timestamp | None = None
    stop_time: Timestamp | None = None
    associate_time: Timestamp | None = None
    disassociate_time: Timestamp | None = None
    extensions: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "session_id": self.session_id,
            "sip_session_ids": list(self.sip_session_ids),
            "group_ref": self.group_ref,
            "start_time": _time_json(self.start_time),
            "stop_time": _time_json(self.stop_time),
            "associate_time": _time_json(self.associate_time),
            "disassociate_time": _time_json(self.disassociate_time),
            "extensions": self.extensions,
        }


@dataclass
class Participant:
    """One party.  ``aor`` is normalised (scheme added), ``aor_original`` as sent."""

    participant_id: str
    aor: str | None = None
    aor_original: str | None = None
    name: str | None = None
    name_lang: str | None = None
    name_params: dict[str, str] = field(default_factory=dict)
    number: str | None = None
    placeholder: bool = False  # a stand-in such as Avaya SBCE's sip:ASBCE@asbce.com
    extensions: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "participant_id": self.participant_id,
            "aor": self.aor,
            "aor_original": self.aor_original,
            "name": self.name,
            "name_lang": self.name_lang,
            "name_params": dict(self.name_params),
            "number": self.number,
            "placeholder": self.placeholder,
            "extensions": self.extensions,
        }


@dataclass
class Stream:
    stream_id: str
    label: str | None = None
    session_id: str | None = None
    mode: str | None = None  # "separate" | "mixed" where the SRC says so
    associate_time: Timestamp | None = None
    disassociate_time: Timestamp | None = None
    extensions: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "stream_id": self.stream_id,
            "label": self.label,
            "session_id": self.session_id,
            "mode": self.mode,
            "associate_time": _time_json(self.associate_time),
            "disassociate_time": _time_json(self.disassociate_time),
            "extensions": self.extensions,
        }


@dataclass
class ParticipantSessionAssoc:
    participant: str
    session: str | None
    associate_time: Timestamp | None = None
    disassociate_time: Timestamp | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "participant": self.participant,
            "session": self.session,
            "associate_time": _time_json(self.associate_time),
            "disassociate_time": _time_json(self.disassociate_time),
        }


@dataclass
class ParticipantStreamAssoc:
    """What one participant sends and receives; references are stream ids or labels."""

    participant: str
    send: list[str] = field(default_factory=list)
    recv: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"participant": self.participant, "send": list(self.send), "recv": list(self.recv)}


@dataclass
class MetadataDocument:
    """One metadata body as received, parsed and normalised; never raised out of."""

    raw: bytes
    content_type: str | None = None
    dialect: str = "unknown"
    dialects: list[str] = field(default_factory=list)  # every dialect applied, in order
    data_mode: DataMode = "complete"
    data_mode_stated: bool = False
    well_formed: bool = False
    recovered: bool = False
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    root_tag: str | None = None
    namespace: str | None = None
    groups: list[Group] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    streams: list[Stream] = field(default_factory=list)
    participant_session_assocs: list[ParticipantSessionAssoc] = field(default_factory=list)
    participant_stream_assocs: list[ParticipantStreamAssoc] = field(default_factory=list)
    extensions: dict[str, object] = field(default_factory=dict)
    facts: CallFacts = field(default_factory=CallFacts)

    @property
    def ok(self) -> bool:
        """Well-formed and nothing to complain about."""
        return self.well_formed and not self.errors

    def participant(self, participant_id: str) -> Participant | None:
        return next((p for p in self.participants if p.participant_id == participant_id), None)

    def stream(self, ref: str) -> Stream | None:
        """A stream by id, else by label (SRCs use either in send/recv)."""
        found = next((s for s in self.streams if s.stream_id == ref), None)
        return found or next((s for s in self.streams if s.label == ref), None)

    def session(self, session_id: str) -> Session | None:
        return next((s for s in self.sessions if s.session_id == session_id), None)

    def stream_assoc(self, participant_id: str) -> ParticipantStreamAssoc | None:
        return next(
            (a for a in self.participant_stream_assocs if a.participant == participant_id), None
        )

    def senders(self) -> dict[str, list[str]]:
        """Stream label (or id when unlabelled) → participant ids that send it, per this doc."""
        result: dict[str, list[str]] = {}
        for assoc in self.participant_stream_assocs:
            for ref in assoc.send:
                stream = self.stream(ref)
                key = stream.label if stream and stream.label is not None else ref
                result.setdefault(key, []).append(assoc.participant)
        return result

    def to_json(self) -> dict[str, object]:
        return {
            "content_type": self.content_type,
            "dialect": self.dialect,
            "dialects": list(self.dialects),
            "data_mode": self.data_mode,
            "well_formed": self.well_formed,
            "recovered": self.recovered,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "groups": [g.to_json() for g in self.groups],
            "sessions": [s.to_json() for s in self.sessions],
            "participants": [p.to_json() for p in self.participants],
            "streams": [s.to_json() for s in self.streams],
            "participant_session_assocs": [a.to_json() for a in self.participant_session_assocs],
            "participant_stream_assocs": [a.to_json() for a in self.participant_stream_assocs],
            "extensions": self.extensions,
            "facts": self.facts.to_json(),
        }
