"""Property tests: generated descriptions round-trip; any input parses to a fixed point."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from srs.sdp import (
    Attribute,
    Bandwidth,
    Connection,
    MediaDescription,
    Origin,
    SdpError,
    SessionDescription,
)

token = st.from_regex(r"[A-Za-z0-9_.+/\-]{1,10}", fullmatch=True)
name = st.from_regex(r"[A-Za-z0-9_\-]{1,10}", fullmatch=True)
value = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30
).filter(lambda v: v == v.strip())
nonempty_value = value.filter(bool)

connections = st.builds(Connection, token, st.sampled_from(["IP4", "IP6"]), st.just("IN"))
attributes = st.builds(Attribute, name, st.none() | value)
bandwidths = st.builds(Bandwidth, name, token)
media = st.builds(
    MediaDescription,
    media=st.sampled_from(["audio", "video", "application", "image", "text"]),
    port=st.integers(0, 65535),
    proto=st.sampled_from(["RTP/AVP", "RTP/SAVP", "RTP/AVPF", "UDP/TLS/RTP/SAVPF", "udptl"]),
    formats=st.lists(st.integers(0, 127).map(str), max_size=6),
    port_count=st.none() | st.integers(1, 4),
    title=st.none() | nonempty_value,
    connections=st.lists(connections, max_size=2),
    bandwidths=st.lists(bandwidths, max_size=2),
    key=st.none() | nonempty_value,
    attributes=st.lists(attributes, max_size=8),
)
origins = st.builds(
    Origin,
    token,
    st.integers(0, 2**64).map(str),
    st.integers(0, 2**64).map(str),
    st.just("IN"),
    st.sampled_from(["IP4", "IP6"]),
    token,
)
descriptions = st.builds(
    SessionDescription,
    version=st.integers(0, 3),
    origin=st.none() | origins,
    session_name=nonempty_value,
    extra_lines=st.lists(st.tuples(st.sampled_from("iuep"), nonempty_value), max_size=3),
    connection=st.none() | connections,
    bandwidths=st.lists(bandwidths, max_size=2),
    timing=st.lists(
        st.sampled_from(["t=0 0", "t=3034423619 3042462419", "r=7d 1h 0 25h"]), max_size=2
    ),
    post_timing=st.lists(st.tuples(st.sampled_from("zk"), nonempty_value), max_size=2),
    attributes=st.lists(attributes, max_size=4),
    media=st.lists(media, max_size=4),
)


@given(descriptions)
def test_round_trip(desc: SessionDescription) -> None:
    assert SessionDescription.parse(desc.serialize()) == desc


@given(descriptions)
def test_lf_only_reads_the_same(desc: SessionDescription) -> None:
    assert SessionDescription.parse(desc.serialize().replace(b"\r\n", b"\n")) == desc


sdpish = st.lists(
    st.one_of(
        st.tuples(st.sampled_from("vosicbtrzkam"), value).map(lambda t: f"{t[0]}={t[1]}"),
        value,
    ),
    max_size=20,
).map("\n".join)


@settings(max_examples=300)
@given(st.one_of(st.binary(max_size=300), sdpish.map(str.encode)))
def test_any_input_parses_to_a_fixed_point(data: bytes) -> None:
    try:
        desc = SessionDescription.parse(data)
    except SdpError as exc:
        message = str(exc)
        assert message == "not an SDP body: no v= line and no m= line" or (
            message.startswith("m-line ") and " invalid port " in message
        )
        return
    out = desc.serialize()
    again = SessionDescription.parse(out)
    assert again == desc
    assert again.serialize() == out
