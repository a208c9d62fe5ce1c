"""RTCP: a compound fixture, exact errors, every prefix, round trips, NTP mapping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srs.media.rtcp import (
    Bye,
    OtherRtcp,
    ReceiverReport,
    ReportBlock,
    RtcpError,
    RtcpPacket,
    SdesChunk,
    SenderReport,
    SourceDescription,
    ntp_to_unix,
    parse_compound,
    serialize,
    unix_to_ntp,
)

SR_HEX = (
    "81c8000c" + "00001234"  # SR, 1 block, 13 words; sender ssrc
    "e800000080000000" + "00000640"  # NTP 0xe8000000.5, RTP ts 1600
    "0000000a" + "00000640"  # 10 packets, 1600 octets
    "00005678" + "19fffffe"  # block: ssrc, fraction 25, lost -2
    "00010064" + "00000020"  # cycles 1 / highest 100, jitter 32
    "aabbccdd" + "00010000"  # LSR, DLSR 1 s
)
SDES_HEX = "81ca0003" + "00001234" + "010461626364" + "0000"  # CNAME "abcd"
BYE_HEX = "81cb0003" + "00001234" + "0462796521000000"  # reason "bye!" + pad
COMPOUND = bytes.fromhex(SR_HEX + SDES_HEX + BYE_HEX)


def test_compound_fixture() -> None:
    sr, sdes, bye = parse_compound(COMPOUND)
    assert sr == SenderReport(
        ssrc=0x1234,
        ntp_timestamp=0xE800000080000000,
        rtp_timestamp=1600,
        packet_count=10,
        octet_count=1600,
        reports=(ReportBlock(0x5678, 25, -2, 0x10064, 32, 0xAABBCCDD, 0x10000),),
    )
    assert isinstance(sr, SenderReport)
    assert sr.ntp_time == 0xE8000000 - 2208988800 + 0.5
    assert sr.rtp_to_unix(1600 + 8000, 8000) == sr.ntp_time + 1
    assert sr.rtp_to_unix(1600 - 800, 8000) == sr.ntp_time - 0.1
    assert sdes == SourceDescription((SdesChunk(0x1234, ((1, b"abcd"),)),))
    assert isinstance(sdes, SourceDescription) and sdes.chunks[0].cname == "abcd"
    assert bye == Bye((0x1234,), "bye!")


def test_rtp_timestamp_wrap_in_sr_mapping() -> None:
    sr = SenderReport(1, unix_to_ntp(1000.0), 0xFFFFFF00, 0, 0)
    assert sr.rtp_to_unix(0x100, 8000) == pytest.approx(1000.0 + 512 / 8000)


def test_receiver_report_and_unknown_types() -> None:
    rr = bytes.fromhex("81c90007" + "00000001" + "00000002" + "00800000" + "0" * 32)
    app = bytes.fromhex("80cc0002" + "00000001" + "6e616d65")
    packets = parse_compound(rr + app)
    assert packets[0] == ReceiverReport(1, (ReportBlock(2, 0, 0x800000 - 0x1000000, 0, 0, 0, 0),))
    assert packets[1] == OtherRtcp(204, 0, bytes.fromhex("000000016e616d65"))


def test_padding_is_removed() -> None:
    padded = bytes.fromhex("a0cb0001" + "00000004")  # P bit, 0 sources, 4 bytes padding
    assert parse_compound(padded) == [Bye((), None)]


ERRORS = [
    (b"\x80\xc8", "RTCP packet too short: 2 bytes, need at least 4"),
    (
        bytes.fromhex(SDES_HEX) + b"\x80\xc9",
        "RTCP trailing 2 bytes at offset 16: need a 4-byte header",
    ),
    (bytes.fromhex("40c80000"), "RTCP packet at offset 0 has version 1, expected 2"),
    (
        bytes.fromhex("80c80006") + b"\x00" * 8,
        "RTCP packet at offset 0 declares 28 bytes, only 12 remain",
    ),
    (bytes.fromhex("a0cb0001" + "00000000"), "RTCP padding length 0 invalid in packet at offset 0"),
    (bytes.fromhex("a0cb0001" + "00000009"), "RTCP padding length 9 invalid in packet at offset 0"),
    (bytes.fromhex("a0cb0000"), "RTCP padding length 0 invalid in packet at offset 0"),
    (
        bytes.fromhex("81c80006") + b"\x00" * 24,
        "RTCP SR at offset 0 has 24 body bytes, 1 report blocks need 48",
    ),
    (
        bytes.fromhex("81c90001") + b"\x00" * 4,
        "RTCP RR at offset 0 has 4 body bytes, 1 report blocks need 28",
    ),
    (
        bytes.fromhex("82ca0003" + "00000001" + "01026869" + "00000000"),
        "RTCP SDES at offset 0: chunk 1 truncated before its SSRC",
    ),
    (
        bytes.fromhex("81ca0002" + "00000001" + "01026869"),
        "RTCP SDES at offset 0: chunk 0 has no end item",
    ),
    (
        bytes.fromhex("81ca0002" + "00000001" + "01096869"),
        "RTCP SDES at offset 0: chunk 0 item 1 truncated",
    ),
    (
        bytes.fromhex("82cb0001" + "00000001"),
        "RTCP BYE at offset 0 lists 2 sources but has 4 body bytes",
    ),
    (
        bytes.fromhex("81cb0002" + "00000001" + "09616263"),
        "RTCP BYE reason at offset 0 declares 9 bytes, only 3 remain",
    ),
]


@pytest.mark.parametrize(("data", "message"), ERRORS)
def test_exact_errors(data: bytes, message: str) -> None:
    with pytest.raises(RtcpError) as info:
        parse_compound(data)
    assert str(info.value) == message


def test_every_prefix_parses_or_raises_rtcp_error() -> None:
    for end in range(len(COMPOUND) + 1):
        try:
            parse_compound(COMPOUND[:end])
        except RtcpError:
            pass


u32 = st.integers(0, 0xFFFFFFFF)
blocks = st.builds(
    ReportBlock,
    u32,
    st.integers(0, 255),
    st.integers(-(2**23), 2**23 - 1),
    u32,
    u32,
    u32,
    u32,
)
block_lists = st.lists(blocks, max_size=31).map(tuple)
packets: st.SearchStrategy[RtcpPacket] = st.one_of(
    st.builds(SenderReport, u32, st.integers(0, 2**64 - 1), u32, u32, u32, block_lists),
    st.builds(ReceiverReport, u32, block_lists),
    st.builds(
        SourceDescription,
        st.lists(
            st.builds(
                SdesChunk,
                u32,
                st.lists(st.tuples(st.integers(1, 255), st.binary(max_size=255)), max_size=4).map(
                    tuple
                ),
            ),
            max_size=31,
        ).map(tuple),
    ),
    st.builds(
        Bye,
        st.lists(u32, max_size=31).map(tuple),
        st.none() | st.text(max_size=60).filter(lambda t: len(t.encode()) <= 255),
    ),
)


@given(st.lists(packets, min_size=1, max_size=4))
def test_round_trip(compound: list[RtcpPacket]) -> None:
    data = b"".join(serialize(p) for p in compound)
    assert parse_compound(data) == compound


@given(st.floats(0, 2**31, allow_nan=False))
def test_ntp_round_trip(t: float) -> None:
    assert ntp_to_unix(unix_to_ntp(t)) == pytest.approx(t, abs=1e-6)
