"""Ogg/Opus output through PyAV's libopus encoder (compact archive format).

Opus takes 8/12/16/24/48 kHz input, which covers the recording rates finalize picks; up to
eight channels map to libopus's standard layouts (RFC 7845 mapping family 1).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

from srs.media.wavfile import WrittenFile

MIN_SECONDS = 0.02
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


class OggOpusError(ValueError):
    """Input Ogg/Opus cannot represent (channel count, sample rate)."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def write_ogg_opus(
    path: Path, samples: NDArray[np.int16], sample_rate: int, bitrate: int = 32000
) -> WrittenFile:
    """Encode PCM16 ``samples`` (frames,) or (frames, channels); temp file + ``os.replace``.
    Empty input becomes ``MIN_SECONDS`` of silence: an Ogg/Opus file needs one packet."""
    frames = samples if samples.ndim == 2 else samples[:, None]
    channels = frames.shape[1]
    if channels not in LAYOUTS:
        raise OggOpusError(f"Ogg/Opus output supports 1 to 8 channels, got {channels}")
    if sample_rate not in OPUS_RATES:
        raise OggOpusError(f"Opus cannot encode {sample_rate} Hz (supported: {OPUS_RATES})")
    if not len(frames):
        frames = np.zeros((round(sample_rate * MIN_SECONDS), channels), dtype=np.int16)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        container = av.open(str(tmp), "w", format="ogg")
        try:
            stream = container.add_stream("libopus", rate=sample_rate)
            stream.layout = LAYOUTS[channels]
            stream.bit_rate = bitrate * channels
            step = sample_rate  # one second per frame handed to the encoder's FIFO
            for start in range(0, len(frames), step):
                chunk = np.ascontiguousarray(frames[start : start + step]).reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout=LAYOUTS[channels])
                frame.sample_rate = sample_rate
                frame.pts = start
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        finally:
            container.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return WrittenFile(path, path.stat().st_size, sha256_file(path))


def read_ogg_opus(path: Path) -> tuple[int, NDArray[np.int16]]:
    """Decode an Ogg/Opus file → (48000, samples shaped (frames, channels)); for tests
    and checks.  Opus always decodes at 48 kHz."""
    chunks: list[NDArray[np.int16]] = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        channels = stream.codec_context.channels
        resampler = av.AudioResampler(
            format="s16", layout=LAYOUTS.get(channels, "stereo"), rate=48000
        )
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().astype(np.int16, copy=False).reshape(-1, channels))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().astype(np.int16, copy=False).reshape(-1, channels))
    if not chunks:
        return 48000, np.zeros((0, channels), dtype=np.int16)
    return 48000, np.concatenate(chunks)
