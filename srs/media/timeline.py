"""Alignment: RTP timestamps → recording time, silence intervals, jitter.

Every sub-stream (see ``srs.media.reorder``) is a run of packets whose timestamps advance
with the sender's sampling clock.  Its packets sit at ``anchor + ts_offset / rate``:

- ``anchor`` is the smallest ``arrival - ts_offset / rate`` over the first packets: the
  least-delayed packet defines when the run started, so one late first packet does not
  shift a whole channel;
- ``rate`` is the nominal clock, or the sender's real clock measured from two RTCP
  sender reports far enough apart (RFC 3550 §6.4.1 NTP↔RTP pairs), which keeps long calls
  from drifting against the other channel.

Arrival times are wall-clock epoch seconds as capture stamps them.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from srs.media.rtp import ts_diff

NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01
ANCHOR_PROBE = 50  # packets looked at to find the least-delayed one
_SR = struct.Struct("!IIIII")  # ssrc, ntp msw, ntp lsw, rtp ts, packet count (+ octets)


@dataclass(frozen=True, slots=True)
class SenderReport:
    ssrc: int
    ntp: float  # seconds since 1900
    rtp_ts: int
    arrival: float


def parse_sender_reports(data: bytes, arrival: float = 0.0) -> list[SenderReport]:
    """Every SR in a (compound) RTCP packet; parsing stops quietly at malformed input,
    since an RTCP defect must not cost the recording."""
    reports = []
    offset = 0
    while offset + 4 <= len(data):
        b0, pt, length = struct.unpack_from("!BBH", data, offset)
        end = offset + 4 * (length + 1)
        if b0 >> 6 != 2 or end > len(data):
            break
        if pt == 200 and end - offset >= 4 + _SR.size + 4:
            ssrc, msw, lsw, rtp_ts, _ = _SR.unpack_from(data, offset + 4)
            reports.append(SenderReport(ssrc, msw + lsw / 2**32, rtp_ts, arrival))
        offset = end
    return reports


def clock_rate_from_reports(
    reports: Sequence[SenderReport],
    nominal: int,
    *,
    min_span: float = 10.0,
    tolerance: float = 0.005,
) -> float:
    """The sender's real RTP clock rate from its first and last SR, when they are
    ``min_span`` seconds apart and within ``tolerance`` of ``nominal``; else ``nominal``
    (a wrong NTP clock must not distort the audio)."""
    if len(reports) < 2:
        return float(nominal)
    first, last = reports[0], reports[-1]
    span = last.ntp - first.ntp
    if span < min_span:
        return float(nominal)
    ticks = 0
    prev = first.rtp_ts
    for report in reports[1:]:
        ticks += ts_diff(report.rtp_ts, prev)
        prev = report.rtp_ts
    rate = ticks / span
    if abs(rate / nominal - 1.0) > tolerance:
        return float(nominal)
    return rate


def substream_anchor(
    arrivals: NDArray[np.float64],
    ts_offsets: NDArray[np.int64],
    rate: float,
    probe: int = ANCHOR_PROBE,
) -> float:
    """Recording time of ``ts_offset == 0`` (see module docstring)."""
    head = slice(0, probe)
    return float(np.min(arrivals[head] - ts_offsets[head] / rate))


def interarrival_jitter(
    arrivals: NDArray[np.float64], ts_offsets: NDArray[np.int64], rate: float
) -> NDArray[np.float64]:
    """RFC 3550 §6.4.1 running jitter estimate (seconds) after each packet, taken in
    arrival order: ``J += (|D| - J) / 16``."""
    if len(arrivals) < 2:
        return np.zeros(len(arrivals))
    order = np.argsort(arrivals, kind="stable")
    transit = arrivals[order] - ts_offsets[order] / rate
    deltas = np.abs(np.diff(transit))
    out = np.empty(len(deltas))
    jitter = 0.0
    for i, d in enumerate(deltas.tolist()):
        jitter += (d - jitter) / 16.0
        out[i] = jitter
    return out


# --- silence intervals ------------------------------------------------------------------

INTERVAL_EVENTS = {  # start event -> (kind, end event)
    "hold": ("hold", "resume"),
    "pause": ("pause", "resume_pause"),
    "mute": ("mute", "unmute"),
}
_END_EVENTS = {end: kind for kind, end in INTERVAL_EVENTS.values()}


@dataclass(frozen=True, slots=True)
class Interval:
    """A span that must be silence in the file (hold, recording pause, mute)."""

    kind: str
    start: float
    end: float
    stream: str | None  # None: every stream (a recording-level pause)

    def to_json(self, t0: float) -> dict[str, object]:
        return {
            "kind": self.kind,
            "stream": self.stream,
            "start": round(self.start - t0, 3),
            "end": round(self.end - t0, 3),
        }


def intervals_from_events(
    events: Iterable[tuple[float, str]], stream: str | None, end: float
) -> list[Interval]:
    """Pair start/end events (``hold``/``resume`` ...) of one spool; an interval still
    open at the end lasts until ``end``.  Repeated starts extend the open interval."""
    opened: dict[str, float] = {}
    out = []
    for at, name in sorted(events, key=lambda e: e[0]):
        if name in INTERVAL_EVENTS:
            opened.setdefault(INTERVAL_EVENTS[name][0], at)
        elif name in _END_EVENTS and _END_EVENTS[name] in opened:
            kind = _END_EVENTS[name]
            out.append(Interval(kind, opened.pop(kind), at, stream))
    out += [Interval(kind, start, max(start, end), stream) for kind, start in opened.items()]
    return sorted(out, key=lambda i: (i.start, i.kind))


def _time_value(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        from datetime import datetime

        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def session_time(value: object) -> float | None:
    """``started_at``/``ended_at`` of session.json: epoch seconds or ISO 8601."""
    return _time_value(value)


def intervals_from_session(events: object, end: float) -> list[Interval]:
    """``session.json`` ``events``: either point events ``{"event": "hold", "at": t,
    "stream": key}`` or ready intervals ``{"kind": "hold", "start": t, "end": t}``.
    Unknown shapes are skipped: the spool events are the primary source."""
    if not isinstance(events, list):
        return []
    points: dict[str | None, list[tuple[float, str]]] = {}
    out = []
    for item in events:
        if not isinstance(item, dict):
            continue
        stream = item.get("stream", item.get("key"))
        stream = stream if isinstance(stream, str) else None
        kind = item.get("kind", item.get("type"))
        start, stop = _time_value(item.get("start")), _time_value(item.get("end"))
        if isinstance(kind, str) and kind in INTERVAL_EVENTS and start is not None:
            out.append(Interval(kind, start, stop if stop is not None else end, stream))
            continue
        name = item.get("event", kind)
        at = _time_value(item.get("at", item.get("time", item.get("now"))))
        if isinstance(name, str) and at is not None:
            points.setdefault(stream, []).append((at, name))
    for stream, items in points.items():
        out += intervals_from_events(items, stream, end)
    return out


def merge_intervals(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
