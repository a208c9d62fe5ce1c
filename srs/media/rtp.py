"""RTP helpers: a fast header peek, 16-bit sequence arithmetic, RFC 4733 DTMF payloads.

The capture hot path never parses RTP (it spools bytes as received); these helpers serve
finalize, stats and tests.  ``peek_header`` and ``payload_bounds`` use ``struct`` only, so
they are cheap enough to call per packet; ``parse_rtp`` builds an ``aiortc`` ``RtpPacket``
when header extensions or CSRCs are needed.  Every malformed input raises ``RtpError``
with a message naming the exact defect (asserted verbatim in tests).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from aiortc.rtp import RtpPacket

RTP_VERSION = 2
HEADER_SIZE = 12
_HEADER = struct.Struct("!BBHII")
_EXTENSION = struct.Struct("!HH")
_DTMF = struct.Struct("!BBH")


class RtpError(ValueError):
    """A datagram that is not a well-formed RTP packet."""


class RtpHeader(NamedTuple):
    pt: int
    seq: int
    ts: int
    ssrc: int
    marker: bool


class DtmfEvent(NamedTuple):
    """One RFC 4733 §2.3 telephone-event payload."""

    event: int
    end: bool
    volume: int
    duration: int


# --- 16-bit sequence arithmetic (RFC 3550 §A.1): the only place it is spelled out. ---


def seq_add(a: int, delta: int) -> int:
    """``a + delta`` modulo 2**16 (``delta`` may be negative)."""
    return (a + delta) & 0xFFFF


def seq_diff(a: int, b: int) -> int:
    """Signed shortest distance ``a - b`` in [-32768, 32767], accounting for wrap."""
    return ((a - b + 0x8000) & 0xFFFF) - 0x8000


def seq_gt(a: int, b: int) -> bool:
    """True when ``a`` comes after ``b`` in sequence order (half-range rule)."""
    return seq_diff(a, b) > 0


def ts_diff(a: int, b: int) -> int:
    """Signed shortest distance ``a - b`` of two 32-bit RTP timestamps."""
    return ((a - b + 0x80000000) & 0xFFFFFFFF) - 0x80000000


# --- header parsing ---


def is_rtcp(data: bytes) -> bool:
    """RFC 5761 §4 demultiplexing: RTCP packet types 192-223 in the second byte."""
    return len(data) >= 2 and 192 <= data[1] <= 223


def peek_header(data: bytes) -> RtpHeader:
    """The fixed 12-byte header only: ``(pt, seq, ts, ssrc, marker)``."""
    if len(data) < HEADER_SIZE:
        raise RtpError(f"RTP packet too short: {len(data)} bytes, need at least {HEADER_SIZE}")
    b0, b1, seq, ts, ssrc = _HEADER.unpack_from(data)
    if b0 >> 6 != RTP_VERSION:
        raise RtpError(f"RTP packet has version {b0 >> 6}, expected {RTP_VERSION}")
    return RtpHeader(b1 & 0x7F, seq, ts, ssrc, bool(b1 & 0x80))


def payload_bounds(data: bytes) -> tuple[int, int]:
    """``(start, end)`` of the payload, after CSRCs and extension, before padding."""
    size = len(data)
    if size < HEADER_SIZE:
        raise RtpError(f"RTP packet too short: {size} bytes, need at least {HEADER_SIZE}")
    b0 = data[0]
    if b0 >> 6 != RTP_VERSION:
        raise RtpError(f"RTP packet has version {b0 >> 6}, expected {RTP_VERSION}")
    cc = b0 & 0x0F
    start = HEADER_SIZE + 4 * cc
    if start > size:
        raise RtpError(
            f"RTP CSRC list overflows packet: {cc} CSRCs need {start} bytes, have {size}"
        )
    if b0 & 0x10:
        if start + 4 > size:
            raise RtpError(
                f"RTP extension header overflows packet: need {start + 4} bytes, have {size}"
            )
        words = _EXTENSION.unpack_from(data, start)[1]
        start += 4 + 4 * words
        if start > size:
            raise RtpError(
                f"RTP extension overflows packet: {words} words need {start} bytes, have {size}"
            )
    end = size
    if b0 & 0x20:
        if size == start:
            raise RtpError("RTP padding flag set but no padding length byte")
        pad = data[-1]
        if pad == 0 or pad > size - start:
            raise RtpError(
                f"RTP padding length {pad} invalid: {size - start} bytes follow the header"
            )
        end = size - pad
    return start, end


def payload(data: bytes) -> bytes:
    """The payload bytes (padding removed)."""
    start, end = payload_bounds(data)
    return data[start:end]


def parse_rtp(data: bytes) -> RtpPacket:
    """Full parse into ``aiortc.rtp.RtpPacket`` (CSRCs, extension, padding)."""
    payload_bounds(data)  # our exact messages for structural errors
    try:
        return RtpPacket.parse(data)
    except ValueError as exc:  # header-extension element errors (RFC 8285)
        raise RtpError(str(exc)) from None


# --- RFC 4733 telephone-event ---


def parse_dtmf(data: bytes) -> DtmfEvent:
    """``(event, end, volume, duration)`` from a telephone-event payload (4 bytes;
    RFC 4733 §2.5.1.5 allows several redundant blocks: the first one is returned)."""
    if len(data) < 4:
        raise RtpError(f"telephone-event payload too short: {len(data)} bytes, need 4")
    event, flags, duration = _DTMF.unpack_from(data)
    return DtmfEvent(event, bool(flags & 0x80), flags & 0x3F, duration)


def build_dtmf(event: int, end: bool, volume: int, duration: int) -> bytes:
    """Serialize one telephone-event block (inverse of ``parse_dtmf``; R bit zero)."""
    return _DTMF.pack(event, (0x80 if end else 0) | (volume & 0x3F), duration)
