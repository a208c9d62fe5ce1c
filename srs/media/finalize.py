"""Finalize: a recording's spool directory → aligned audio files + the figures of its row.

Batch work, run by the finalize worker pool once capture has closed a recording (or by
recovery after a crash).  Per stream: read the spool, reorder (``ReorderBuffer``), decode
(codec registry), place every packet on the common timeline (``timeline``), then silence
hold/pause/mute spans.  Per recording: pick the output rate, lay streams out as channels,
write the files atomically and hash them.

Placement is vectorised: each decoder's output is one concatenated array, copied into a
numpy track per stream one slice per run of back-to-back packets, and stateless codecs
(G.711) decode a whole stream in one table lookup; so a one-hour stereo G.711 call costs
a Python loop over packets (reorder) and none over samples: about 3 s on one core.

The common stream (one SSRC, sequence numbers that only go up, one clock, no codec change)
skips even that loop: ``_read_in_order`` checks those conditions on numpy arrays of the
headers and, when they hold, yields what ``ReorderBuffer`` would have (``_Columns``),
which a one-codec G.711 stream decodes and places without one ``Packet`` object.  Any
other stream takes the general path.  ``FAST_PATH = False`` forces the general path: the
tests compare both, byte for byte.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np
from numpy.typing import NDArray

from srs.media.codecs import (
    STATIC_PAYLOAD_TYPES,
    CodecError,
    CodecParams,
    Decoder,
    create_decoder,
    g711,
)
from srs.media.oggopus import MIN_SECONDS, write_ogg_opus
from srs.media.reorder import MAX_DROPOUT, Gap, Packet, ReorderBuffer, ReorderStats
from srs.media.rtp import RtpError, is_rtcp, parse_dtmf, payload_bounds, peek_header
from srs.media.spool import EVENT, RTCP, RTP, SpoolError, SpoolRecord, iter_records_spans
from srs.media.timeline import (
    Interval,
    SenderReport,
    clock_rate_from_reports,
    interarrival_jitter,
    intervals_from_events,
    intervals_from_session,
    merge_intervals,
    parse_sender_reports,
    session_time,
    substream_anchor,
)
from srs.media.wavfile import WrittenFile, write_wav, write_wav_g711

OutputFormat = Literal["wav", "wav-g711", "ogg"]
Layout = Literal["stereo", "multichannel", "separate", "mixed"]
GapFill = Literal["silence", "noise"]
Span = Literal["media", "session"]

NON_AUDIO = frozenset({"cn", "telephone-event"})
DTMF_DIGITS = "0123456789*#ABCD"
_NOISE_AMPLITUDE = 30  # about -60 dBFS: audible as "something was lost" when turned up
_FIXED_HEADER = struct.Struct("!BHII")  # byte 1 (M, PT), seq, ts, ssrc
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")

Samples = NDArray[np.int16]


#: False forces the general per-packet path everywhere (the reference the fast paths
#: are tested against: both must give byte-identical files and results).
FAST_PATH = True

#: Seconds a packet's timestamp may place it away from its arrival before it is placed
#: at its arrival instead (see ``_decode``).
_MAX_PLACEMENT_ERROR = 60.0


class FinalizeError(Exception):
    """The spool directory cannot be turned into a recording (no session, bad config)."""


@dataclass(frozen=True)
class FinalizeConfig:
    """How to write the files.

    ``sample_rate`` None picks 8 kHz, or 16 kHz when any stream used a wideband codec.
    ``wav-g711`` keeps G.711 bytes when every stream used the same law at 8 kHz, and
    falls back to PCM16 WAV (with a warning) otherwise.  ``gap_fill`` says what replaces
    lost packets: digital silence, or faint noise that marks the loss.  ``span`` "media"
    cuts the file from the first to the last packet; "session" from ``started_at`` to
    ``ended_at`` when session.json has them.
    """

    format: OutputFormat = "wav"
    layout: Layout = "stereo"
    sample_rate: int | None = None
    gap_fill: GapFill = "silence"
    span: Span = "media"
    window: int = 64
    max_skew: float = 1.0
    opus_bitrate: int = 32000
    basename: str | None = None

    def __post_init__(self) -> None:
        if self.format not in ("wav", "wav-g711", "ogg"):
            raise FinalizeError(f"unknown output format {self.format!r} (wav, wav-g711, ogg)")
        if self.layout not in ("stereo", "multichannel", "separate", "mixed"):
            raise FinalizeError(
                f"unknown layout {self.layout!r} (stereo, multichannel, separate, mixed)"
            )
        if self.gap_fill not in ("silence", "noise"):
            raise FinalizeError(f"unknown gap fill {self.gap_fill!r} (silence, noise)")
        if self.span not in ("media", "session"):
            raise FinalizeError(f"unknown span {self.span!r} (media, session)")
        if self.sample_rate is not None and not 8000 <= self.sample_rate <= 48000:
            raise FinalizeError(f"sample rate {self.sample_rate} outside 8000..48000")


@dataclass
class FileResult:
    path: str
    format: str  # "wav" (PCM16), "wav-pcmu", "wav-pcma", "ogg"
    channels: int
    sample_rate: int
    duration: float
    size: int
    sha256: str
    streams: list[str]  # stream keys, in channel order


@dataclass
class StreamResult:
    key: str
    label: str | None
    participant: dict[str, str | None]
    channel: int  # channel index in its file
    codecs: list[str]
    packets_received: int
    expected: int
    lost: int
    duplicates: int
    late: int
    strays: int
    reordered: int
    malformed: int
    undecodable: int
    jitter_ms: float
    jitter_max_ms: float
    gaps: list[list[float]]
    ssrcs: list[int]
    dtmf: list[dict[str, Any]]
    completeness: float
    first_packet: float | None  # seconds from the file start
    last_packet: float | None


@dataclass
class FinalizeResult:
    """Everything a recording row needs.  ``latency`` is filled in by the caller, who
    knows when the call ended."""

    recording_id: str
    call_id: str | None
    files: list[FileResult]
    duration: float
    sample_rate: int
    streams: list[StreamResult]
    completeness: float
    recovered: bool
    intervals: list[dict[str, Any]]
    t0: float  # epoch seconds of the first sample
    started_at: float | None
    ended_at: float | None
    latency: float | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A plain dict (``json.dumps``-able) with every field, in field order, sharing no
        list or dict with ``self``: what ``dataclasses.asdict`` gives, built directly (its
        generic deep copy was a visible share of a finalize).  The interval and DTMF
        entries hold scalars only, so one ``dict()`` copies them."""
        return {
            "recording_id": self.recording_id,
            "call_id": self.call_id,
            "files": [_file_json(f) for f in self.files],
            "duration": self.duration,
            "sample_rate": self.sample_rate,
            "streams": [_stream_json(s) for s in self.streams],
            "completeness": self.completeness,
            "recovered": self.recovered,
            "intervals": [dict(i) for i in self.intervals],
            "t0": self.t0,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "latency": self.latency,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FinalizeResult:
        values = dict(data)
        values["files"] = [FileResult(**f) for f in values["files"]]
        values["streams"] = [StreamResult(**s) for s in values["streams"]]
        return cls(**values)


def _file_json(f: FileResult) -> dict[str, Any]:
    return {
        "path": f.path,
        "format": f.format,
        "channels": f.channels,
        "sample_rate": f.sample_rate,
        "duration": f.duration,
        "size": f.size,
        "sha256": f.sha256,
        "streams": list(f.streams),
    }


def _stream_json(s: StreamResult) -> dict[str, Any]:
    return {
        "key": s.key,
        "label": s.label,
        "participant": dict(s.participant),
        "channel": s.channel,
        "codecs": list(s.codecs),
        "packets_received": s.packets_received,
        "expected": s.expected,
        "lost": s.lost,
        "duplicates": s.duplicates,
        "late": s.late,
        "strays": s.strays,
        "reordered": s.reordered,
        "malformed": s.malformed,
        "undecodable": s.undecodable,
        "jitter_ms": s.jitter_ms,
        "jitter_max_ms": s.jitter_max_ms,
        "gaps": [list(g) for g in s.gaps],
        "ssrcs": list(s.ssrcs),
        "dtmf": [dict(d) for d in s.dtmf],
        "completeness": s.completeness,
        "first_packet": s.first_packet,
        "last_packet": s.last_packet,
    }


# --- reading a stream -------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """Decoded audio of one decoder: ``pcm`` is the concatenation, in packet order, of
    the ``sizes[k]`` samples decoded from packet ``index[k]``."""

    rate: int
    index: NDArray[np.int64]
    sizes: NDArray[np.int64]
    pcm: Samples


@dataclass(frozen=True)
class _Columns:
    """What ``_read_in_order`` read, one array entry per packet: enough to decode and
    place a one-codec stream without building a ``Packet`` each (``packets()`` builds
    them when the general decode is needed).  ``starts``/``sizes`` locate the payloads
    in ``data``; every packet is in sub-stream 0 and not reordered."""

    data: bytes
    starts: NDArray[np.int64]
    sizes: NDArray[np.int64]
    seqs: NDArray[np.int64]
    stamps: NDArray[np.int64]
    pts: NDArray[np.int64]
    markers: NDArray[np.bool_]
    exts: NDArray[np.int64]
    offsets: NDArray[np.int64]
    arrivals: NDArray[np.float64]
    ssrc: int
    tag: int

    def packets(self) -> list[Packet]:
        data, ssrc, tag = self.data, self.ssrc, self.tag
        return [
            Packet(seq, ts, ssrc, at, data[lo:hi], marker, pt, tag, ext, 0, off, False)
            for seq, ts, at, lo, hi, marker, pt, ext, off in zip(
                self.seqs.tolist(),
                self.stamps.tolist(),
                self.arrivals.tolist(),
                self.starts.tolist(),
                (self.starts + self.sizes).tolist(),
                self.markers.tolist(),
                self.pts.tolist(),
                self.exts.tolist(),
                self.offsets.tolist(),
                strict=True,
            )
        ]

    def payload(self) -> bytes:
        """Every payload, concatenated in packet order (slices and one join: ten times
        faster than a numpy gather of the bytes)."""
        data = self.data
        ends = (self.starts + self.sizes).tolist()
        return b"".join([data[lo:hi] for lo, hi in zip(self.starts.tolist(), ends, strict=True)])


@dataclass
class _Stream:
    key: str
    label: str | None
    index: int
    channel: int
    participant: dict[str, str | None]
    packets: list[Packet] = field(default_factory=list)
    gap_before: list[int] = field(default_factory=list)  # index of the packet after a gap
    generations: list[dict[int, CodecParams]] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)
    reports: dict[int, list[SenderReport]] = field(default_factory=dict)
    stats: ReorderStats = field(default_factory=ReorderStats)
    malformed: int = 0
    undecodable: int = 0
    last_arrival: float | None = None
    first_arrival: float | None = None
    columns: _Columns | None = None  # set instead of ``packets`` by ``_read_in_order``
    # filled by _decode
    offsets: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    times: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    anchors: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    clocks: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    blocks: list[_Block] = field(default_factory=list)
    durations: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    codecs: list[str] = field(default_factory=list)
    dtmf: list[dict[str, Any]] = field(default_factory=list)
    jitter: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))


def _params_generation(event: dict[str, object]) -> dict[int, CodecParams]:
    table = dict(STATIC_PAYLOAD_TYPES)
    pts = event.get("payload_types")
    if isinstance(pts, dict):
        for pt, spec in pts.items():
            if not isinstance(spec, dict) or not str(pt).isdigit():
                continue
            try:
                rate = int(spec.get("clock_rate") or 8000)
                channels = int(spec.get("channels") or 1)
            except (TypeError, ValueError):
                continue  # a broken entry must not cost the other payload types
            fmtp = spec.get("fmtp")
            table[int(pt)] = CodecParams(
                str(spec.get("encoding", "")).lower(),
                rate if rate > 0 else 8000,
                channels,
                fmtp if isinstance(fmtp, str) else None,
            )
    for key, encoding in (("telephone_event_pt", "telephone-event"), ("comfort_noise_pt", "cn")):
        pt = event.get(key)
        if isinstance(pt, int) and pt not in table:
            table[pt] = CodecParams(encoding, 8000)
    return table


def _audio_rates(table: dict[int, CodecParams]) -> dict[int, int]:
    return {pt: p.clock_rate for pt, p in table.items() if p.encoding not in NON_AUDIO}


def _participant_from(event: dict[str, object]) -> dict[str, str | None]:
    nested = event.get("participant")
    if isinstance(nested, dict):
        return {k: (str(v) if v is not None else None) for k, v in nested.items()}
    return {
        "id": _str_or_none(event.get("participant_id")),
        "name": _str_or_none(event.get("participant_name")),
        "aor": _str_or_none(event.get("participant_aor")),
    }


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _read_stream(stream: _Stream, path: Path, config: FinalizeConfig) -> None:
    buf = ReorderBuffer(config.window, max_skew=config.max_skew)
    stream.generations.append(dict(STATIC_PAYLOAD_TYPES))
    buf.clock_rates = _audio_rates(stream.generations[0])
    try:
        data = path.read_bytes()
        spans = iter_records_spans(data)
    except SpoolError as exc:
        raise FinalizeError(f"{path.name}: {exc}") from None
    if FAST_PATH and _read_in_order(stream, data, spans, buf):
        return

    def collect(items: list[Packet | Gap]) -> None:
        for item in items:
            if isinstance(item, Gap):
                stream.gap_before.append(len(stream.packets))
            else:
                stream.packets.append(item)

    for kind, arrival, begin, end in spans:
        rec_data = data[begin:end]
        if kind == RTP:
            if is_rtcp(rec_data):
                _add_reports(stream, rec_data, arrival)
                continue
            if len(rec_data) > 12 and rec_data[0] == 0x80:  # V=2, no padding/extension/CSRC
                b1, seq, ts, ssrc = _FIXED_HEADER.unpack_from(rec_data, 1)
                payload = rec_data[12:]
            else:
                try:
                    b1, seq, ts, ssrc = _FIXED_HEADER.unpack_from(rec_data, 1)
                    peek_header(rec_data)
                    start, stop = payload_bounds(rec_data)
                except (RtpError, struct.error):
                    stream.malformed += 1
                    continue
                payload = rec_data[start:stop]
            if stream.first_arrival is None:
                stream.first_arrival = arrival
            stream.last_arrival = arrival
            tag = len(stream.generations) - 1
            collect(
                buf.push(
                    seq,
                    ts,
                    ssrc,
                    arrival,
                    payload,
                    bool(b1 & 0x80),
                    payload_type=b1 & 0x7F,
                    tag=tag,
                )
            )
        else:
            _apply_record(stream, buf, kind, arrival, rec_data, _parse_event(kind, rec_data))
    collect(buf.flush())
    stream.stats = buf.stats


def _parse_event(kind: int, data: bytes) -> dict[str, object] | None:
    """An ``EVENT`` record's JSON object, None if it is not one (counted as malformed)."""
    if kind != EVENT:
        return None
    try:
        return SpoolRecord(kind, 0.0, data).event()
    except (ValueError, SpoolError):
        return None


def _apply_record(
    stream: _Stream,
    buf: ReorderBuffer,
    kind: int,
    arrival: float,
    data: bytes,
    event: dict[str, object] | None,
) -> None:
    """Every record but an RTP packet: RTCP (also multiplexed on the RTP port) and events
    (``event`` is the parsed body of an ``EVENT`` record)."""
    if kind == RTP or kind == RTCP:
        _add_reports(stream, data, arrival)
    elif kind == EVENT:
        if event is None:
            stream.malformed += 1
            return
        name = event.get("event")
        if name == "params":
            table = _params_generation(event)
            stream.generations.append(table)
            buf.clock_rates = _audio_rates(table)
            if stream.label is None and isinstance(event.get("label"), str):
                stream.label = str(event["label"])
            if not any(stream.participant.values()):
                stream.participant = _participant_from(event)
        elif isinstance(name, str):
            stream.events.append((arrival, name))


def _be(codes: NDArray[np.uint8], starts: NDArray[np.int64], width: int) -> NDArray[np.int64]:
    """Big-endian unsigned ``width``-byte integers at ``starts`` in ``codes``."""
    value = codes[starts].astype(np.int64)
    for k in range(1, width):
        value = (value << 8) | codes[starts + k]
    return value


def _read_in_order(
    stream: _Stream, data: bytes, spans: list[tuple[int, float, int, int]], buf: ReorderBuffer
) -> bool:
    """The common case without the per-packet reorder machinery: every RTP packet has a
    plain 12-byte header, one SSRC, increasing sequence numbers (holes of at most
    ``MAX_DROPOUT``: loss, but no reordering or duplicate), an audio payload type first
    and then only payload types of that clock or without one (DTMF, comfort noise),
    timestamps that agree with arrival (one sub-stream), and no ``params`` event after
    the first packet.  ``ReorderBuffer`` would release exactly these packets, in
    this order, one ``Gap`` per hole, with these counters; anything else returns False
    with ``stream`` untouched and the caller takes the general path."""
    if not spans:
        return False
    table = np.array(spans, dtype=np.float64)  # exact: offsets < 2**53, arrivals float64
    kinds = table[:, 0]
    starts = table[:, 2].astype(np.int64)
    sizes = table[:, 3].astype(np.int64) - starts
    codes = np.frombuffer(data, dtype=np.uint8)
    second = codes[np.minimum(starts + 1, len(codes) - 1)]
    muxed_rtcp = (sizes >= 2) & (second >= 192) & (second <= 223)  # ``is_rtcp``
    is_packet = (kinds == RTP) & ~muxed_rtcp
    picks = np.flatnonzero(is_packet)
    n = len(picks)
    if not n:
        return False
    first = int(picks[0])
    rates = buf.clock_rates
    rest: list[tuple[int, float, bytes, dict[str, object] | None]] = []
    for i in np.flatnonzero(~is_packet).tolist():
        kind, arrival, begin, end = spans[i]
        body = data[begin:end]
        event = _parse_event(kind, body)
        if event is not None and event.get("event") == "params":
            if i > first:
                return False  # a codec change mid-stream: new tag, new clocks
            rates = _audio_rates(_params_generation(event))
        rest.append((kind, arrival, body, event))
    starts, sizes = starts[picks], sizes[picks]
    if not (sizes > 12).all() or not (codes[starts] == 0x80).all():
        return False  # short, padded, extended, CSRCs or not version 2
    b1 = codes[starts + 1]
    pts = b1 & 0x7F
    rate = rates.get(int(pts[0]))
    if rate is None or any(rates.get(pt, rate) != rate for pt in np.unique(pts).tolist()):
        return False  # the first packet sets the clock; another clock starts a sub-stream
    ssrcs = _be(codes, starts + 8, 4)
    ssrc = int(ssrcs[0])
    seqs = _be(codes, starts + 2, 2)
    steps = (seqs[1:] - seqs[:-1]) & 0xFFFF
    if not (ssrcs == ssrc).all() or not ((steps >= 1) & (steps <= MAX_DROPOUT)).all():
        return False
    stamps = _be(codes, starts + 4, 4)
    arrivals = table[picks, 1]
    offsets = np.zeros(n, dtype=np.int64)
    np.cumsum(((stamps[1:] - stamps[:-1] + 0x80000000) & 0xFFFFFFFF) - 0x80000000, out=offsets[1:])
    skew = offsets[1:] / rate - (arrivals[1:] - arrivals[0])
    if (np.abs(skew) > buf.max_skew).any():
        return False

    for kind, arrival, body, event in rest:
        _apply_record(stream, buf, kind, arrival, body, event)
    first_ext = int(seqs[0]) + 0x10000
    stream.columns = _Columns(
        data=data,
        starts=starts + 12,
        sizes=sizes - 12,
        seqs=seqs,
        stamps=stamps,
        pts=pts.astype(np.int64),
        markers=b1 >= 0x80,
        exts=np.concatenate(([first_ext], np.cumsum(steps) + first_ext)),
        offsets=offsets,
        arrivals=arrivals,
        ssrc=ssrc,
        tag=len(stream.generations) - 1,
    )
    holes = steps - 1
    stream.gap_before = (np.flatnonzero(holes) + 1).tolist()
    lost = int(holes.sum())
    stream.first_arrival = float(arrivals[0])
    stream.last_arrival = float(arrivals[-1])
    stream.stats = ReorderStats(
        pushed=n, released=n, expected=n + lost, lost=lost, substreams=1, ssrcs=[ssrc]
    )
    return True


def _add_reports(stream: _Stream, data: bytes, arrival: float) -> None:
    for report in parse_sender_reports(data, arrival):
        stream.reports.setdefault(report.ssrc, []).append(report)


# --- decoding and timing ----------------------------------------------------------------


def _decode(stream: _Stream) -> None:
    """Decode every packet in order; compute its time and duration; collect DTMF."""
    columns = stream.columns
    if columns is not None:
        stream.columns = None
        if _decode_columns(stream, columns):
            return
        stream.packets = columns.packets()
    n = len(stream.packets)
    durations = np.zeros(n)
    offsets = np.fromiter((p.ts_offset for p in stream.packets), dtype=np.int64, count=n)
    arrivals = np.fromiter((p.arrival for p in stream.packets), dtype=np.float64, count=n)
    substreams = np.fromiter((p.substream for p in stream.packets), dtype=np.int64, count=n)
    is_audio = np.zeros(n, dtype=bool)
    decoders: dict[CodecParams, Decoder | None] = {}
    by_pt: dict[tuple[int, int], tuple[CodecParams | None, Decoder | None]] = {}
    batches: dict[int, tuple[Decoder, list[int]]] = {}
    pieces: dict[int, tuple[int, list[int], list[Samples]]] = {}  # stateful decoders
    params_of: list[CodecParams | None] = []
    codecs: list[str] = []
    packets = stream.packets
    uniform = _uniform_batch(stream) if FAST_PATH else None
    if uniform is not None:  # one batchable audio codec: no per-packet bookkeeping
        only, batch = uniform
        params_of = [only] * n
        is_audio[:] = True
        codecs.append(only.encoding)
        batches[id(batch)] = (batch, list(range(n)))
    for i, packet in enumerate(packets if uniform is None else ()):
        slot = by_pt.get((packet.tag, packet.payload_type))
        if slot is None:
            params = stream.generations[packet.tag].get(packet.payload_type)
            if params is not None and params not in decoders:
                try:
                    decoders[params] = create_decoder(params)
                except CodecError:
                    decoders[params] = None
            slot = by_pt[(packet.tag, packet.payload_type)] = (
                params,
                decoders[params] if params is not None else None,
            )
        params, decoder = slot
        params_of.append(params)
        if params is None or decoder is None:
            stream.undecodable += 1
            continue
        if not decoder.audio:
            continue
        is_audio[i] = True
        if params.encoding not in codecs:
            codecs.append(params.encoding)
        if decoder.batchable:
            batches.setdefault(id(decoder), (decoder, []))[1].append(i)
            continue
        try:
            pcm = decoder.decode(packet.payload)
        except CodecError:
            stream.undecodable += 1
            try:
                pcm = decoder.conceal(decoder.samples_per_packet(packet.payload))
            except CodecError:
                continue
        slot_pieces = pieces.setdefault(id(decoder), (decoder.sample_rate, [], []))
        slot_pieces[1].append(i)
        slot_pieces[2].append(pcm)
        durations[i] = len(pcm) / decoder.sample_rate
    for decoder, indices in batches.values():  # stateless codecs: one call per stream
        payloads = [packets[i].payload for i in indices]
        sizes = np.fromiter(
            (decoder.samples_per_packet(p) for p in payloads), np.int64, len(payloads)
        )
        pcm = decoder.decode(b"".join(payloads))
        index = np.array(indices, dtype=np.int64)
        stream.blocks.append(_Block(decoder.sample_rate, index, sizes, pcm))
        durations[index] = sizes / decoder.sample_rate
    for rate, indices, arrays in pieces.values():
        sizes = np.fromiter((len(a) for a in arrays), np.int64, len(arrays))
        pcm = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int16)
        stream.blocks.append(_Block(rate, np.array(indices, dtype=np.int64), sizes, pcm))
    stream.codecs = codecs

    _place(stream, offsets, arrivals, substreams, is_audio, params_of, lambda i: packets[i].ssrc)
    stream.durations = durations
    if uniform is None or uniform[0].encoding == "telephone-event":
        _collect_dtmf(stream, params_of)


def _place(
    stream: _Stream,
    offsets: NDArray[np.int64],
    arrivals: NDArray[np.float64],
    substreams: NDArray[np.int64],
    is_audio: NDArray[np.bool_],
    params_of: Sequence[CodecParams | None],
    ssrc_at: Callable[[int], int],
) -> None:
    """Sub-stream clocks (nominal clock of the first audio packet, refined by RTCP SRs)
    → every packet's time; and the inter-arrival jitter."""
    n = len(offsets)
    times = np.zeros(n)
    anchors = np.zeros(n)
    clocks = np.ones(n)
    jitter: list[NDArray[np.float64]] = []
    bounds = np.flatnonzero(np.diff(substreams)) + 1
    for lo, hi in zip([0, *bounds.tolist()], [*bounds.tolist(), n], strict=True):
        if lo == hi:
            continue
        audio = np.flatnonzero(is_audio[lo:hi])
        ref = params_of[lo + int(audio[0])] if len(audio) else params_of[lo]
        nominal: int = ref.clock_rate if ref is not None and ref.clock_rate > 0 else 8000
        reports = stream.reports.get(ssrc_at(lo), [])
        clock = clock_rate_from_reports(reports, nominal)
        pick = audio if len(audio) else np.arange(hi - lo)
        seg_arr, seg_off = arrivals[lo:hi], offsets[lo:hi]
        anchor = substream_anchor(seg_arr[pick], seg_off[pick], clock)
        seg_anchor = np.full(hi - lo, anchor)
        # A packet whose timestamp puts it far from when it arrived (garbage, a PT with
        # another clock slipped into the run) is placed at its arrival instead, so one bad
        # packet cannot stretch the file by hours.  Real clock drift stays far below this.
        wild = np.abs(anchor + seg_off / clock - seg_arr) > _MAX_PLACEMENT_ERROR
        if wild.any():
            seg_anchor[wild] = seg_arr[wild] - seg_off[wild] / clock
        times[lo:hi] = seg_anchor + seg_off / clock
        anchors[lo:hi] = seg_anchor
        clocks[lo:hi] = clock
        if len(pick) > 1:
            jitter.append(interarrival_jitter(seg_arr[pick], seg_off[pick], clock))
    stream.offsets = offsets
    stream.times = times
    stream.anchors = anchors
    stream.clocks = clocks
    stream.jitter = np.concatenate(jitter) if jitter else np.zeros(0)


def _decode_columns(stream: _Stream, columns: _Columns) -> bool:
    """``_decode`` of a stream read by ``_read_in_order`` whose packets are all of one
    G.711 payload type: one table lookup, no per-packet work.  False (nothing done) for
    any other stream."""
    pt = int(columns.pts[0])
    if not (columns.pts == pt).all():
        return False
    params = stream.generations[columns.tag].get(pt)
    if params is None:
        return False
    try:
        decoder = create_decoder(params)
    except CodecError:
        return False
    if type(decoder) is not g711.G711Decoder:  # samples_per_packet is the payload size
        return False
    n = len(columns.offsets)
    pcm = decoder.decode(columns.payload())
    stream.blocks.append(_Block(decoder.sample_rate, np.arange(n), columns.sizes, pcm))
    stream.codecs = [params.encoding]
    stream.durations = columns.sizes / decoder.sample_rate
    _place(
        stream,
        columns.offsets,
        columns.arrivals,
        np.zeros(n, dtype=np.int64),
        np.ones(n, dtype=bool),
        [params] * n,
        lambda i: columns.ssrc,
    )
    return True


def _uniform_batch(stream: _Stream) -> tuple[CodecParams, Decoder] | None:
    """The codec and decoder of a stream whose packets all share one codec generation and
    payload type, when that decoder is audio and batchable (G.711); else None."""
    packets = stream.packets
    if not packets or len({(p.tag, p.payload_type) for p in packets}) != 1:
        return None
    params = stream.generations[packets[0].tag].get(packets[0].payload_type)
    if params is None:
        return None
    try:
        decoder = create_decoder(params)
    except CodecError:
        return None
    return (params, decoder) if decoder.audio and decoder.batchable else None


def _collect_dtmf(stream: _Stream, params_of: Sequence[CodecParams | None]) -> None:
    events: dict[tuple[int, int], dict[str, Any]] = {}
    for i, packet in enumerate(stream.packets):
        params = params_of[i]
        if params is None or params.encoding != "telephone-event":
            continue
        try:
            dtmf = parse_dtmf(packet.payload)
        except RtpError:
            stream.malformed += 1
            continue
        key = (packet.substream, packet.ts)
        digit = DTMF_DIGITS[dtmf.event] if dtmf.event < len(DTMF_DIGITS) else str(dtmf.event)
        entry = events.setdefault(key, {"t": float(stream.times[i]), "digit": digit, "ticks": 0})
        entry["ticks"] = max(entry["ticks"], dtmf.duration)
        entry["rate"] = params.clock_rate or 8000
    stream.dtmf = [
        {"t": e["t"], "digit": e["digit"], "duration": e["ticks"] / e["rate"]}
        for e in sorted(events.values(), key=lambda e: e["t"])
    ]


# --- placement --------------------------------------------------------------------------


def _resample(track: Samples, src: int, dst: int) -> Samples:
    if src == dst or not len(track):
        return track
    resampler = av.AudioResampler(format="s16", layout="mono", rate=dst)
    frame = av.AudioFrame.from_ndarray(track[None, :], format="s16", layout="mono")
    frame.sample_rate = src
    parts = [f.to_ndarray()[0] for f in resampler.resample(frame)]
    parts += [f.to_ndarray()[0] for f in resampler.resample(None)]
    return np.concatenate(parts).astype(np.int16, copy=False) if parts else track[:0]


def _render(stream: _Stream, t0: float, length: int, out_rate: int) -> Samples:
    """The stream's channel: every decoded packet at its place, silence elsewhere."""
    channel = np.zeros(length, dtype=np.int32)
    tracks: dict[int, Samples] = {}
    offsets = stream.offsets
    for block in stream.blocks:
        if not len(block.pcm):
            continue
        rate = block.rate
        native_len = int(np.ceil(length * rate / out_rate))
        track = tracks.setdefault(rate, np.zeros(native_len, dtype=np.int16))
        index, sizes = block.index, block.sizes
        # position = sub-stream base (rounded once) + exact tick offset, so that packets
        # of one run stay sample-contiguous whatever the float rounding of the anchor
        base = np.round((stream.anchors[index] - t0) * rate)
        starts = (base + np.round(offsets[index] * (rate / stream.clocks[index]))).astype(np.int64)
        source = np.cumsum(sizes) - sizes
        # runs of packets that follow each other exactly are copied as one slice
        breaks = np.flatnonzero(starts[1:] != starts[:-1] + sizes[:-1]) + 1
        run_lo = [0, *breaks.tolist()]
        run_hi = [*breaks.tolist(), len(index)]
        for lo, hi in zip(run_lo, run_hi, strict=True):
            first, src = int(starts[lo]), int(source[lo])
            count = int(source[hi - 1] + sizes[hi - 1]) - src
            skip = max(0, -first)
            stop = min(native_len, first + count)
            if stop > first + skip:
                track[first + skip : stop] = block.pcm[src + skip : src + stop - first]
    if FAST_PATH and len(tracks) == 1 and out_rate in tracks:
        return tracks[out_rate]  # int16 already, ``length`` long: the sum would not clip
    for rate, track in tracks.items():
        channel += _resample(track, rate, out_rate)[:length]
    return np.clip(channel, -32768, 32767).astype(np.int16)


def _gap_spans(stream: _Stream) -> list[tuple[float, float]]:
    """Absolute (start, end) of each loss: end of the packet before → start of the next."""
    spans = []
    for j in stream.gap_before:
        if j <= 0 or j >= len(stream.times):
            continue
        start = float(stream.times[j - 1] + stream.durations[j - 1])
        end = float(stream.times[j])
        spans.append((start, max(start, end)))
    return spans


def _blank(channel: Samples, spans: Sequence[tuple[float, float]], t0: float, rate: int) -> None:
    for start, end in spans:
        lo = max(0, round((start - t0) * rate))
        hi = min(len(channel), round((end - t0) * rate))
        if hi > lo:
            channel[lo:hi] = 0


def _fill_noise(
    channel: Samples, spans: Sequence[tuple[float, float]], t0: float, rate: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    for start, end in spans:
        lo = max(0, round((start - t0) * rate))
        hi = min(len(channel), round((end - t0) * rate))
        if hi > lo:
            channel[lo:hi] = rng.integers(
                -_NOISE_AMPLITUDE, _NOISE_AMPLITUDE + 1, hi - lo, dtype=np.int16
            )


# --- the recording ----------------------------------------------------------------------


def _load_session(spool_dir: Path) -> dict[str, Any]:
    path = spool_dir / "session.json"
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise FinalizeError(f"{path}: unreadable session.json: {exc}") from None
    if not isinstance(data, dict):
        raise FinalizeError(f"{path}: session.json is not a JSON object")
    return data


def _participant_of(entry: dict[str, Any], participants: object) -> dict[str, str | None]:
    """The stream entry's participant, blanks filled from session.json ``participants``."""
    found = {
        "id": _str_or_none(entry.get("participant_id")),
        "name": _str_or_none(entry.get("participant_name")),
        "aor": _str_or_none(entry.get("participant_aor")),
    }
    if found["id"] is not None and isinstance(participants, list):
        for item in participants:
            if (
                isinstance(item, dict)
                and str(item.get("id", item.get("participant_id"))) == found["id"]
            ):
                for field_name in ("name", "aor"):
                    if found[field_name] is None:
                        found[field_name] = _str_or_none(item.get(field_name))
    return found


def _streams_of(
    spool_dir: Path, session: dict[str, Any], warnings: list[str]
) -> list[tuple[_Stream, Path]]:
    """Streams from session.json; spool files it does not list (a crash before the
    snapshot) are added after them, so no captured audio is left out."""
    out: list[tuple[_Stream, Path]] = []
    listed: set[str] = set()
    entries = session.get("streams")
    for pos, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or not entry.get("key"):
            continue
        key = str(entry["key"])
        spool = spool_dir / str(entry.get("spool") or f"{key}.spool")
        listed.add(spool.name)
        channel = entry.get("channel")
        index = entry.get("index")
        stream = _Stream(
            key=key,
            label=_str_or_none(entry.get("label")),
            index=int(index) if isinstance(index, int) else pos,
            channel=int(channel) if isinstance(channel, int) else pos,
            participant=_participant_of(entry, session.get("participants")),
        )
        if not spool.exists():
            warnings.append(f"stream {key}: spool file {spool.name} is missing")
        out.append((stream, spool))
    for spool in sorted(spool_dir.glob("*.spool")):
        if spool.name not in listed:
            pos = len(out)
            key = spool.stem
            out.append(
                (_Stream(key, None, pos, pos, {"id": None, "name": None, "aor": None}), spool)
            )
    return out


def _output_rate(streams: Sequence[_Stream], config: FinalizeConfig) -> int:
    if config.sample_rate is not None:
        return config.sample_rate
    wide = any(b.rate > 8000 and len(b.pcm) for s in streams for b in s.blocks)
    return 16000 if wide else 8000


def _safe(name: str) -> str:
    return _SAFE_NAME.sub("_", name) or "stream"


def _reported(intervals: list[Interval]) -> list[Interval]:
    """One entry per silenced span: a pause is recording-wide (the capture engine writes it
    into every stream's spool and session.json has it too), holds and mutes per stream;
    overlapping copies of the same span are merged."""
    spans: dict[tuple[str, str | None], list[tuple[float, float]]] = {}
    for item in intervals:
        stream = None if item.kind == "pause" else item.stream
        spans.setdefault((item.kind, stream), []).append((item.start, item.end))
    merged = [
        Interval(kind, start, end, stream)
        for (kind, stream), items in spans.items()
        for start, end in merge_intervals(items)
    ]
    return sorted(merged, key=lambda i: (i.start, i.kind, i.stream or ""))


def finalize_recording(
    spool_dir: Path, out_dir: Path, config: FinalizeConfig | None = None
) -> FinalizeResult:
    """Turn ``spool_dir`` into files under ``out_dir``; see the module docstring."""
    config = config or FinalizeConfig()
    spool_dir, out_dir = Path(spool_dir), Path(out_dir)
    warnings: list[str] = []
    session = _load_session(spool_dir)
    recording_id = str(session.get("recording_id") or spool_dir.name)
    streams_paths = _streams_of(spool_dir, session, warnings)
    if not streams_paths:
        raise FinalizeError(f"{spool_dir}: no streams (no session.json streams, no .spool files)")
    for stream, path in streams_paths:
        if path.exists():
            _read_stream(stream, path, config)
        _decode(stream)
    streams = sorted((s for s, _ in streams_paths), key=lambda s: (s.channel, s.index))

    started_at = session_time(session.get("started_at"))
    ended_at = session_time(session.get("ended_at"))
    recovered = ended_at is None
    firsts = [float(s.times.min()) for s in streams if len(s.times)]
    firsts += [s.first_arrival for s in streams if s.first_arrival is not None]
    ends = [float((s.times + s.durations).max()) for s in streams if len(s.times)]
    last_arrival = max(
        (s.last_arrival for s in streams if s.last_arrival is not None), default=None
    )
    if recovered:
        ended_at = last_arrival
    if config.span == "session" and started_at is not None:
        t0 = started_at
    elif firsts:
        t0 = min(firsts)
    else:
        t0 = started_at or 0.0
    if config.span == "session" and ended_at is not None:
        t_end = ended_at
    elif ends:
        t_end = max(ends)
    else:
        t_end = ended_at if ended_at is not None else t0
    out_rate = _output_rate(streams, config)
    length = max(0, round((t_end - t0) * out_rate))

    intervals: list[Interval] = intervals_from_session(session.get("events"), t_end)
    for stream in streams:
        intervals += intervals_from_events(stream.events, stream.key, t_end)
    pauses = merge_intervals((i.start, i.end) for i in intervals if i.kind == "pause")

    channels: list[Samples] = []
    for pos, stream in enumerate(streams):
        channel = _render(stream, t0, length, out_rate)
        own = [
            (i.start, i.end)
            for i in intervals
            if i.kind != "pause" and i.stream in (None, stream.key)
        ]
        if config.gap_fill == "noise":
            _fill_noise(channel, _gap_spans(stream), t0, out_rate, seed=pos)
        _blank(channel, merge_intervals(own) + pauses, t0, out_rate)
        channels.append(channel)

    out_dir.mkdir(parents=True, exist_ok=True)
    base = _safe(config.basename or recording_id)
    fixed = _group_channels(session)
    if fixed is not None:
        groups, file_channel = _fixed_layout(streams, channels, fixed, base)
    else:
        groups, file_channel = _layout(streams, channels, config.layout, base)
    files = [
        _write(out_dir / name, keys, data, out_rate, streams, config, warnings)
        for name, keys, data in groups
    ]

    results = [_stream_result(s, file_channel[s.key], t0) for s in streams]
    expected = sum(r.expected for r in results)
    released = sum(s.stats.released for s in streams)
    return FinalizeResult(
        recording_id=recording_id,
        call_id=_str_or_none(session.get("call_id")),
        files=files,
        duration=round(length / out_rate, 3),
        sample_rate=out_rate,
        streams=results,
        completeness=round(released / expected, 4) if expected else 1.0,
        recovered=recovered,
        intervals=[i.to_json(t0) for i in _reported(intervals)],
        t0=t0,
        started_at=started_at,
        ended_at=ended_at,
        warnings=warnings,
    )


def _layout(
    streams: Sequence[_Stream], channels: Sequence[Samples], layout: Layout, base: str
) -> tuple[list[tuple[str, list[str], NDArray[np.int16]]], dict[str, int]]:
    """``[(file name, stream keys, samples shaped (frames, channels))]`` and each stream's
    channel index in its file.  Stereo puts streams alternately left/right in
    (channel, index) order; several streams on one side are mixed; one stream is mono."""
    keys = [s.key for s in streams]
    length = len(channels[0]) if channels else 0
    if layout == "separate":
        return (
            [(f"{base}.{_safe(k)}", [k], c[:, None]) for k, c in zip(keys, channels, strict=True)],
            dict.fromkeys(keys, 0),
        )
    if layout == "mixed" or (layout == "stereo" and len(streams) == 1):
        return [(base, keys, _mix(channels, length)[:, None])], dict.fromkeys(keys, 0)
    if layout == "multichannel":
        return [(base, keys, np.stack(channels, axis=1))], {k: i for i, k in enumerate(keys)}
    sides = [_mix(channels[side::2], length) for side in (0, 1)]
    return [(base, keys, np.stack(sides, axis=1))], {k: i % 2 for i, k in enumerate(keys)}


def _group_channels(session: dict[str, Any]) -> int | None:
    """``group.channels`` of a multi-leg recording (docs/plugins.md): one file with that many
    channels whatever ``layout`` says, each stream on its ``channel``, silence for a missing
    leg."""
    group = session.get("group")
    channels = group.get("channels") if isinstance(group, dict) else None
    return channels if isinstance(channels, int) and channels >= 1 else None


def _fixed_layout(
    streams: Sequence[_Stream], channels: Sequence[Samples], count: int, base: str
) -> tuple[list[tuple[str, list[str], NDArray[np.int16]]], dict[str, int]]:
    length = len(channels[0]) if channels else 0
    placed = {s.key: min(max(s.channel, 0), count - 1) for s in streams}
    sides = [
        _mix([c for s, c in zip(streams, channels, strict=True) if placed[s.key] == i], length)
        for i in range(count)
    ]
    return [(base, [s.key for s in streams], np.stack(sides, axis=1))], placed


def _mix(channels: Sequence[Samples], length: int) -> Samples:
    if len(channels) == 1:
        return channels[0]
    total = np.zeros(length, dtype=np.int32)
    for c in channels:
        total += c
    return np.clip(total, -32768, 32767).astype(np.int16)


def _write(
    stem: Path,
    keys: list[str],
    data: NDArray[np.int16],
    rate: int,
    streams: Sequence[_Stream],
    config: FinalizeConfig,
    warnings: list[str],
) -> FileResult:
    fmt = config.format
    written: WrittenFile
    if fmt == "ogg":
        written = write_ogg_opus(
            stem.with_name(stem.name + ".ogg"), data, rate, config.opus_bitrate
        )
        kind = "ogg"
    else:
        path = stem.with_name(stem.name + ".wav")
        laws = {c for s in streams if s.key in keys for c in s.codecs}
        if fmt == "wav-g711" and len(laws) == 1 and laws <= {"pcmu", "pcma"} and rate == 8000:
            law = laws.pop()
            written = write_wav_g711(path, g711.encode(law, data), rate, law)
            kind = f"wav-{law}"
        else:
            if fmt == "wav-g711":
                warnings.append(
                    f"{path.name}: wav-g711 needs one G.711 law at 8 kHz (got {sorted(laws)} at "
                    f"{rate} Hz); wrote PCM16"
                )
            written = write_wav(path, data, rate)
            kind = "wav"
    return FileResult(
        path=str(written.path),
        format=kind,
        channels=int(data.shape[1]),
        sample_rate=rate,
        duration=round(len(data) / rate, 3) if len(data) or kind != "ogg" else MIN_SECONDS,
        size=written.size,
        sha256=written.sha256,
        streams=keys,
    )


def _stream_result(stream: _Stream, channel: int, t0: float) -> StreamResult:
    stats = stream.stats
    times = stream.times
    return StreamResult(
        key=stream.key,
        label=stream.label,
        participant=stream.participant,
        channel=channel,
        codecs=stream.codecs,
        packets_received=stats.pushed,
        expected=stats.expected,
        lost=stats.lost,
        duplicates=stats.duplicates,
        late=stats.late,
        strays=stats.strays,
        reordered=stats.reordered,
        malformed=stream.malformed,
        undecodable=stream.undecodable,
        jitter_ms=round(float(stream.jitter.mean()) * 1000, 3) if len(stream.jitter) else 0.0,
        jitter_max_ms=round(float(stream.jitter.max()) * 1000, 3) if len(stream.jitter) else 0.0,
        gaps=[[round(a - t0, 3), round(b - t0, 3)] for a, b in _gap_spans(stream)],
        ssrcs=list(dict.fromkeys(stats.ssrcs)),
        dtmf=[
            {**d, "t": round(d["t"] - t0, 3), "duration": round(d["duration"], 3)}
            for d in stream.dtmf
        ],
        completeness=round(stats.released / stats.expected, 4) if stats.expected else 1.0,
        first_packet=round(float(times.min()) - t0, 3) if len(times) else None,
        last_packet=round(float((times + stream.durations).max()) - t0, 3) if len(times) else None,
    )
