"""The one place the recording session touches ``srs.metadata``.

Everything the session needs from metadata goes through ``MetadataLink`` so that a change
in the metadata package is a one-line fix here.  Metadata never breaks a call: every
failure is turned into an error string on the version it came with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class TimelineLike(Protocol):
    """What ``srs.metadata.MetadataTimeline`` offers the session."""

    def apply(self, doc: Any, now: float) -> Any: ...

    def stream_sender(self, label: str) -> Any: ...

    def to_json(self) -> dict[str, Any]: ...


ParseFn = Callable[[bytes, str | None], Any]


@dataclass(frozen=True)
class ParticipantInfo:
    participant_id: str
    name: str | None = None
    aor: str | None = None


@dataclass
class MetadataVersion:
    """One metadata body exactly as received, with what reading it produced."""

    raw: bytes
    content_type: str | None
    received_at: float
    errors: list[str] = field(default_factory=list)
    well_formed: bool = False
    dialect: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "text": self.raw.decode("utf-8", "replace"),
            "content_type": self.content_type,
            "received_at": self.received_at,
            "errors": list(self.errors),
            "well_formed": self.well_formed,
            "dialect": self.dialect,
        }


def _default_parse() -> ParseFn:
    from srs.metadata import parse_metadata

    return parse_metadata


def _default_timeline() -> TimelineLike:
    from srs.metadata import MetadataTimeline

    timeline: TimelineLike = MetadataTimeline()
    return timeline


class MetadataLink:
    """Parses and merges the metadata versions of one recording session."""

    def __init__(
        self,
        parse: ParseFn | None = None,
        timeline: Callable[[], TimelineLike] | None = None,
    ) -> None:
        self._parse = parse
        self._timeline_factory = timeline or _default_timeline
        self._timeline: TimelineLike | None = None
        self.versions: list[MetadataVersion] = []
        self._participants: dict[str, ParticipantInfo] = {}
        self._has_senders = False
        # state_json/facts_json of the timeline as it is now: every snapshot (INVITE, ACK,
        # BYE …) renders them, the timeline only changes in apply(); callers do not mutate
        self._rendered: dict[str, dict[str, Any] | None] = {}

    @property
    def error(self) -> bool:
        """Some version could not be read cleanly (the raw text is kept regardless)."""
        return any(v.errors or not v.well_formed for v in self.versions)

    @property
    def has_send_associations(self) -> bool:
        """Some version said who sends which stream."""
        return self._has_senders

    def apply(self, raw: bytes, content_type: str | None, now: float) -> MetadataVersion:
        version = MetadataVersion(raw, content_type, now)
        self.versions.append(version)
        self._rendered.clear()
        try:
            parse = self._parse or _default_parse()
            doc = parse(raw, content_type)
            version.errors = [str(e) for e in getattr(doc, "errors", [])]
            version.well_formed = bool(getattr(doc, "well_formed", False))
            version.dialect = getattr(doc, "dialect", None)
            self._learn(doc)
            if self._timeline is None:
                self._timeline = self._timeline_factory()
            self._timeline.apply(doc, now)
        except Exception as exc:  # metadata must never break a call
            version.errors.append(f"metadata processing failed: {exc!r}")
        return version

    def _learn(self, doc: Any) -> None:
        for participant in getattr(doc, "participants", []) or []:
            pid = getattr(participant, "participant_id", None)
            if not pid:
                continue
            old = self._participants.get(pid)
            self._participants[pid] = ParticipantInfo(
                pid,
                getattr(participant, "name", None) or (old.name if old else None),
                getattr(participant, "aor", None) or (old.aor if old else None),
            )
        senders = getattr(doc, "senders", None)
        if callable(senders) and senders():
            self._has_senders = True

    def participants(self) -> list[ParticipantInfo]:
        """Every participant seen, in document order of first appearance."""
        return list(self._participants.values())

    def sender(self, label: str) -> tuple[ParticipantInfo, str] | None:
        """Who sends the stream with this SDP label per the merged metadata, and how sure
        the timeline is (``"metadata"``: stated; ``"fallback"``: metadata document order)."""
        if self._timeline is None:
            return None
        try:
            found = self._timeline.stream_sender(label)
            if found is None:
                return None
            confidence_of = getattr(self._timeline, "mapping_confidence", None)
            confidence = confidence_of(label) if callable(confidence_of) else None
        except Exception:
            return None
        pid = str(getattr(found, "participant_id", "") or "")
        known = self._participants.get(pid)
        info = ParticipantInfo(
            pid,
            getattr(found, "name", None) or (known.name if known else None),
            getattr(found, "aor", None) or (known.aor if known else None),
        )
        return info, confidence if confidence in ("metadata", "fallback") else "metadata"

    def state_json(self) -> dict[str, Any] | None:
        """The merged metadata as the timeline renders it (``None`` before any version);
        rendered once per metadata version, shared by the snapshots that follow."""
        if "state" not in self._rendered:
            self._rendered["state"] = self._render_state()
        return self._rendered["state"]

    def facts_json(self) -> dict[str, Any] | None:
        """The timeline's merged call facts (``None`` before any version), rendered once
        per metadata version like :meth:`state_json`."""
        if "facts" not in self._rendered:
            self._rendered["facts"] = self._render_facts()
        return self._rendered["facts"]

    def _render_state(self) -> dict[str, Any] | None:
        if self._timeline is None:
            return None
        try:
            return self._timeline.to_json()
        except Exception as exc:
            return {"error": repr(exc)}

    def _render_facts(self) -> dict[str, Any] | None:
        facts = getattr(self._timeline, "facts", None)
        to_json = getattr(facts, "to_json", None)
        if not callable(to_json):
            return None
        try:
            value = to_json()
        except Exception as exc:
            return {"error": repr(exc)}
        return value if isinstance(value, dict) else None
