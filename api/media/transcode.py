"""Recording files → other formats or single channels, through PyAV (FFmpeg).

Finalize writes one archive format per recording; listeners want what their player or
tool takes (browsers: PCM WAV, Ogg/Opus, MP3; telephony tools: G.711 WAV).  Decoding goes
through FFmpeg too, so any stored format (PCM16 WAV, G.711 WAV, Ogg/Opus) is a valid
source.  Encoding is batch work done once per (file, target, channel): results are cached
by :mod:`api.media.cache`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import av
import numpy as np
from av.audio.stream import AudioStream
from numpy.typing import NDArray

from srs.media.oggopus import LAYOUTS

Samples = NDArray[np.int16]  # shaped (frames, channels)


class TranscodeError(ValueError):
    """A target the server cannot produce (unknown name, codec missing from FFmpeg)."""


@dataclass(frozen=True)
class Target:
    """One download format: FFmpeg container + encoder, and the rates the encoder takes."""

    name: str
    container: str
    codec: str
    extension: str
    media_type: str
    rates: tuple[int, ...]  # empty: any rate
    bit_rate: int | None = None  # per channel, for lossy codecs


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("wav", "wav", "pcm_s16le", "wav", "audio/wav", ()),
        Target("wav-pcmu", "wav", "pcm_mulaw", "wav", "audio/wav", (8000,)),
        Target("wav-pcma", "wav", "pcm_alaw", "wav", "audio/wav", (8000,)),
        Target(
            "ogg", "ogg", "libopus", "ogg", "audio/ogg", (8000, 12000, 16000, 24000, 48000), 32000
        ),
        Target(
            "mp3",
            "mp3",
            "libmp3lame",
            "mp3",
            "audio/mpeg",
            (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000),
            48000,
        ),
    )
}
#: Names a stored file's ``format`` takes (finalize's ``FileResult.format``) → target.
STORED_FORMATS = {"wav": "wav", "wav-pcmu": "wav-pcmu", "wav-pcma": "wav-pcma", "ogg": "ogg"}


def target(name: str) -> Target:
    """The :class:`Target` called ``name``; :class:`TranscodeError` when unknown or when
    this FFmpeg build lacks its encoder."""
    found = TARGETS.get(name)
    if found is None:
        raise TranscodeError(f"unknown format {name!r} ({', '.join(TARGETS)})")
    if found.codec not in av.codecs_available:
        raise TranscodeError(f"format {name!r} needs FFmpeg encoder {found.codec!r}, not built in")
    return found


def output_rate(wanted: Target, rate: int) -> int:
    """``rate`` when the encoder takes it, else the lowest supported rate above it (no
    information lost), else the highest one."""
    if not wanted.rates or rate in wanted.rates:
        return rate
    above = [r for r in wanted.rates if r >= rate]
    return min(above) if above else max(wanted.rates)


def decode(path: Path) -> tuple[int, Samples]:
    """Any audio file FFmpeg reads → (sample rate, int16 samples shaped (frames, channels))."""
    chunks: list[Samples] = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = int(stream.codec_context.sample_rate)
        channels = int(stream.codec_context.channels)
        if channels not in LAYOUTS:
            raise TranscodeError(f"{path.name}: {channels} channels (1 to 8 supported)")
        resampler = av.AudioResampler(format="s16", layout=LAYOUTS[channels], rate=rate)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().astype(np.int16, copy=False).reshape(-1, channels))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().astype(np.int16, copy=False).reshape(-1, channels))
    if not chunks:
        return rate, np.zeros((0, channels), dtype=np.int16)
    return rate, np.concatenate(chunks).astype(np.int16, copy=False)


def encode(samples: Samples, rate: int, wanted: Target, dest: Path) -> None:
    """Write ``samples`` (frames, channels) at ``rate`` to ``dest`` as ``wanted``, resampled
    when the encoder needs another rate; temp file + ``os.replace`` so readers never see
    half a file."""
    channels = samples.shape[1]
    if channels not in LAYOUTS:
        raise TranscodeError(f"{channels} channels cannot be encoded (1 to 8 supported)")
    layout = LAYOUTS[channels]
    out_rate = output_rate(wanted, rate)
    if not len(samples):  # encoders need at least one frame: 20 ms of silence
        samples = np.zeros((max(1, rate // 50), channels), dtype=np.int16)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with av.open(str(tmp), "w", format=wanted.container) as container:
            stream = cast(AudioStream, container.add_stream(wanted.codec, rate=out_rate))
            stream.layout = layout
            if wanted.bit_rate:
                stream.bit_rate = wanted.bit_rate * channels
            resampler = av.AudioResampler(
                format=stream.codec_context.format, layout=layout, rate=out_rate
            )
            step = rate  # one second per frame handed to the resampler and encoder FIFO
            for start in range(0, len(samples), step):
                chunk = np.ascontiguousarray(samples[start : start + step]).reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout=layout)
                frame.sample_rate = rate
                frame.pts = start
                for converted in resampler.resample(frame):
                    for packet in stream.encode(converted):
                        container.mux(packet)
            for converted in resampler.resample(None):
                for packet in stream.encode(converted):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def pick_channel(samples: Samples, channel: int | None) -> Samples:
    """All channels, or channel ``channel`` alone as a mono signal."""
    if channel is None:
        return samples
    if not 0 <= channel < samples.shape[1]:
        raise TranscodeError(f"channel {channel} not in file (it has {samples.shape[1]})")
    return np.ascontiguousarray(samples[:, channel : channel + 1])
