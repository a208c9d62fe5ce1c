"""What the pages show, computed from storage rows: plain dataclasses the templates read.

Kept apart from the templates so that channel labelling, DTMF placement and the choice of
a browser-playable format are tested as Python, not scraped out of HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from srs.storage import Recording, RecordingRecord
from srs.storage.models import RecordingAnnotation

#: Stored formats a browser's <audio> plays as they are; G.711 WAV is transcoded to PCM.
BROWSER_FORMATS = frozenset({"wav", "ogg"})
DOWNLOAD_FORMATS = (
    ("original", "Stored file"),
    ("wav", "WAV PCM"),
    ("wav-pcmu", "WAV µ-law"),
    ("wav-pcma", "WAV A-law"),
    ("ogg", "Ogg/Opus"),
    ("mp3", "MP3"),
)
CHANNEL_FORMATS = (("wav", "WAV"), ("mp3", "MP3"))
WAVE_WIDTH, WAVE_HEIGHT = 1200, 160


@dataclass(frozen=True)
class ChannelView:
    channel: int
    label: str  # who is heard on it: participant name, number or AOR
    detail: str  # the other identifiers, stream label and codec
    streams: list[str]


@dataclass(frozen=True)
class DtmfMarker:
    digit: str
    start: float  # seconds from the file start
    channel: int | None
    left: float  # percent of the waveform width


@dataclass
class PlayerView:
    """The player page (and the embed page, with other URLs)."""

    id: str
    title: str
    call_id: str
    started_at: datetime | None
    duration: float
    direction: str | None
    completeness: float | None
    format: str
    channels: list[ChannelView]
    dtmf: list[DtmfMarker]
    audio_url: str
    waveform_url: str
    notes: str | None = None
    tags: list[str] = field(default_factory=list)
    flag: int = 0
    agent_id: str | None = None
    agent_name: str | None = None
    client_id: str | None = None
    campaign_id: str | None = None

    @property
    def agent(self) -> str:
        """ "Name (id)", or whichever of the two is known."""
        if self.agent_name and self.agent_id:
            return f"{self.agent_name} ({self.agent_id})"
        return self.agent_name or self.agent_id or ""


def party(number: str | None, name: str | None, aor: str | None) -> str:
    """A person as one short string: "Name (number)", or whatever is known."""
    ident = number or aor
    if name and ident:
        return f"{name} ({ident})"
    return name or ident or "unknown"


def playable_query(stored_format: str) -> str:
    """Query string (leading ``&`` or empty) that makes the audio URL browser-playable."""
    return "" if stored_format in BROWSER_FORMATS else "&format=wav"


def channel_views(record: RecordingRecord) -> list[ChannelView]:
    """One entry per channel of the first file, labelled by whoever its streams carry."""
    row = record.recording
    people = {p.participant_id: p for p in record.participants}
    count = max(row.channels, 1)
    views = []
    for channel in range(count):
        streams = [s for s in record.streams if s.channel == channel]
        owners = [people[s.participant_id] for s in streams if s.participant_id in people]
        owners += [p for p in record.participants if p.channel == channel and p not in owners]
        if owners:
            who = owners[0]
            label = who.name or who.number or who.aor or who.participant_id
            extra = [x for x in (who.number, who.aor) if x and x != label]
        else:
            label, extra = f"Channel {channel + 1}", []
        for stream in streams:
            extra.append(
                f"stream {stream.label or stream.key}"
                + (f" {stream.codec}" if stream.codec else "")
            )
        views.append(ChannelView(channel, label, " · ".join(extra), [s.key for s in streams]))
    return views


def dtmf_markers(record: RecordingRecord) -> list[DtmfMarker]:
    """DTMF digits placed on the waveform (entries without a time are skipped).

    Finalize stores a digit's time as ``t`` (seconds from the file start); ``start`` is
    accepted too, as older rows and the storage examples use it."""
    row = record.recording
    channel_of = {s.key: s.channel for s in record.streams}
    markers = []
    for item in row.dtmf:
        if not isinstance(item, dict):
            continue
        start = item.get("t", item.get("start"))
        digit = item.get("digit") or item.get("event")
        if not isinstance(start, int | float) or isinstance(start, bool) or digit is None:
            continue
        left = 100.0 * start / row.duration if row.duration > 0 else 0.0
        markers.append(
            DtmfMarker(
                str(digit),
                float(start),
                channel_of.get(str(item.get("stream"))),
                min(max(left, 0.0), 100.0),
            )
        )
    return sorted(markers, key=lambda m: m.start)


def player_view(
    record: RecordingRecord,
    annotation: RecordingAnnotation | None,
    *,
    media_base: str,
    query: str = "",
) -> PlayerView:
    """``media_base`` is where ``audio``/``waveform.png`` live (API or signed share
    prefix); ``query`` what every media URL carries (a link's ``exp=…&sig=…``);
    ``annotation`` brings notes, tags, flag and call-centre fields (``None`` on the embed
    page: they stay private)."""
    row = record.recording
    notes = annotation.notes if annotation is not None else None
    tags = [str(t) for t in annotation.tags] if annotation is not None else []
    private: dict[str, Any] = {}
    if annotation is not None:
        private = {
            "flag": annotation.flag,
            "agent_id": annotation.agent_id,
            "agent_name": annotation.agent_name,
            "client_id": annotation.client_id,
            "campaign_id": annotation.campaign_id,
        }
    sep = "?" + (query + "&" if query else "")
    playable = playable_query(row.format).lstrip("&")
    audio_query = "&".join(x for x in (query, playable) if x)
    return PlayerView(
        id=row.id,
        title=f"{party(row.caller_number, row.caller_name, row.caller_aor)} → "
        f"{party(row.callee_number, row.callee_name, row.callee_aor)}",
        call_id=row.call_id,
        started_at=row.started_at,
        duration=row.duration,
        direction=row.direction,
        completeness=row.completeness,
        format=row.format,
        channels=channel_views(record),
        dtmf=dtmf_markers(record),
        audio_url=f"{media_base}/audio" + (f"?{audio_query}" if audio_query else ""),
        waveform_url=f"{media_base}/waveform.png{sep}width={WAVE_WIDTH}&height={WAVE_HEIGHT}",
        notes=notes,
        tags=tags,
        **private,
    )


@dataclass(frozen=True)
class SearchRow:
    id: str
    started_at: datetime | None
    duration: float
    caller: str
    callee: str
    direction: str | None
    call_id: str
    tags: list[str]


def search_row(row: Recording, annotation: RecordingAnnotation | None) -> SearchRow:
    return SearchRow(
        row.id,
        row.started_at,
        row.duration,
        party(row.caller_number, row.caller_name, row.caller_aor),
        party(row.callee_number, row.callee_name, row.callee_aor),
        row.direction,
        row.call_id,
        [str(t) for t in annotation.tags] if annotation is not None else [],
    )
