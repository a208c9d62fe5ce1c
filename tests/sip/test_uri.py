"""SIP URIs, Via entries and name-addr values: parsing, errors, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srs.sip.message import (
    NameAddr,
    SipParseError,
    SipUri,
    Via,
    parse_name_addr,
    parse_uri,
    parse_via,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sip:alice@example.com", SipUri("sip", "alice", None, "example.com")),
        ("SIPS:bob:secret@[2001:db8::1]:5061;transport=tls?Subject=hi&X=1",
         SipUri("sips", "bob", "secret", "2001:db8::1", 5061, {"transport": "tls"}, {"Subject": "hi", "X": "1"})),
        ("sip:10.178.60.190:5060;transport=tcp", SipUri("sip", None, None, "10.178.60.190", 5060, {"transport": "tcp"})),
        ("sip:+1234;npdi@gw.example;user=phone;lr", SipUri("sip", "+1234;npdi", None, "gw.example", None, {"user": "phone", "lr": None})),
        ("sip:record=01PEP_2024-04-05_12-59-19@127.0.0.1", SipUri("sip", "record=01PEP_2024-04-05_12-59-19", None, "127.0.0.1")),
        ("tel:+15551234;phone-context=x", SipUri("tel", "+15551234", None, "", None, {"phone-context": "x"})),
        ("urn:x-cisco-remotecc:callinfo", SipUri("urn", None, None, "x-cisco-remotecc:callinfo")),
    ],
)  # fmt: skip
def test_parse_uri(text: str, expected: SipUri) -> None:
    uri = parse_uri(text)
    assert uri == expected
    assert parse_uri(str(uri)) == uri


def test_uri_transport_and_str() -> None:
    uri = parse_uri("sip:h;Transport=TCP")
    assert uri.transport == "tcp"
    assert str(parse_uri("sip:u@[::1]:5060;lr")) == "sip:u@[::1]:5060;lr"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alice@example.com", "Malformed URI 'alice@example.com'"),
        ("sip:", "Malformed URI 'sip:'"),
        ("sip:@host", "Empty user part in URI 'sip:@host'"),
        ("sip:a@host:99999", "Invalid port in URI 'host:99999'"),
        ("sip:a@host:5x", "Invalid port in URI 'host:5x'"),
        ("sip:a@[::1", "Unterminated IPv6 reference in URI '[::1'"),
        ("sip:a@[zz]", "Malformed IPv6 host in URI '[zz]'"),
        ("sip:a@", "Malformed host in URI ''"),
        ("sip:a b@c", "Malformed URI 'sip:a b@c'"),
    ],
)
def test_uri_errors(text: str, message: str) -> None:
    with pytest.raises(SipParseError) as info:
        parse_uri(text)
    assert info.value.message == message


def test_parse_via() -> None:
    via = parse_via(
        "SIP / 2.0 / tcp 8.8.8.8:5060;alias;branch=z9hG4bKac586296494;received=1.2.3.4;rport=5062"
    )
    assert via == Via("TCP", "8.8.8.8", 5060, {"alias": None, "branch": "z9hG4bKac586296494", "received": "1.2.3.4", "rport": "5062"})  # fmt: skip
    assert (via.branch, via.received, via.rport) == ("z9hG4bKac586296494", "1.2.3.4", 5062)
    assert (
        str(via)
        == "SIP/2.0/TCP 8.8.8.8:5060;alias;branch=z9hG4bKac586296494;received=1.2.3.4;rport=5062"
    )
    v6 = parse_via("SIP/2.0/UDP [2001:db8::9];BRANCH=z9hG4bK1;rport")
    assert (v6.host, v6.port, v6.branch, v6.rport) == ("2001:db8::9", None, "z9hG4bK1", None)
    assert parse_via(str(v6)) == v6


@pytest.mark.parametrize(
    "text", ["SIP/2.0/UDP", "SIP/3.0/UDP h", "HTTP/2.0/UDP h", "SIP/2.0/UDP h:x", "SIP/2.0/U;DP h"]
)
def test_via_errors(text: str) -> None:
    with pytest.raises(SipParseError) as info:
        parse_via(text)
    assert info.value.message == f"Malformed Via header {text!r}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"SJ User 2" <sip:1001@10.48.38.5;x-farend>;tag=104961~e650',
         NameAddr("SJ User 2", "sip:1001@10.48.38.5;x-farend", {"tag": "104961~e650"})),
        ("sipp <sip:sipp@127.0.0.1:5070>;tag=1234SIPpTag091", NameAddr("sipp", "sip:sipp@127.0.0.1:5070", {"tag": "1234SIPpTag091"})),
        ("sip:acmeSrc@10.173.186.96;tag=672c", NameAddr(None, "sip:acmeSrc@10.173.186.96", {"tag": "672c"})),
        ("<sip:8.43.33.209:5060>;+sip.src", NameAddr(None, "sip:8.43.33.209:5060", {"+sip.src": None})),
        (r'"Say \"hi\" \\ bye"<sip:a@b>', NameAddr('Say "hi" \\ bye', "sip:a@b")),
        ('<sip:1001@h;transport=tcp>;isFocus;+u.sip!devicename.ccm.cisco.com="SEP6C416A369525"',
         NameAddr(None, "sip:1001@h;transport=tcp", {"isFocus": None, "+u.sip!devicename.ccm.cisco.com": '"SEP6C416A369525"'})),
    ],
)  # fmt: skip
def test_parse_name_addr(text: str, expected: NameAddr) -> None:
    na = parse_name_addr(text)
    assert na == expected
    assert parse_name_addr(str(na)) == na


def test_tag_lookup_is_case_insensitive() -> None:
    assert parse_name_addr("<sip:a@b>;TAG=x").tag == "x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '"unterminated <sip:a@b>',
            "Unterminated quoted display name in '\"unterminated <sip:a@b>'",
        ),
        ('"x" sip:a@b', "Missing <URI> after display name in '\"x\" sip:a@b'"),
        ("<sip:a@b", "Unterminated <URI> in '<sip:a@b'"),
        ("<sip:a@b> junk", "Unexpected text after <URI> in '<sip:a@b> junk'"),
        ("", "Malformed address ''"),
    ],
)
def test_name_addr_errors(text: str, message: str) -> None:
    with pytest.raises(SipParseError) as info:
        parse_name_addr(text)
    assert info.value.message == message


label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["sip", "sips"]),
    st.none() | label,
    st.none() | label,
    st.sampled_from(["example.com", "192.0.2.7", "2001:db8::1", "h"]),
    st.none() | st.integers(0, 65535),
    st.dictionaries(label, st.none() | label, max_size=3),
    st.dictionaries(label, label, max_size=2),
)
def test_uri_round_trip(
    scheme: str,
    user: str | None,
    password: str | None,
    host: str,
    port: int | None,
    params: dict[str, str | None],
    headers: dict[str, str],
) -> None:
    uri = SipUri(scheme, user, password if user else None, host, port, dict(params), headers)
    assert parse_uri(str(uri)) == uri


@settings(max_examples=200, deadline=None)
@given(st.none() | st.text(max_size=20).filter(lambda s: "\r" not in s and "\n" not in s), label)
def test_name_addr_round_trip(display: str | None, tag: str) -> None:
    na = NameAddr(display, "sip:a@b;lr", {"tag": tag})
    assert parse_name_addr(str(na)) == na
