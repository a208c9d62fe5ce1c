"""RTP helpers: byte fixtures, exact errors, every prefix, round trips, sequence math."""

from __future__ import annotations

import pytest
from aiortc.rtp import RtpPacket
from hypothesis import given
from hypothesis import strategies as st

from srs.media.rtp import (
    DtmfEvent,
    RtpError,
    RtpHeader,
    build_dtmf,
    is_rtcp,
    parse_dtmf,
    parse_rtp,
    payload,
    payload_bounds,
    peek_header,
    seq_add,
    seq_diff,
    seq_gt,
    ts_diff,
)

# PCMU, seq 1, ts 160, SSRC deadbeef, 4 payload bytes.
PCMU = bytes.fromhex("80000001000000a0deadbeef" + "ff7f00fe")
# Marker + PT 8, 2 CSRCs, one-byte-header extension (id 1, 1 byte), 3 bytes padding.
RICH = bytes.fromhex(
    "b2880102000001f400000007"  # V=2 P=1 X=1 CC=2, M=1 PT=8, seq 258, ts 500, ssrc 7
    "0000000a0000000b"  # CSRCs 10, 11
    "bede0001" + "10aa0000"  # extension profile 0xBEDE, 1 word: id 1 len 1 value aa
    "d5d5" + "000003"  # payload d5d5, padding 3
)


def test_peek_header_fixture() -> None:
    assert peek_header(PCMU) == RtpHeader(0, 1, 160, 0xDEADBEEF, False)
    assert peek_header(RICH) == (8, 258, 500, 7, True)


def test_payload_bounds_skip_csrc_extension_and_padding() -> None:
    assert payload_bounds(PCMU) == (12, 16)
    assert payload(PCMU) == bytes.fromhex("ff7f00fe")
    assert payload_bounds(RICH) == (28, 30)  # 12 + 2*4 CSRC + 4 + 4 extension
    assert payload(RICH) == b"\xd5\xd5"


def test_parse_rtp_full() -> None:
    packet = parse_rtp(RICH)
    assert packet.csrc == [10, 11]
    assert packet.payload == b"\xd5\xd5"
    assert packet.padding_size == 3
    assert packet.marker == 1 and packet.payload_type == 8


ERRORS = [
    (PCMU[:11], "RTP packet too short: 11 bytes, need at least 12"),
    (b"", "RTP packet too short: 0 bytes, need at least 12"),
    (bytes([0x40]) + PCMU[1:], "RTP packet has version 1, expected 2"),
    (bytes([0x83]) + PCMU[1:], "RTP CSRC list overflows packet: 3 CSRCs need 24 bytes, have 16"),
    (
        bytes([0x90]) + PCMU[1:14],
        "RTP extension header overflows packet: need 16 bytes, have 14",
    ),
    (
        bytes([0x90]) + PCMU[1:12] + bytes.fromhex("bede0002") + b"\x00" * 4,
        "RTP extension overflows packet: 2 words need 24 bytes, have 20",
    ),
    (bytes([0xA0]) + PCMU[1:12], "RTP padding flag set but no padding length byte"),
    (
        bytes([0xA0]) + PCMU[1:15] + b"\x00",
        "RTP padding length 0 invalid: 4 bytes follow the header",
    ),
    (
        bytes([0xA0]) + PCMU[1:15] + b"\x05",
        "RTP padding length 5 invalid: 4 bytes follow the header",
    ),
]


@pytest.mark.parametrize(("data", "message"), ERRORS)
def test_exact_errors(data: bytes, message: str) -> None:
    with pytest.raises(RtpError) as info:
        payload_bounds(data)
    assert str(info.value) == message
    with pytest.raises(RtpError) as info:
        parse_rtp(data)
    assert str(info.value) == message


@pytest.mark.parametrize("fixture", [PCMU, RICH])
def test_every_prefix_parses_or_raises_rtp_error(fixture: bytes) -> None:
    """The datagram analogue of feeding byte by byte: no IndexError/struct.error."""
    for end in range(len(fixture) + 1):
        try:
            parse_rtp(fixture[:end])
        except RtpError:
            pass


def test_is_rtcp_demux() -> None:
    assert not is_rtcp(PCMU)
    assert is_rtcp(bytes.fromhex("80c80006"))  # SR
    assert is_rtcp(bytes.fromhex("81cb0001"))  # BYE
    assert not is_rtcp(bytes.fromhex("80e0"))  # PT 96 with marker
    assert not is_rtcp(b"\x80")


@given(
    pt=st.integers(0, 127),
    marker=st.integers(0, 1),
    seq=st.integers(0, 0xFFFF),
    ts=st.integers(0, 0xFFFFFFFF),
    ssrc=st.integers(0, 0xFFFFFFFF),
    csrc=st.lists(st.integers(0, 0xFFFFFFFF), max_size=15),
    body=st.binary(max_size=300),
    padding=st.integers(0, 255),
)
def test_round_trip_with_aiortc(
    pt: int,
    marker: int,
    seq: int,
    ts: int,
    ssrc: int,
    csrc: list[int],
    body: bytes,
    padding: int,
) -> None:
    packet = RtpPacket(
        payload_type=pt,
        marker=marker,
        sequence_number=seq,
        timestamp=ts,
        ssrc=ssrc,
        payload=body,
    )
    packet.csrc = csrc
    packet.padding_size = padding
    data = packet.serialize()
    assert peek_header(data) == (pt, seq, ts, ssrc, bool(marker))
    assert payload(data) == body
    again = parse_rtp(data)
    assert (again.csrc, again.payload, again.padding_size) == (csrc, body, padding)


def test_sequence_arithmetic_fixtures() -> None:
    assert seq_add(65535, 1) == 0
    assert seq_add(0, -1) == 65535
    assert seq_gt(0, 65535) and not seq_gt(65535, 0)
    assert seq_diff(2, 65534) == 4 and seq_diff(65534, 2) == -4
    assert seq_diff(32768, 0) == -32768  # the half-range tie goes backwards
    assert not seq_gt(5, 5)
    assert ts_diff(10, 0xFFFFFFF6) == 20 and ts_diff(0xFFFFFFF6, 10) == -20


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_sequence_arithmetic_properties(a: int, b: int) -> None:
    d = seq_diff(a, b)
    assert -32768 <= d <= 32767
    assert seq_add(b, d) == a
    assert seq_gt(a, b) == (0 < (a - b) % 65536 < 32768)
    if a != b and d != -32768:
        assert seq_gt(a, b) != seq_gt(b, a)


def test_dtmf_fixture_rfc4733() -> None:
    # digit 5, end bit, volume 10, duration 800 (100 ms at 8 kHz)
    assert parse_dtmf(bytes.fromhex("058a0320")) == DtmfEvent(5, True, 10, 800)
    assert parse_dtmf(bytes.fromhex("0b0500a0")) == (11, False, 5, 160)  # '#'
    # redundant blocks (§2.5.1.5): the first one is the current event
    assert parse_dtmf(bytes.fromhex("058a0320" + "048a0320")).event == 5
    # the reserved R bit is ignored
    assert parse_dtmf(bytes.fromhex("01ca0320")) == (1, True, 10, 800)


def test_dtmf_exact_error() -> None:
    with pytest.raises(RtpError) as info:
        parse_dtmf(b"\x05\x8a\x03")
    assert str(info.value) == "telephone-event payload too short: 3 bytes, need 4"


@given(st.integers(0, 255), st.booleans(), st.integers(0, 63), st.integers(0, 0xFFFF))
def test_dtmf_round_trip(event: int, end: bool, volume: int, duration: int) -> None:
    assert parse_dtmf(build_dtmf(event, end, volume, duration)) == (event, end, volume, duration)
