"""The streams of one recording as the media layer sees them, and the events that change them.

``StreamBook`` turns each negotiation (and each metadata change) into ``StreamOpened`` /
``StreamChanged`` / ``StreamClosed`` by diffing against what was last emitted, assigns
mixing channels in the order streams first appear, and keeps hold/resume times.

A book for one leg of a multi-leg group (``LegPlacement``) names its streams after the leg
and puts them all on the leg's channel, so that several dialogs share one spool directory.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Literal

from srs.sdp.answer import NegotiatedStream
from srs.session.metadata_link import MetadataLink, ParticipantInfo
from srs.session.plan import (
    MediaEvent,
    StreamChanged,
    StreamClosed,
    StreamOpened,
    StreamSpec,
)

MappingConfidence = Literal["metadata", "fallback", "leg"]


@dataclass
class StreamRecord:
    key: str
    label: str | None
    media: str
    channel: int
    negotiated: NegotiatedStream
    spec: StreamSpec
    open: bool = True
    opened_at: float = 0.0
    closed_at: float | None = None

    def to_json(self) -> dict[str, object]:
        spec = self.spec
        return {
            "key": self.key,
            "label": self.label,
            "index": spec.index,
            "media": self.media,
            "spool": f"{self.key}.spool",
            "participant_id": spec.participant_id,
            "participant_name": spec.participant_name,
            "participant_aor": spec.participant_aor,
            "channel": self.channel,
            "active": spec.active,
            "open": self.open,
            "opened_at": self.opened_at,
            "closed_at": self.closed_at,
            "local_rtp_port": spec.local_rtp_port,
            "remote_rtp": list(spec.remote_rtp) if spec.remote_rtp else None,
            "codecs": [asdict(c) for c in spec.codecs],
            "telephone_event_pt": spec.telephone_event_pt,
            "comfort_noise_pt": spec.comfort_noise_pt,
            "srtp": spec.srtp is not None,
        }


@dataclass(frozen=True)
class LegPlacement:
    """Where one leg of a group goes: stream key ``name`` (``"<name>-<index>"`` when the leg
    has several audio m-lines, and for non-audio ones) on output ``channel``; ``sender`` is
    who the leg carries when no metadata says so (CUCM forks have none)."""

    name: str
    channel: int
    sender: ParticipantInfo | None = None


class StreamBook:
    def __init__(
        self, recording_id: str, link: MetadataLink, leg: LegPlacement | None = None
    ) -> None:
        self.recording_id = recording_id
        self._link = link
        self._leg = leg
        self._keys: dict[str, str] = {}  # negotiated stream key -> our key (legs only)
        self.records: dict[str, StreamRecord] = {}
        self.events: list[dict[str, object]] = []
        self.mapping_confidence: MappingConfidence | None = None

    def _key(self, stream: NegotiatedStream, audio_count: int) -> str:
        """The stream's key in the recording (the leg's name for a grouped leg)."""
        leg = self._leg
        if leg is None:
            return stream.key
        key = self._keys.get(stream.key)
        if key is None:
            taken = set(self._keys.values())
            single = stream.media.lower() == "audio" and audio_count == 1
            key = leg.name if single and leg.name not in taken else f"{leg.name}-{stream.index}"
            self._keys[stream.key] = key
        return key

    @property
    def open_keys(self) -> list[str]:
        return [key for key, record in self.records.items() if record.open]

    def apply(self, streams: tuple[NegotiatedStream, ...], now: float) -> list[MediaEvent]:
        """A new negotiation: open, change and close streams to match it."""
        out: list[MediaEvent] = []
        accepted = [s for s in streams if s.accepted]
        audio_count = sum(1 for s in accepted if s.media.lower() == "audio")
        keyed = [(self._key(s, audio_count), s) for s in accepted]
        accepted_keys = {key for key, _ in keyed}
        for key in self.open_keys:
            if key not in accepted_keys:
                out.append(self._close(key, now))
        opened: list[str] = []
        for key, stream in keyed:
            record = self.records.get(key)
            if record is not None and record.open:
                record.negotiated = stream
                continue
            if self._leg is not None:
                channel = self._leg.channel
            else:
                channel = record.channel if record is not None else len(self.records)
            spec = replace(stream.spec(), key=key)
            self.records[key] = StreamRecord(
                key, stream.label, stream.media, channel, stream, spec, True, now
            )
            opened.append(key)
        participants = self._participants()
        for key in opened:
            record = self.records[key]
            record.spec = _spec(record.key, record.negotiated, participants.get(key))
            out.append(StreamOpened(self.recording_id, record.spec))
        out += self._diff(participants, now, skip=set(opened))
        return out

    def remap(self, now: float) -> list[MediaEvent]:
        """Metadata changed: recompute participants of open streams, emit what changed."""
        return self._diff(self._participants(), now, skip=set())

    def _diff(
        self, participants: dict[str, ParticipantInfo], now: float, skip: set[str]
    ) -> list[MediaEvent]:
        out: list[MediaEvent] = []
        for record in self.records.values():
            if not record.open or record.key in skip:
                continue
            spec = _spec(record.key, record.negotiated, participants.get(record.key))
            if spec == record.spec:
                continue
            if spec.active != record.spec.active:
                self.events.append(
                    {"event": "resume" if spec.active else "hold", "key": record.key, "at": now}
                )
            record.spec = spec
            out.append(StreamChanged(self.recording_id, spec))
        return out

    def close_all(self, now: float) -> list[MediaEvent]:
        return [self._close(key, now) for key in self.open_keys]

    def _close(self, key: str, now: float) -> StreamClosed:
        record = self.records[key]
        record.open = False
        record.closed_at = now
        return StreamClosed(self.recording_id, key)

    def _participants(self) -> dict[str, ParticipantInfo]:
        """Stream key → sending participant.

        The metadata's word first (by SDP label).  When it maps no stream and states no
        sender at all (OpenSIPS, NetSapiens, labels that match nothing), participants in
        document order are paired with audio streams in SDP order, flagged ``fallback``.
        """
        link = self._link
        open_records = sorted(
            (r for r in self.records.values() if r.open), key=lambda r: r.negotiated.index
        )
        mapped: dict[str, ParticipantInfo] = {}
        confidences: set[str] = set()
        for record in open_records:
            found = link.sender(record.label) if record.label is not None else None
            if found is not None:
                mapped[record.key] = found[0]
                confidences.add(found[1])
        audio = [r for r in open_records if r.media.lower() == "audio"]
        if not mapped and not link.has_send_associations:
            for record, participant in zip(audio, link.participants(), strict=False):
                mapped[record.key] = participant
                confidences.add("fallback")
        sender = self._leg.sender if self._leg is not None else None
        if not mapped and sender is not None:
            for record in audio:
                mapped[record.key] = sender
            confidences.add("leg")
        if "fallback" in confidences:
            self.mapping_confidence = "fallback"
        elif "leg" in confidences:
            self.mapping_confidence = "leg"
        elif confidences:
            self.mapping_confidence = "metadata"
        else:
            self.mapping_confidence = None
        return mapped


def _spec(key: str, stream: NegotiatedStream, participant: ParticipantInfo | None) -> StreamSpec:
    spec = replace(stream.spec(), key=key)
    if participant is None:
        return spec
    return replace(
        spec,
        participant_id=participant.participant_id,
        participant_name=participant.name,
        participant_aor=participant.aor,
    )
