"""Decoders backed by FFmpeg through PyAV: G.722, G.729, Opus, AMR-NB/WB.

Each RTP payload becomes one or more ``av.Packet`` fed to a long-lived decoder context, so
codec state (G.722's ADPCM predictor, Opus's SILK/CELT history) carries across packets the
way it did at the sender.  Every FFmpeg failure becomes a ``CodecError``; finalize turns a
packet it cannot decode into silence of the packet's length.
"""

from __future__ import annotations

from typing import cast

import av
import numpy as np
from av.audio.codeccontext import AudioCodecContext
from av.audio.frame import AudioFrame

from srs.media.codecs.base import CodecError, CodecParams, Samples, silence


def frame_to_mono(frame: AudioFrame) -> Samples:
    """Any PyAV audio frame → mono int16 (channels averaged, floats scaled)."""
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if not frame.format.is_planar:
        data = data.reshape(-1, channels).T
    if data.dtype.kind == "f":
        mono = data.mean(axis=0) if channels > 1 else data[0]
        return np.clip(np.round(mono * 32768.0), -32768, 32767).astype(np.int16)
    if channels > 1:
        return data.astype(np.int32).mean(axis=0).astype(np.int16)
    return data[0].astype(np.int16, copy=False)


def open_decoder(
    names: tuple[str, ...], sample_rate: int, layout: str = "mono"
) -> AudioCodecContext:
    """The first available FFmpeg decoder among ``names`` (e.g. libopus before opus)."""
    for name in names:
        try:
            ctx = cast(AudioCodecContext, av.CodecContext.create(name, "r"))
        except (av.FFmpegError, ValueError):
            continue
        ctx.sample_rate = sample_rate
        ctx.layout = layout
        return ctx
    raise CodecError(f"FFmpeg has none of the decoders {', '.join(names)}")


class FFmpegDecoder:
    """Shared body: payload → ``av.Packet``(s) → frames → mono int16."""

    audio = True
    batchable = False  # codec state carries across packets
    encoding = ""
    sample_rate = 8000
    clock_rate = 8000
    _names: tuple[str, ...] = ()
    _layout = "mono"

    def __init__(self, params: CodecParams) -> None:
        self.encoding = params.encoding.lower()
        self._ctx = open_decoder(self._names, self.sample_rate, self._layout)

    def frames(self, payload: bytes) -> list[bytes]:
        """The codec frames inside one RTP payload, as FFmpeg wants them."""
        return [payload]

    def decode(self, payload: bytes) -> Samples:
        return self.run(self.frames(payload))

    def run(self, frames: list[bytes]) -> Samples:
        """Decode codec frames in order through the long-lived context."""
        chunks: list[Samples] = []
        for data in frames:
            if not data:
                continue
            try:
                for frame in self._ctx.decode(av.Packet(data)):
                    chunks.append(frame_to_mono(frame))
            except av.FFmpegError as exc:
                raise CodecError(
                    f"{self.encoding}: cannot decode {len(data)}-byte frame: {exc}"
                ) from None
        if not chunks:
            return silence(0)
        return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)

    def samples_per_packet(self, payload: bytes) -> int:
        raise NotImplementedError

    def conceal(self, samples: int) -> Samples:
        return silence(samples)


class G722Decoder(FFmpegDecoder):
    """16 kHz audio, but RFC 3551 §4.5.2 keeps the RTP clock at 8000 for history's sake."""

    sample_rate = 16000
    clock_rate = 8000
    _names = ("g722",)

    def samples_per_packet(self, payload: bytes) -> int:
        return 2 * len(payload)


G729_FRAME = 10
G729_SID = 2


class G729Decoder(FFmpegDecoder):
    """10-byte frames of 10 ms; a trailing 2-byte Annex B SID frame decodes to silence."""

    _names = ("g729",)

    def frames(self, payload: bytes) -> list[bytes]:
        whole = len(payload) - len(payload) % G729_FRAME
        return [payload[:whole]] if whole else []

    def decode(self, payload: bytes) -> Samples:
        samples = super().decode(payload)
        if len(payload) % G729_FRAME == G729_SID:
            samples = np.concatenate([samples, silence(80)])
        return samples

    def samples_per_packet(self, payload: bytes) -> int:
        frames, rest = divmod(len(payload), G729_FRAME)
        return 80 * frames + (80 if rest == G729_SID else 0)


_OPUS_SILK_MS = (10.0, 20.0, 40.0, 60.0)
_OPUS_CELT_MS = (2.5, 5.0, 10.0, 20.0)


def opus_packet_samples(payload: bytes, rate: int = 48000) -> int:
    """Samples in one Opus packet from its TOC byte (RFC 6716 §3.1)."""
    if not payload:
        return 0
    toc = payload[0]
    config = toc >> 3
    if config < 12:
        ms = _OPUS_SILK_MS[config % 4]
    elif config < 16:
        ms = 10.0 if config % 2 == 0 else 20.0
    else:
        ms = _OPUS_CELT_MS[config % 4]
    code = toc & 3
    if code == 0:
        count = 1
    elif code in (1, 2):
        count = 2
    else:
        if len(payload) < 2:
            raise CodecError("opus: code 3 packet without a frame count byte")
        count = payload[1] & 0x3F
    return int(count * ms * rate / 1000)


class OpusDecoder(FFmpegDecoder):
    """Always 48 kHz (RFC 7587: the RTP clock is 48000 whatever the coded bandwidth);
    ``opus/48000/2`` streams are downmixed to mono, one channel per participant."""

    sample_rate = 48000
    clock_rate = 48000
    _names = ("libopus", "opus")

    def samples_per_packet(self, payload: bytes) -> int:
        return opus_packet_samples(payload, self.sample_rate)


# RFC 4867 §3.6 / 3GPP TS 26.101/26.201: speech bits per frame type (FT 15 = NO_DATA).
AMR_NB_BITS = {0: 95, 1: 103, 2: 118, 3: 134, 4: 148, 5: 159, 6: 204, 7: 244, 8: 39, 15: 0}
AMR_WB_BITS = {
    0: 132,
    1: 177,
    2: 253,
    3: 285,
    4: 317,
    5: 365,
    6: 397,
    7: 461,
    8: 477,
    9: 40,
    14: 0,
    15: 0,
}


def amr_storage_frames(
    payload: bytes,
    bits: dict[int, int],
    octet_aligned: bool,
    interleaving: bool = False,
    crc: bool = False,
) -> list[tuple[int, bytes]]:
    """RFC 4867 RTP payload → ``[(frame_type, storage-format frame)]`` (§5 storage format:
    a header octet ``FT<<3 | Q<<2`` then the speech bits padded to an octet)."""
    if octet_aligned:
        return _amr_octet(payload, bits, interleaving, crc)
    return _amr_bandwidth_efficient(payload, bits)


def _amr_octet(
    payload: bytes, bits: dict[int, int], interleaving: bool, crc: bool
) -> list[tuple[int, bytes]]:
    pos = 1 + (1 if interleaving else 0)  # CMR (+ ILL/ILP)
    toc: list[tuple[int, int]] = []
    while True:
        if pos >= len(payload):
            raise CodecError("amr: payload ends inside the table of contents")
        entry = payload[pos]
        pos += 1
        toc.append(((entry >> 3) & 0x0F, (entry >> 2) & 1))
        if not entry & 0x80:
            break
    if crc:
        pos += sum(1 for ft, _ in toc if bits.get(ft, 0))
    frames = []
    for ft, quality in toc:
        if ft not in bits:
            raise CodecError(f"amr: reserved frame type {ft}")
        size = (bits[ft] + 7) // 8
        if pos + size > len(payload):
            raise CodecError(f"amr: frame type {ft} needs {size} bytes, {len(payload) - pos} left")
        frames.append((ft, bytes([ft << 3 | quality << 2]) + payload[pos : pos + size]))
        pos += size
    return frames


def _amr_bandwidth_efficient(payload: bytes, bits: dict[int, int]) -> list[tuple[int, bytes]]:
    total = len(payload) * 8
    value = int.from_bytes(payload, "big")

    def take(offset: int, count: int) -> int:
        if offset + count > total:
            raise CodecError("amr: bandwidth-efficient payload is truncated")
        return (value >> (total - offset - count)) & ((1 << count) - 1)

    pos = 4  # CMR
    toc: list[tuple[int, int]] = []
    while True:
        entry = take(pos, 6)
        pos += 6
        toc.append(((entry >> 1) & 0x0F, entry & 1))
        if not entry & 0x20:
            break
    frames = []
    for ft, quality in toc:
        if ft not in bits:
            raise CodecError(f"amr: reserved frame type {ft}")
        count = bits[ft]
        speech = take(pos, count) if count else 0
        pos += count
        size = (count + 7) // 8
        body = (speech << (size * 8 - count)).to_bytes(size, "big") if size else b""
        frames.append((ft, bytes([ft << 3 | quality << 2]) + body))
    return frames


class AmrDecoder(FFmpegDecoder):
    """AMR-NB (8 kHz, 160 samples per frame); ``octet-align=1`` in fmtp selects the
    octet-aligned payload format, its absence the bandwidth-efficient one (RFC 4867 §8.1)."""

    _names: tuple[str, ...] = ("amrnb", "libopencore_amrnb")
    _bits = AMR_NB_BITS
    _frame_samples = 160
    _last_speech = 7  # frame types above are SID, reserved or NO_DATA

    def __init__(self, params: CodecParams) -> None:
        super().__init__(params)
        fmtp = params.fmtp_values()
        self._octet = fmtp.get("octet-align") == "1"
        self._interleaving = "interleaving" in fmtp
        self._crc = fmtp.get("crc") == "1"

    def frames(self, payload: bytes) -> list[bytes]:
        return [f for _, f in self._storage(payload)]

    def _storage(self, payload: bytes) -> list[tuple[int, bytes]]:
        return amr_storage_frames(payload, self._bits, self._octet, self._interleaving, self._crc)

    def decode(self, payload: bytes) -> Samples:
        chunks: list[Samples] = []
        for ft, frame in self._storage(payload):
            if ft > self._last_speech:  # SID / NO_DATA: silence (comfort noise)
                chunks.append(silence(self._frame_samples))
                continue
            chunks.append(self.run([frame]))
        return np.concatenate(chunks) if chunks else silence(0)

    def samples_per_packet(self, payload: bytes) -> int:
        return self._frame_samples * len(self._storage(payload))


class AmrWbDecoder(AmrDecoder):
    """AMR-WB: 16 kHz, 320 samples per frame, same RFC 4867 framing."""

    _names = ("amrwb", "libopencore_amrwb")
    _bits = AMR_WB_BITS
    _frame_samples = 320
    _last_speech = 8
    sample_rate = 16000
    clock_rate = 16000
