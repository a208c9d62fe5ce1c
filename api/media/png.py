"""A minimal PNG encoder (RGBA, 8 bits, no interlace) with zlib: no imaging library.

Waveforms are flat-coloured bars, which compress well with filter type 0 (none) per row;
nothing more of the PNG spec is needed.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from numpy.typing import NDArray

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png(rgba: NDArray[np.uint8]) -> bytes:
    """``rgba`` shaped (height, width, 4) → PNG bytes."""
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"expected uint8 (height, width, 4), got {rgba.dtype} {rgba.shape}")
    height, width = int(rgba.shape[0]), int(rgba.shape[1])
    if not height or not width:
        raise ValueError(f"empty image {width}x{height}")
    rows = np.zeros((height, 1 + width * 4), dtype=np.uint8)  # column 0: filter "none"
    rows[:, 1:] = rgba.reshape(height, width * 4)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + _chunk(b"IEND", b"")
    )
