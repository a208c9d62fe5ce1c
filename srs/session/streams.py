"""The streams of one recording as the media layer sees them, and the events that change them.

``StreamBook`` turns each negotiation (and each metadata change) into ``StreamOpened`` /
``StreamChanged`` / ``StreamClosed`` by diffing against what was last emitted, assigns
mixing channels in the order streams first appear, and keeps hold/resume times.
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

MappingConfidence = Literal["metadata", "fallback"]


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


class StreamBook:
    def __init__(self, recording_id: str, link: MetadataLink) -> None:
        self.recording_id = recording_id
        self._link = link
        self.records: dict[str, StreamRecord] = {}
        self.events: list[dict[str, object]] = []
        self.mapping_confidence: MappingConfidence | None = None

    @property
    def open_keys(self) -> list[str]:
        return [key for key, record in self.records.items() if record.open]

    def apply(self, streams: tuple[NegotiatedStream, ...], now: float) -> list[MediaEvent]:
        """A new negotiation: open, change and close streams to match it."""
        out: list[MediaEvent] = []
        accepted = [s for s in streams if s.accepted]
        accepted_keys = {s.key for s in accepted}
        for key in self.open_keys:
            if key not in accepted_keys:
                out.append(self._close(key, now))
        opened: list[str] = []
        for stream in accepted:
            record = self.records.get(stream.key)
            if record is not None and record.open:
                record.negotiated = stream
                continue
            channel = record.channel if record is not None else len(self.records)
            self.records[stream.key] = StreamRecord(
                stream.key, stream.label, stream.media, channel, stream, stream.spec(), True, now
            )
            opened.append(stream.key)
        participants = self._participants()
        for key in opened:
            record = self.records[key]
            record.spec = _spec(record.negotiated, participants.get(key))
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
            spec = _spec(record.negotiated, participants.get(record.key))
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
        if not mapped and not link.has_send_associations:
            audio = [r for r in open_records if r.media.lower() == "audio"]
            for record, participant in zip(audio, link.participants(), strict=False):
                mapped[record.key] = participant
                confidences.add("fallback")
        if "fallback" in confidences:
            self.mapping_confidence = "fallback"
        elif confidences:
            self.mapping_confidence = "metadata"
        else:
            self.mapping_confidence = None
        return mapped


def _spec(stream: NegotiatedStream, participant: ParticipantInfo | None) -> StreamSpec:
    spec = stream.spec()
    if participant is None:
        return spec
    return replace(
        spec,
        participant_id=participant.participant_id,
        participant_name=participant.name,
        participant_aor=participant.aor,
    )
