"""RTCP (RFC 3550 §6): compound packets, SR/RR report blocks, SDES CNAME, BYE.

Finalize uses sender reports to place streams on one wall-clock timeline (the SR maps an
RTP timestamp to NTP time) and CNAMEs to tie SSRCs to a participant.  Parsing is strict
about structure (exact ``RtcpError`` messages) and lenient about content: unknown packet
types (APP, feedback, XR) come back as ``OtherRtcp`` with their payload.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from srs.media.rtp import ts_diff

SR, RR, SDES, BYE, APP = 200, 201, 202, 203, 204
SDES_CNAME = 1
NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01

_HEADER = struct.Struct("!BBH")
_SENDER_INFO = struct.Struct("!IQIII")  # ssrc, ntp, rtp ts, packets, octets
_BLOCK = struct.Struct("!IB3sIIII")
_SSRC = struct.Struct("!I")


class RtcpError(ValueError):
    """A datagram that is not well-formed (compound) RTCP."""


@dataclass(frozen=True, slots=True)
class ReportBlock:
    ssrc: int
    fraction_lost: int
    packets_lost: int  # signed 24-bit cumulative count
    highest_sequence: int
    jitter: int
    lsr: int
    dlsr: int


@dataclass(frozen=True, slots=True)
class SenderReport:
    ssrc: int
    ntp_timestamp: int  # 64-bit NTP (32.32 fixed point since 1900)
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...] = ()

    @property
    def ntp_time(self) -> float:
        """The SR's wall-clock time as a Unix timestamp."""
        return ntp_to_unix(self.ntp_timestamp)

    def rtp_to_unix(self, rtp_timestamp: int, clock_rate: int) -> float:
        """Wall-clock time of another RTP timestamp of the same source."""
        return self.ntp_time + ts_diff(rtp_timestamp, self.rtp_timestamp) / clock_rate


@dataclass(frozen=True, slots=True)
class ReceiverReport:
    ssrc: int
    reports: tuple[ReportBlock, ...] = ()


@dataclass(frozen=True, slots=True)
class SdesChunk:
    ssrc: int
    items: tuple[tuple[int, bytes], ...]

    @property
    def cname(self) -> str | None:
        for kind, value in self.items:
            if kind == SDES_CNAME:
                return value.decode("utf-8", "replace")
        return None


@dataclass(frozen=True, slots=True)
class SourceDescription:
    chunks: tuple[SdesChunk, ...]


@dataclass(frozen=True, slots=True)
class Bye:
    sources: tuple[int, ...]
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class OtherRtcp:
    packet_type: int
    count: int  # the 5-bit RC/FMT/subtype field
    payload: bytes


RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Bye | OtherRtcp


def ntp_to_unix(ntp: int) -> float:
    """RFC 4330 §3 era rule: seconds with the top bit clear are after 2036-02-07."""
    seconds = ntp >> 32
    if seconds < 0x80000000:
        seconds += 1 << 32
    return seconds - NTP_EPOCH_OFFSET + (ntp & 0xFFFFFFFF) / 2**32


def unix_to_ntp(t: float) -> int:
    seconds = int(t // 1)
    frac = round((t - seconds) * 2**32)
    if frac >= 2**32:
        seconds, frac = seconds + 1, 0
    return (((seconds + NTP_EPOCH_OFFSET) & 0xFFFFFFFF) << 32) | frac


def parse_compound(data: bytes) -> list[RtcpPacket]:
    """Every packet of a compound RTCP datagram (already SRTCP-decrypted)."""
    if len(data) < 4:
        raise RtcpError(f"RTCP packet too short: {len(data)} bytes, need at least 4")
    out: list[RtcpPacket] = []
    pos = 0
    end = len(data)
    while pos < end:
        if end - pos < 4:
            raise RtcpError(
                f"RTCP trailing {end - pos} bytes at offset {pos}: need a 4-byte header"
            )
        b0, pt, words = _HEADER.unpack_from(data, pos)
        if b0 >> 6 != 2:
            raise RtcpError(f"RTCP packet at offset {pos} has version {b0 >> 6}, expected 2")
        length = 4 + 4 * words
        if pos + length > end:
            raise RtcpError(
                f"RTCP packet at offset {pos} declares {length} bytes, only {end - pos} remain"
            )
        body = data[pos + 4 : pos + length]
        if b0 & 0x20:
            pad = body[-1] if body else 0
            if pad == 0 or pad > len(body):
                raise RtcpError(f"RTCP padding length {pad} invalid in packet at offset {pos}")
            body = body[:-pad]
        out.append(_parse_one(pt, b0 & 0x1F, body, pos))
        pos += length
    return out


def _blocks(body: bytes, start: int, count: int) -> tuple[ReportBlock, ...]:
    blocks = []
    for i in range(count):
        ssrc, fraction, lost, hi, jitter, lsr, dlsr = _BLOCK.unpack_from(body, start + 24 * i)
        lost_n = int.from_bytes(lost, "big", signed=True)
        blocks.append(ReportBlock(ssrc, fraction, lost_n, hi, jitter, lsr, dlsr))
    return tuple(blocks)


def _parse_one(pt: int, count: int, body: bytes, pos: int) -> RtcpPacket:
    if pt == SR:
        need = 24 + 24 * count
        if len(body) < need:
            raise RtcpError(
                f"RTCP SR at offset {pos} has {len(body)} body bytes, "
                f"{count} report blocks need {need}"
            )
        ssrc, ntp, ts, packets, octets = _SENDER_INFO.unpack_from(body)
        return SenderReport(ssrc, ntp, ts, packets, octets, _blocks(body, 24, count))
    if pt == RR:
        need = 4 + 24 * count
        if len(body) < need:
            raise RtcpError(
                f"RTCP RR at offset {pos} has {len(body)} body bytes, "
                f"{count} report blocks need {need}"
            )
        return ReceiverReport(_SSRC.unpack_from(body)[0], _blocks(body, 4, count))
    if pt == SDES:
        return SourceDescription(_sdes_chunks(body, count, pos))
    if pt == BYE:
        need = 4 * count
        if len(body) < need:
            raise RtcpError(
                f"RTCP BYE at offset {pos} lists {count} sources but has {len(body)} body bytes"
            )
        sources = struct.unpack_from(f"!{count}I", body)
        reason = None
        if len(body) > need:
            size = body[need]
            if need + 1 + size > len(body):
                raise RtcpError(
                    f"RTCP BYE reason at offset {pos} declares {size} bytes, "
                    f"only {len(body) - need - 1} remain"
                )
            reason = body[need + 1 : need + 1 + size].decode("utf-8", "replace")
        return Bye(tuple(sources), reason)
    return OtherRtcp(pt, count, bytes(body))


def _sdes_chunks(body: bytes, count: int, pos: int) -> tuple[SdesChunk, ...]:
    chunks = []
    off = 0
    for index in range(count):
        if off + 4 > len(body):
            raise RtcpError(f"RTCP SDES at offset {pos}: chunk {index} truncated before its SSRC")
        ssrc = _SSRC.unpack_from(body, off)[0]
        off += 4
        items = []
        while True:
            if off >= len(body):
                raise RtcpError(f"RTCP SDES at offset {pos}: chunk {index} has no end item")
            kind = body[off]
            if kind == 0:  # END, then pad to the next 32-bit boundary
                off = (off + 4) & ~3
                break
            if off + 2 > len(body) or off + 2 + body[off + 1] > len(body):
                raise RtcpError(f"RTCP SDES at offset {pos}: chunk {index} item {kind} truncated")
            size = body[off + 1]
            items.append((kind, bytes(body[off + 2 : off + 2 + size])))
            off += 2 + size
        chunks.append(SdesChunk(ssrc, tuple(items)))
    return tuple(chunks)


# --- serialization (tests, benchmarks and the round-trip property) ---


def _header(count: int, pt: int, body: bytes) -> bytes:
    if len(body) % 4:
        raise ValueError("RTCP body must be a multiple of 4 bytes")
    return _HEADER.pack(0x80 | count, pt, len(body) // 4) + body


def _pack_blocks(blocks: tuple[ReportBlock, ...]) -> bytes:
    return b"".join(
        _BLOCK.pack(
            b.ssrc,
            b.fraction_lost,
            b.packets_lost.to_bytes(3, "big", signed=True),
            b.highest_sequence,
            b.jitter,
            b.lsr,
            b.dlsr,
        )
        for b in blocks
    )


def serialize(packet: RtcpPacket) -> bytes:
    """One RTCP packet (concatenate several for a compound datagram)."""
    if isinstance(packet, SenderReport):
        info = _SENDER_INFO.pack(
            packet.ssrc,
            packet.ntp_timestamp,
            packet.rtp_timestamp,
            packet.packet_count,
            packet.octet_count,
        )
        return _header(len(packet.reports), SR, info + _pack_blocks(packet.reports))
    if isinstance(packet, ReceiverReport):
        body = _SSRC.pack(packet.ssrc) + _pack_blocks(packet.reports)
        return _header(len(packet.reports), RR, body)
    if isinstance(packet, SourceDescription):
        out = bytearray()
        for chunk in packet.chunks:
            out += _SSRC.pack(chunk.ssrc)
            for kind, value in chunk.items:
                out += bytes([kind, len(value)]) + value
            out += b"\x00"
            out += b"\x00" * (-len(out) % 4)
        return _header(len(packet.chunks), SDES, bytes(out))
    if isinstance(packet, Bye):
        body = b"".join(_SSRC.pack(s) for s in packet.sources)
        if packet.reason is not None:
            text = packet.reason.encode()
            body += bytes([len(text)]) + text
            body += b"\x00" * (-len(body) % 4)
        return _header(len(packet.sources), BYE, body)
    return _header(packet.count, packet.packet_type, packet.payload)
