"""Test signals: tones, their dominant frequency, RTP packet streams, spool directories and
pcaps for SIPp's ``play_pcap_audio`` (``dpkt`` needed for those).

Used by the media tests, the SIPp suites and ``tools/make_tone_pcap.py``.  Encoders come from FFmpeg via
PyAV where it has one (G.711, G.722, Opus, AMR-NB) and from bcg729 through ctypes for
G.729 (Debian package ``libbcg729-0``; FFmpeg only decodes G.729).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import json
import struct
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, cast

import av
import numpy as np
from av.audio.codeccontext import AudioCodecContext
from numpy.typing import NDArray

from srs.media.codecs import g711
from srs.media.spool import EVENT, RTP, SpoolWriter

Samples = NDArray[np.int16]


def tone(
    freq: float, seconds: float, rate: int = 8000, amplitude: float = 0.5, phase: float = 0.0
) -> Samples:
    """A sine at ``freq`` Hz, ``amplitude`` of full scale, as int16.  A non-zero ``phase``
    keeps exact zeros off round sample indices, so tests can find silence by zero runs."""
    t = np.arange(round(seconds * rate)) / rate
    return np.round(np.sin(2 * np.pi * freq * t + phase) * amplitude * 32767).astype(np.int16)


def dominant_frequency(samples: NDArray[np.generic], rate: int) -> float:
    """Frequency (Hz) of the strongest FFT bin, refined by parabolic interpolation."""
    x = np.asarray(samples, dtype=np.float64)
    if len(x) < 16 or not np.any(x):
        return 0.0
    spectrum = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(len(x))))
    peak = int(np.argmax(spectrum[1:])) + 1
    if 0 < peak < len(spectrum) - 1:
        a, b, c = np.log(spectrum[peak - 1 : peak + 2] + 1e-12)
        denom = a - 2 * b + c
        peak_f = peak + (0.5 * (a - c) / denom if denom else 0.0)
    else:
        peak_f = float(peak)
    return float(peak_f * rate / len(x))


def rms(samples: NDArray[np.generic]) -> float:
    x = np.asarray(samples, dtype=np.float64)
    return float(np.sqrt(np.mean(x * x))) if len(x) else 0.0


# --- encoders ---------------------------------------------------------------------------

CODEC_RATES = {  # encoding -> (input sample rate, RTP clock rate, static/default pt)
    "pcmu": (8000, 8000, 0),
    "pcma": (8000, 8000, 8),
    "g722": (16000, 8000, 9),
    "g729": (8000, 8000, 18),
    "opus": (48000, 48000, 111),
    "amr": (8000, 8000, 96),
}


def _ffmpeg_encode(
    name: str, samples: Samples, rate: int, frame: int, **options: int
) -> list[bytes]:
    ctx = cast(AudioCodecContext, av.CodecContext.create(name, "w"))
    ctx.sample_rate = rate
    ctx.layout = "mono"
    ctx.format = "s16"
    for key, value in options.items():
        setattr(ctx, key, value)
    ctx.open()
    out: list[bytes] = []
    for start in range(0, len(samples) - frame + 1, frame):
        chunk = av.AudioFrame.from_ndarray(
            samples[None, start : start + frame], format="s16", layout="mono"
        )
        chunk.sample_rate = rate
        chunk.pts = start
        out.extend(bytes(p) for p in ctx.encode(chunk))
    out.extend(bytes(p) for p in ctx.encode(None))
    return out


class G729Encoder:
    """bcg729's encoder through ctypes: 80 samples in, one 10-byte frame out."""

    def __init__(self) -> None:
        path = ctypes.util.find_library("bcg729") or "libbcg729.so.0"
        try:
            lib = ctypes.CDLL(path)
        except OSError as exc:
            raise RuntimeError(
                "G.729 test encoder needs libbcg729 (apt-get install libbcg729-0)"
            ) from exc
        lib.initBcg729EncoderChannel.restype = ctypes.c_void_p
        lib.initBcg729EncoderChannel.argtypes = [ctypes.c_uint8]
        lib.bcg729Encoder.restype = None
        lib.bcg729Encoder.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_int16),
            ctypes.POINTER(ctypes.c_uint8),
            ctypes.POINTER(ctypes.c_uint8),
        ]
        lib.closeBcg729EncoderChannel.argtypes = [ctypes.c_void_p]
        self._lib = lib
        self._ctx = lib.initBcg729EncoderChannel(0)

    def encode_frame(self, samples: Samples) -> bytes:
        frame = np.ascontiguousarray(samples[:80], dtype=np.int16)
        out = (ctypes.c_uint8 * 10)()
        length = ctypes.c_uint8(0)
        self._lib.bcg729Encoder(
            self._ctx,
            frame.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)),
            out,
            ctypes.byref(length),
        )
        return bytes(out[: length.value])

    def close(self) -> None:
        if self._ctx:
            self._lib.closeBcg729EncoderChannel(self._ctx)
            self._ctx = None


def g729_available() -> bool:
    try:
        G729Encoder().close()
    except RuntimeError:
        return False
    return True


def amr_rtp_payload(frames: Sequence[bytes], octet_aligned: bool) -> bytes:
    """Storage-format AMR-NB frames → one RFC 4867 payload (CMR 15 = no request)."""
    from srs.media.codecs.ffmpeg import AMR_NB_BITS

    parsed = [((f[0] >> 3) & 0x0F, (f[0] >> 2) & 1, f[1:]) for f in frames]
    if octet_aligned:
        toc = bytes(
            (0x80 if i < len(parsed) - 1 else 0) | ft << 3 | q << 2
            for i, (ft, q, _) in enumerate(parsed)
        )
        return bytes([0xF0]) + toc + b"".join(body for _, _, body in parsed)
    value, count = 15, 4
    for i, (ft, q, _) in enumerate(parsed):
        value = value << 6 | (1 if i < len(parsed) - 1 else 0) << 5 | ft << 1 | q
        count += 6
    for ft, _, body in parsed:
        nbits = AMR_NB_BITS[ft]
        speech = int.from_bytes(body, "big") >> (len(body) * 8 - nbits) if nbits else 0
        value = value << nbits | speech
        count += nbits
    pad = -count % 8
    return (value << pad).to_bytes((count + pad) // 8, "big")


def encode_frames(
    codec: str, samples: Samples, ptime: float = 0.02, *, octet_aligned: bool = True
) -> list[bytes]:
    """``samples`` (at the codec's input rate) → one RTP payload per ``ptime``."""
    rate = CODEC_RATES[codec][0]
    per_packet = round(ptime * rate)
    if codec in ("pcmu", "pcma"):
        coded = g711.encode(codec, samples).tobytes()
        return [
            coded[i : i + per_packet] for i in range(0, len(coded) - per_packet + 1, per_packet)
        ]
    if codec == "g722":
        data = b"".join(_ffmpeg_encode("g722", samples, rate, 320))
        size = per_packet // 2
        return [data[i : i + size] for i in range(0, len(data) - size + 1, size)]
    if codec == "g729":
        enc = G729Encoder()
        try:
            frames = [
                enc.encode_frame(samples[i : i + 80]) for i in range(0, len(samples) - 79, 80)
            ]
        finally:
            enc.close()
        group = per_packet // 80
        return [b"".join(frames[i : i + group]) for i in range(0, len(frames) - group + 1, group)]
    if codec == "opus":
        return _ffmpeg_encode("libopus", samples, rate, per_packet, bit_rate=32000)
    if codec == "amr":
        frames = _ffmpeg_encode("libopencore_amrnb", samples, rate, 160, bit_rate=12200)
        group = per_packet // 160
        return [
            amr_rtp_payload(frames[i : i + group], octet_aligned)
            for i in range(0, len(frames) - group + 1, group)
        ]
    raise ValueError(f"no test encoder for {codec!r}")


# --- RTP --------------------------------------------------------------------------------


class RtpFrame(NamedTuple):
    seq: int
    ts: int
    ssrc: int
    pt: int
    marker: bool
    payload: bytes

    def packet(self) -> bytes:
        return build_rtp(self.seq, self.ts, self.ssrc, self.pt, self.payload, self.marker)


def build_rtp(seq: int, ts: int, ssrc: int, pt: int, payload: bytes, marker: bool = False) -> bytes:
    """A minimal RTP packet: V=2, no padding/extension/CSRC."""
    return (
        struct.pack(
            "!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc
        )
        + payload
    )


def rtp_packets(
    codec: str,
    freq: float,
    seconds: float,
    *,
    ptime: float = 0.02,
    ssrc: int = 0x1234,
    seq0: int = 1000,
    ts0: int = 0,
    pt: int | None = None,
    amplitude: float = 0.5,
    phase: float = 0.0,
    octet_aligned: bool = True,
) -> list[RtpFrame]:
    """An RTP stream of a ``freq`` Hz tone in ``codec`` (pcmu, pcma, g722, g729, opus, amr)."""
    rate, clock, default_pt = CODEC_RATES[codec]
    payloads = encode_frames(
        codec, tone(freq, seconds, rate, amplitude, phase), ptime, octet_aligned=octet_aligned
    )
    step = round(ptime * clock)
    return [
        RtpFrame(
            (seq0 + i) & 0xFFFF,
            (ts0 + i * step) & 0xFFFFFFFF,
            ssrc,
            default_pt if pt is None else pt,
            i == 0,
            p,
        )
        for i, p in enumerate(payloads)
    ]


def sender_report(ssrc: int, ntp: float, rtp_ts: int, packets: int = 0, octets: int = 0) -> bytes:
    """An RTCP SR with no report blocks (RFC 3550 §6.4.1); ``ntp`` in seconds since 1900."""
    msw = int(ntp)
    lsw = int((ntp - msw) * (1 << 32)) & 0xFFFFFFFF
    return struct.pack(
        "!BBHIIIIII", 0x80, 200, 6, ssrc, msw, lsw, rtp_ts & 0xFFFFFFFF, packets, octets
    )


# --- spool directories ------------------------------------------------------------------


def params_event(
    payload_types: dict[int, tuple[str, int]] | None = None,
    *,
    fmtp: dict[int, str] | None = None,
    telephone_event_pt: int | None = 101,
    comfort_noise_pt: int | None = 13,
    label: str | None = None,
    participant_id: str | None = None,
    participant_name: str | None = None,
) -> dict[str, object]:
    """The ``params`` spool event capture writes (``srs.media.capture.params_event``)."""
    pts = dict(payload_types or {0: ("pcmu", 8000)})
    if telephone_event_pt is not None:
        pts.setdefault(telephone_event_pt, ("telephone-event", 8000))
    if comfort_noise_pt is not None:
        pts.setdefault(comfort_noise_pt, ("cn", 8000))
    return {
        "event": "params",
        "payload_types": {
            str(pt): {
                "encoding": enc,
                "clock_rate": rate,
                "channels": 1,
                "fmtp": (fmtp or {}).get(pt),
            }
            for pt, (enc, rate) in pts.items()
        },
        "telephone_event_pt": telephone_event_pt,
        "comfort_noise_pt": comfort_noise_pt,
        "label": label,
        "participant": {"id": participant_id, "name": participant_name, "aor": None},
    }


Record = tuple[int, float, bytes]


def timed_records(frames: Iterable[RtpFrame], start: float, ptime: float = 0.02) -> list[Record]:
    """RTP records paced every ``ptime`` from ``start`` (arrival i = start + i*ptime)."""
    return [(RTP, start + i * ptime, f.packet()) for i, f in enumerate(frames)]


def event_record(arrival: float, event: dict[str, object]) -> Record:
    return (EVENT, arrival, json.dumps(event).encode())


@dataclass
class StreamFixture:
    """One stream of a synthetic recording: its session.json entry and spool records."""

    key: str
    channel: int
    records: list[Record] = field(default_factory=list)
    label: str | None = None
    participant_id: str | None = None
    participant_name: str | None = None


def write_recording(
    directory: Path,
    streams: Sequence[StreamFixture],
    *,
    recording_id: str = "rec-1",
    started_at: float | None = None,
    ended_at: float | None = None,
    events: list[dict[str, object]] | None = None,
    torn_tail: bytes = b"",
) -> Path:
    """A spool directory as capture leaves it: ``session.json`` plus one spool per stream
    (records written in the given order; ``torn_tail`` is appended raw to every spool)."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for index, stream in enumerate(streams):
        spool = directory / f"{stream.key}.spool"
        writer = SpoolWriter(spool)
        for kind, arrival, data in stream.records:
            writer.append(kind, arrival, data)
        writer.close()
        if torn_tail:
            with spool.open("ab") as fh:
                fh.write(torn_tail)
        entries.append(
            {
                "key": stream.key,
                "label": stream.label or stream.key,
                "index": index,
                "spool": spool.name,
                "participant_id": stream.participant_id,
                "participant_name": stream.participant_name,
                "participant_aor": None,
                "channel": stream.channel,
            }
        )
    session = {
        "recording_id": recording_id,
        "call_id": f"{recording_id}@test",
        "started_at": started_at,
        "ended_at": ended_at,
        "siprec": True,
        "metadata": [],
        "participants": [
            {"id": s.participant_id, "name": s.participant_name}
            for s in streams
            if s.participant_id
        ],
        "streams": entries,
        "events": events or [],
    }
    (directory / "session.json").write_text(json.dumps(session))
    return directory


# --- pcaps for SIPp's play_pcap_audio ---------------------------------------------------
#
# SIPp replays flow *k* of a pcap to ``SDP media port + (dport_k - lowest dport)``, so a
# SIPREC call's flow *k* is written to ``BASE_DPORT + 2k`` by default and reaches srs's
# *k*-th answered port when srs allocated its ports as ``p, p + 2, ...``.  Packets keep
# their capture times, which is how SIPp paces them; :class:`SentPcap` says exactly what was
# sent, so tests compare the recording with it instead of with hard-coded numbers.

BASE_DPORT = 10000
BASE_SPORT = 16000
PCAP_EPOCH = 1_700_000_000.0


@dataclass(frozen=True)
class Flow:
    """One RTP stream: ``frames[i]`` leaves at ``times[i]`` seconds from the pcap start, to
    UDP port ``BASE_DPORT + offset`` (``offset`` None: 2k for the pcap's k-th flow)."""

    codec: str
    freq: float
    frames: list[RtpFrame]
    times: list[float]
    ptime: float
    dropped: frozenset[int] = field(default_factory=frozenset)
    offset: int | None = None

    @property
    def first(self) -> float:
        return self.times[0]

    @property
    def end(self) -> float:
        """When the audio of the last packet ends (its send time + one ptime)."""
        return self.times[-1] + self.ptime


@dataclass(frozen=True)
class SentPcap:
    path: Path
    flows: list[Flow]

    @property
    def media_duration(self) -> float:
        """First packet sent to the end of the last packet's audio, over all flows: the
        span a media-span recording covers."""
        return max(f.end for f in self.flows) - min(f.first for f in self.flows)


def tone_flow(
    codec: str,
    freq: float,
    seconds: float,
    *,
    ssrc: int,
    ptime: float = 0.02,
    start: float = 0.0,
    pt: int | None = None,
    drop: Collection[int] = (),
    silent: tuple[float, float] | None = None,
    phase: float = 0.3,
    amplitude: float = 0.5,
    offset: int | None = None,
) -> Flow:
    """A ``freq`` Hz tone in ``codec``.  ``drop``: packet indices never sent (a loss:
    the sequence numbers jump).  ``silent=(a, b)``: no packets between ``a`` and ``b``
    seconds and no sequence jump either (the sender stopped, as on hold); RTP timestamps
    keep running with the wall clock as a real sender's do."""
    frames = rtp_packets(
        codec, freq, seconds, ptime=ptime, ssrc=ssrc, pt=pt, phase=phase, amplitude=amplitude
    )
    kept_frames: list[RtpFrame] = []
    kept_times: list[float] = []
    seq_shift = 0
    for i, frame in enumerate(frames):
        at = start + i * ptime
        if silent is not None and silent[0] <= at - start < silent[1]:
            seq_shift += 1
            continue
        if i in drop:
            continue
        kept_frames.append(frame._replace(seq=(frame.seq - seq_shift) & 0xFFFF))
        kept_times.append(at)
    return Flow(codec, freq, kept_frames, kept_times, ptime, frozenset(drop), offset)


def udp_frame(
    payload: bytes, sport: int, dport: int, src: str = "127.0.0.1", dst: str = "127.0.0.1"
) -> bytes:
    """One Ethernet/IPv4/UDP frame carrying ``payload`` (lengths and checksums by dpkt)."""
    import dpkt

    udp = dpkt.udp.UDP(sport=sport, dport=dport, data=payload)
    udp.ulen = len(udp)
    ip = dpkt.ip.IP(
        src=bytes(int(part) for part in src.split(".")),
        dst=bytes(int(part) for part in dst.split(".")),
        p=dpkt.ip.IP_PROTO_UDP,
        ttl=64,
        data=udp,
    )
    ip.len = len(ip)
    eth = dpkt.ethernet.Ethernet(
        src=b"\x02\x00\x00\x00\x00\x01",
        dst=b"\x02\x00\x00\x00\x00\x02",
        type=dpkt.ethernet.ETH_TYPE_IP,
        data=ip,
    )
    return bytes(eth)


def write_pcap(
    path: Path,
    flows: Sequence[Flow],
    *,
    base_dport: int = BASE_DPORT,
    base_sport: int = BASE_SPORT,
) -> SentPcap:
    """Flow *k* to UDP port ``base_dport + offset`` (default offset 2k), from
    ``base_sport`` + the same offset, all packets in send-time order."""
    offsets = [2 * k if flow.offset is None else flow.offset for k, flow in enumerate(flows)]
    packets = sorted(
        (at, k, frame.packet())
        for k, flow in enumerate(flows)
        for at, frame in zip(flow.times, flow.frames, strict=True)
    )
    import dpkt

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        writer = dpkt.pcap.Writer(fh, linktype=dpkt.pcap.DLT_EN10MB)
        for at, k, data in packets:
            frame = udp_frame(data, base_sport + offsets[k], base_dport + offsets[k])
            writer.writepkt(frame, ts=PCAP_EPOCH + at)
    return SentPcap(path, list(flows))


def read_flows(path: Path) -> dict[int, list[tuple[float, bytes]]]:
    """``{dport: [(time, rtp packet)]}`` of a pcap (to check what was written)."""
    import dpkt

    out: dict[int, list[tuple[float, bytes]]] = {}
    with path.open("rb") as fh:
        for ts, buf in dpkt.pcap.Reader(fh):
            udp = dpkt.ethernet.Ethernet(buf).data.data
            out.setdefault(udp.dport, []).append((ts - PCAP_EPOCH, bytes(udp.data)))
    return out


def call_pcap(
    path: Path,
    codec: str = "pcmu",
    seconds: float = 3.0,
    freqs: Sequence[float] = (440.0, 1000.0),
    *,
    drop: dict[int, Collection[int]] | None = None,
    silent: tuple[float, float] | None = None,
    ssrc: int = 0x1000,
    phase: float = 0.3,
) -> SentPcap:
    """The usual test call: flow *k* (label *k + 1*, SSRC ``ssrc + k``) carries ``freqs[k]``."""
    if codec not in CODEC_RATES:
        raise ValueError(f"no test encoder for {codec!r}")
    flows = [
        tone_flow(
            codec,
            freq,
            seconds,
            ssrc=ssrc + k,
            drop=(drop or {}).get(k, ()),
            silent=silent,
            phase=phase,
        )
        for k, freq in enumerate(freqs)
    ]
    return write_pcap(path, flows)


def pcap_media_duration(path: Path) -> float:
    """:attr:`SentPcap.media_duration` of a pcap on disk: first packet to the end of the
    last one, the packet interval taken from the capture times."""
    flows = read_flows(path)
    firsts = [packets[0][0] for packets in flows.values()]
    lasts = [packets[-1][0] for packets in flows.values()]
    steps = [b[0] - a[0] for packets in flows.values() for a, b in itertools.pairwise(packets)]
    return max(lasts) + min(steps) - min(firsts)
