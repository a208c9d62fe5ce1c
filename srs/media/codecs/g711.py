"""G.711 µ-law / A-law as 256-entry lookup tables: decoding a packet is one numpy take.

The 65536-entry encode tables serve the ``wav-g711`` output (keep G.711 as G.711) and the
test-signal generator; ``encode(decode(b)) == b`` for every code except µ-law's negative
zero (0x7F, which encodes back as 0xFF).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from srs.media.codecs.base import CodecParams, Samples, silence


def _ulaw_decode_table() -> NDArray[np.int16]:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (u >> 4) & 7
    mantissa = u & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


def _alaw_decode_table() -> NDArray[np.int16]:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    exponent = (a >> 4) & 7
    mantissa = a & 0x0F
    magnitude = np.where(
        exponent == 0,
        (mantissa << 4) + 8,
        ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0),
    )
    return np.where(a & 0x80, magnitude, -magnitude).astype(np.int16)


def _segment(value: NDArray[np.int32], base: int) -> NDArray[np.int32]:
    """Index of the highest set bit of ``value >> base`` (0 when it is zero), max 7."""
    shifted = value >> base
    exponent = np.zeros_like(value)
    for bit in range(1, 8):
        exponent = np.where(shifted >= (1 << bit), bit, exponent)
    return exponent


def _ulaw_encode_table() -> NDArray[np.uint8]:
    s = np.arange(-32768, 32768, dtype=np.int32)
    sign = np.where(s < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(s), 32635) + 0x84
    exponent = _segment(magnitude, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)


def _alaw_encode_table() -> NDArray[np.uint8]:
    s = np.arange(-32768, 32768, dtype=np.int32)
    sign = np.where(s >= 0, 0x80, 0)
    magnitude = np.where(s >= 0, s, -s - 1)
    exponent = np.where(magnitude >= 256, _segment(magnitude, 7), 0)
    mantissa = np.where(exponent == 0, magnitude >> 4, magnitude >> (exponent + 3)) & 0x0F
    return ((sign | (exponent << 4) | mantissa) ^ 0x55).astype(np.uint8)


ULAW_DECODE = _ulaw_decode_table()
ALAW_DECODE = _alaw_decode_table()
ULAW_ENCODE = _ulaw_encode_table()
ALAW_ENCODE = _alaw_encode_table()

DECODE_TABLES = {"pcmu": ULAW_DECODE, "pcma": ALAW_DECODE}
ENCODE_TABLES = {"pcmu": ULAW_ENCODE, "pcma": ALAW_ENCODE}
SILENCE_BYTE = {"pcmu": 0xFF, "pcma": 0xD5}


def encode(encoding: str, samples: NDArray[np.int16]) -> NDArray[np.uint8]:
    """PCM16 → G.711 bytes (``encoding`` is ``pcmu`` or ``pcma``)."""
    table = ENCODE_TABLES[encoding]
    return table[samples.astype(np.int32) + 32768]


def decode(encoding: str, data: bytes | NDArray[np.uint8]) -> Samples:
    table = DECODE_TABLES[encoding]
    codes = np.frombuffer(data, dtype=np.uint8) if isinstance(data, bytes) else data
    return table[codes]


class G711Decoder:
    """One byte per sample at 8 kHz; stateless, so loss needs no concealment state."""

    audio = True
    batchable = True
    sample_rate = 8000
    clock_rate = 8000

    def __init__(self, params: CodecParams) -> None:
        self.encoding = params.encoding.lower()
        self._table = DECODE_TABLES[self.encoding]

    def decode(self, payload: bytes) -> Samples:
        return self._table[np.frombuffer(payload, dtype=np.uint8)]

    def samples_per_packet(self, payload: bytes) -> int:
        return len(payload)

    def conceal(self, samples: int) -> Samples:
        return silence(samples)
