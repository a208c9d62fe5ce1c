"""WAV files: PCM16 or G.711 (format tags 7/6), written atomically with their SHA-256.

The stdlib ``wave`` module writes PCM only and cannot read G.711 WAVs, which ``wav-g711``
output needs, so the RIFF chunks are laid out here (RIFF/WAVE, ``fmt``, ``fact`` for
non-PCM as the spec asks, ``data``).
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

WAVE_FORMAT_PCM = 1
WAVE_FORMAT_ALAW = 6
WAVE_FORMAT_MULAW = 7
G711_FORMAT_TAGS = {"pcma": WAVE_FORMAT_ALAW, "pcmu": WAVE_FORMAT_MULAW}


class WavError(ValueError):
    """Not a WAV file this module can read."""


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class WavData:
    sample_rate: int
    format_tag: int
    samples: NDArray[np.int16] | NDArray[np.uint8]  # shape (frames, channels)

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration(self) -> float:
        return self.samples.shape[0] / self.sample_rate


def wav_header(format_tag: int, channels: int, rate: int, bits: int, data_size: int) -> bytes:
    block = channels * bits // 8
    pcm = format_tag == WAVE_FORMAT_PCM
    fmt = struct.pack("<HHIIHH", format_tag, channels, rate, rate * block, block, bits)
    if not pcm:
        fmt += struct.pack("<H", 0)  # cbSize
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    if not pcm:
        frames = data_size // block if block else 0
        chunks += b"fact" + struct.pack("<II", 4, frames)
    chunks += b"data" + struct.pack("<I", data_size)
    riff_size = 4 + len(chunks) + data_size + (data_size & 1)
    return b"RIFF" + struct.pack("<I", riff_size) + b"WAVE" + chunks


def write_atomic(path: Path, parts: list[bytes | memoryview]) -> WrittenFile:
    """Write ``parts`` to a temp file beside ``path``, fsync, ``os.replace``; hash on the way."""
    digest = hashlib.sha256()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    size = 0
    try:
        with open(tmp, "wb") as fh:
            for part in parts:
                digest.update(part)
                fh.write(part)
                size += len(part)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return WrittenFile(path, size, digest.hexdigest())


def write_wav(path: Path, samples: NDArray[np.int16], sample_rate: int) -> WrittenFile:
    """PCM16; ``samples`` shaped (frames,) or (frames, channels)."""
    frames = samples if samples.ndim == 2 else samples[:, None]
    data = np.ascontiguousarray(frames, dtype="<i2")
    header = wav_header(WAVE_FORMAT_PCM, frames.shape[1], sample_rate, 16, data.nbytes)
    return write_atomic(path, [header, data.reshape(-1).view(np.uint8).data])


def write_wav_g711(path: Path, codes: NDArray[np.uint8], sample_rate: int, law: str) -> WrittenFile:
    """G.711 bytes as they travel on the wire (``law`` is ``pcmu`` or ``pcma``)."""
    frames = codes if codes.ndim == 2 else codes[:, None]
    data = np.ascontiguousarray(frames, dtype=np.uint8)
    pad = b"\0" if data.nbytes & 1 else b""
    header = wav_header(G711_FORMAT_TAGS[law], frames.shape[1], sample_rate, 8, data.nbytes)
    return write_atomic(path, [header, data.reshape(-1).view(np.uint8).data, pad])


def read_wav(path: Path) -> WavData:
    """PCM16 or G.711 WAV → samples shaped (frames, channels) (G.711 stays as codes)."""
    data = path.read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError(f"{path.name}: not a RIFF/WAVE file")
    offset = 12
    fmt: tuple[int, int, int, int] | None = None
    while offset + 8 <= len(data):
        chunk, size = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        body = data[offset + 8 : offset + 8 + size]
        if chunk == b"fmt ":
            if len(body) < 16:
                raise WavError(f"{path.name}: fmt chunk of {len(body)} bytes, need 16")
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
            if not channels or not rate:
                raise WavError(f"{path.name}: {channels} channels at {rate} Hz")
            fmt = (tag, channels, rate, bits)
        elif chunk == b"data":
            if fmt is None:
                raise WavError(f"{path.name}: data chunk before fmt chunk")
            tag, channels, rate, bits = fmt
            if tag == WAVE_FORMAT_PCM and bits == 16:
                body = body[: len(body) - len(body) % 2]
                samples: NDArray[np.int16] | NDArray[np.uint8] = np.frombuffer(body, dtype="<i2")
            elif tag in (WAVE_FORMAT_ALAW, WAVE_FORMAT_MULAW) and bits == 8:
                samples = np.frombuffer(body, dtype=np.uint8)
            else:
                raise WavError(f"{path.name}: unsupported format tag {tag} with {bits} bits")
            usable = len(samples) - len(samples) % channels  # a truncated last frame
            return WavData(rate, tag, samples[:usable].reshape(-1, channels))
        offset += 8 + size + (size & 1)
    raise WavError(f"{path.name}: no data chunk")
