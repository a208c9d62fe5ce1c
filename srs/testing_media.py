"""Test signals: tones, their dominant frequency, RTP packet streams and spool directories.

Used by the media tests and ``tools/make_tone_pcap.py``.  Encoders come from FFmpeg via
PyAV where it has one (G.711, G.722, Opus, AMR-NB) and from bcg729 through ctypes for
G.729 (Debian package ``libbcg729-0``; FFmpeg only decodes G.729).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import struct
from collections.abc import Iterable, Sequence
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
