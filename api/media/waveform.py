"""Waveform images: per-pixel-column peaks of every channel, one band per channel.

The player page shows a stereo recording as two bands (top: channel 0, bottom: channel
1), so who spoke when is visible at a glance.  Peaks are min/max per column (not RMS), as
audio editors draw them: a click or a DTMF burst stays visible at any zoom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from api.media.png import encode_png

#: Band colours (RGBA) per channel, cycling; chosen to stay distinct for colour-blind eyes.
PALETTE = (
    (0x1F, 0x77, 0xB4, 0xFF),
    (0xFF, 0x7F, 0x0E, 0xFF),
    (0x2C, 0xA0, 0x2C, 0xFF),
    (0x94, 0x67, 0xBD, 0xFF),
)
MIDLINE = (0x88, 0x88, 0x88, 0x80)
MIN_WIDTH, MAX_WIDTH = 16, 4096
MIN_HEIGHT, MAX_HEIGHT = 16, 2048


@dataclass(frozen=True)
class Peaks:
    """Per-column extremes of one channel, scaled to -1..1: ``low[i] <= high[i]``."""

    low: NDArray[np.float64]
    high: NDArray[np.float64]


def peaks(samples: NDArray[np.int16], width: int) -> list[Peaks]:
    """``samples`` (frames, channels) → one :class:`Peaks` of ``width`` columns per channel.

    Columns past the end of a short recording (fewer frames than columns) stay at zero.
    """
    frames, channels = samples.shape
    starts = np.floor(np.arange(width) * frames / width).astype(np.int64)
    present = np.zeros(width, dtype=bool)
    if frames:
        present = np.diff(np.append(starts, frames)) > 0
    result = []
    for channel in range(channels):
        low = np.zeros(width)
        high = np.zeros(width)
        if frames:
            column = samples[:, channel].astype(np.float64) / 32768.0
            idx = np.minimum(starts, frames - 1)
            low = np.where(present, np.minimum.reduceat(column, idx), 0.0)
            high = np.where(present, np.maximum.reduceat(column, idx), 0.0)
        result.append(Peaks(low, high))
    return result


def render(samples: NDArray[np.int16], width: int, height: int) -> NDArray[np.uint8]:
    """RGBA image (height, width, 4): one horizontal band per channel on transparency."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"width {width} outside {MIN_WIDTH}..{MAX_WIDTH}")
    if not MIN_HEIGHT <= height <= MAX_HEIGHT:
        raise ValueError(f"height {height} outside {MIN_HEIGHT}..{MAX_HEIGHT}")
    image = np.zeros((height, width, 4), dtype=np.uint8)
    bands = peaks(samples, width)
    count = max(1, len(bands))
    edges = np.linspace(0, height, count + 1).round().astype(int)
    for number, band in enumerate(bands):
        top, bottom = int(edges[number]), int(edges[number + 1])
        band_height = bottom - top
        if band_height < 2:
            continue
        middle = top + (band_height - 1) / 2.0
        half = (band_height - 1) / 2.0
        y_high = np.floor(middle - band.high * half)  # sample +1 → top of the band
        y_low = np.ceil(middle - band.low * half)
        rows = np.arange(top, bottom, dtype=np.float64)[:, None]
        mask = (rows >= y_high[None, :]) & (rows <= y_low[None, :])
        image[round(middle), :] = MIDLINE
        image[top:bottom][mask] = PALETTE[number % len(PALETTE)]
    return image


def waveform_png(samples: NDArray[np.int16], width: int, height: int) -> bytes:
    """PNG bytes of :func:`render`."""
    return encode_png(render(samples, width, height))
