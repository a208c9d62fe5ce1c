"""parse_message, StreamFramer, Headers and make_response: behaviour and exact errors."""

from __future__ import annotations

import pytest

from srs.sip.message import (
    REASON_PHRASES,
    CSeq,
    Headers,
    SipParseError,
    SipRequest,
    SipResponse,
    StreamFramer,
    make_response,
    parse_message,
)

INVITE = (
    "INVITE sip:srs@127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1;rport\r\n"
    "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bK-0, SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bK-00\r\n"
    'From: "Alice, A." <sip:alice@example.com>;tag=a1\r\n'
    "To: <sip:srs@127.0.0.1>\r\n"
    "Call-ID: c1@192.0.2.1\r\n"
    "CSeq: 7 INVITE\r\n"
    "Max-Forwards: 70\r\n"
    "Timestamp: 54\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n"
)


def msg(text: str) -> bytes:
    return text.encode()


def replace_header(name: str, line: str | None) -> bytes:
    """INVITE with the ``name`` header line replaced (or removed when ``line`` is None)."""
    out = []
    for ln in INVITE.split("\r\n"):
        if ln.startswith(name + ":"):
            if line is not None:
                out.append(line)
        else:
            out.append(ln)
    return "\r\n".join(out).encode()


# --------------------------------------------------------------------------- success


def test_parse_request_fields() -> None:
    m = parse_message(msg(INVITE))
    assert isinstance(m, SipRequest)
    assert m.method == "INVITE"
    assert m.uri == "sip:srs@127.0.0.1"
    assert m.request_uri.host == "127.0.0.1"
    assert m.call_id == "c1@192.0.2.1"
    assert m.cseq == CSeq(7, "INVITE")
    assert [v.branch for v in m.vias] == ["z9hG4bK-1", "z9hG4bK-0", "z9hG4bK-00"]
    assert m.vias[2].host == "2001:db8::1" and m.vias[2].port == 5062
    assert m.top_via.transport == "UDP"
    assert m.from_.display == "Alice, A." and m.from_.tag == "a1"
    assert m.to.tag is None and m.to.uri == "sip:srs@127.0.0.1"
    assert m.content_type == "application/sdp"
    assert m.body == b"v=0\n"


def test_parse_response() -> None:
    data = (
        "SIP/2.0 180 Ringing Now\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n"
        "To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    m = parse_message(msg(data))
    assert isinstance(m, SipResponse)
    assert (m.status, m.reason, m.to.tag) == (180, "Ringing Now", "2")


def test_tolerates_what_devices_send() -> None:
    sloppy = (
        "\r\n\r\nINVITE  sip:srs@127.0.0.1   SIP/2.0\n"  # leading CRLFs, extra blanks, LF ends
        "v:  SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\n"
        "f: <sip:alice@example.com>\n"
        "\t;tag=a1\n"  # folded
        "T : <sip:srs@127.0.0.1>\n"  # blank before colon
        "I:c1\n"
        "cseq:   7   INVITE  \n"
        "SUBJECT: hi\n"
        "X-Vendor-Thing: keep me\n"
        "\n"
        "body without length"
    )
    m = parse_message(msg(sloppy))
    assert isinstance(m, SipRequest)
    assert m.uri == "sip:srs@127.0.0.1"
    assert m.from_.tag == "a1"
    assert m.headers.get("From") == "<sip:alice@example.com> ;tag=a1"
    assert m.cseq == (7, "INVITE")
    assert [name for name, _ in m.headers.items()] == [
        "Via", "From", "To", "Call-ID", "CSeq", "Subject", "X-Vendor-Thing",
    ]  # fmt: skip
    assert m.body == b"body without length"


def test_shorter_content_length_truncates_datagram() -> None:
    m = parse_message(msg(INVITE) + b"garbage")
    assert m.body == b"v=0\n"


def test_serialize_fills_content_length() -> None:
    m = parse_message(msg(INVITE))
    m.body = b"v=0\r\no=x\r\n"
    wire = m.serialize()
    assert b"\r\nContent-Length: 10\r\n\r\nv=0\r\no=x\r\n" in wire
    assert parse_message(wire).body == m.body
    m.headers.remove("Content-Length")
    assert m.serialize().endswith(b"Content-Length: 10\r\n\r\nv=0\r\no=x\r\n")


def test_serialize_refuses_header_injection() -> None:
    m = parse_message(msg(INVITE))
    m.headers.add("Subject", "x\r\nVia: evil")
    with pytest.raises(ValueError, match="line break"):
        m.serialize()


def test_cache_follows_header_edits() -> None:
    m = parse_message(msg(INVITE))
    assert m.cseq.number == 7
    m.headers.set("CSeq", "8 INVITE")
    assert m.cseq.number == 8
    m.headers.set("Via", "SIP/2.0/TLS h:5061;branch=z9hG4bK-new")
    assert m.top_via.branch == "z9hG4bK-new"
    assert len(m.vias) == 1


# --------------------------------------------------------------------------- errors

ERRORS: list[tuple[str, bytes, str, int, bool]] = [
    ("empty", b"", "Empty message", 400, False),
    ("only crlf", b"\r\n\r\n", "Empty message", 400, False),
    ("garbage", b"HELLO\r\n\r\n", "Malformed request line 'HELLO'", 400, False),
    ("bad method", msg(INVITE.replace("INVITE sip", "INV@TE sip", 1)), "Malformed request line 'INV@TE sip:srs@127.0.0.1 SIP/2.0'", 400, False),
    ("uri", msg(INVITE.replace("sip:srs@127.0.0.1 SIP", "srs SIP", 1)), "Malformed Request-URI 'srs'", 400, False),
    ("version", msg(INVITE.replace("SIP/2.0\r\nVia", "SIP/3.0\r\nVia", 1)), "Unsupported SIP version 'SIP/3.0'", 505, False),
    ("not sip", msg(INVITE.replace("SIP/2.0\r\nVia", "HTTP/1.1\r\nVia", 1)), "Malformed request line 'INVITE sip:srs@127.0.0.1 HTTP/1.1'", 400, False),
    ("resp version", b"SIP/2.1 200 OK\r\n\r\n", "Unsupported SIP version 'SIP/2.1'", 505, False),
    ("status", b"SIP/2.0 20 OK\r\n\r\n", "Malformed status line 'SIP/2.0 20 OK'", 400, False),
    ("status range", b"SIP/2.0 700 Huh\r\n\r\n", "Malformed status line 'SIP/2.0 700 Huh'", 400, False),
    ("no call-id", replace_header("Call-ID", None), "Missing mandatory header Call-ID", 400, True),
    ("no via", replace_header("Via", None), "Missing mandatory header Via", 400, True),
    ("dup from", replace_header("To", "To: <sip:x@y>\r\nFrom: <sip:z@y>;tag=2"), "Duplicate From header", 400, True),
    ("cseq", replace_header("CSeq", "CSeq: abc INVITE"), "Invalid CSeq header 'abc INVITE'", 400, True),
    ("cseq range", replace_header("CSeq", "CSeq: 4294967296 INVITE"), "CSeq number 4294967296 out of range", 400, True),
    ("cseq method", replace_header("CSeq", "CSeq: 7 BYE"), "CSeq method 'BYE' does not match request method 'INVITE'", 400, True),
    ("content-length", replace_header("Content-Length", "Content-Length: 4x"), "Invalid Content-Length value '4x'", 400, True),
    ("content-length dup", replace_header("Content-Length", "Content-Length: 4\r\nl: 5"), "Conflicting Content-Length headers", 400, True),
    ("too long", replace_header("Content-Length", "Content-Length: 3533"), "Content-Length 3533 exceeds body length 4", 400, True),
    ("nul", replace_header("Max-Forwards", "Max-Forwards: 7\x000"), "NUL byte in header section", 400, False),
    ("bare cr", replace_header("Max-Forwards", "Max-Forwards: 7\r0"), "Bare CR in header line 'Max-Forwards: 7\\r0'", 400, True),
    ("no colon", replace_header("Max-Forwards", "Max-Forwards 70"), "Malformed header line 'Max-Forwards 70'", 400, True),
    ("bad name", replace_header("Max-Forwards", "Max Forwards: 70"), "Malformed header name 'Max Forwards'", 400, True),
    ("max-forwards", replace_header("Max-Forwards", "Max-Forwards: lots"), "Invalid Max-Forwards value 'lots'", 400, True),
    ("via", replace_header("Via", "Via: garbage"), "Malformed Via header 'garbage'", 400, True),
    ("via port", replace_header("Via", "Via: SIP/2.0/UDP h:99999;branch=z9hG4bK1"), "Malformed Via header 'SIP/2.0/UDP h:99999;branch=z9hG4bK1'", 400, True),
    ("from", replace_header("From", "From: <sip:alice@example.com"), "Malformed From header '<sip:alice@example.com'", 400, True),
    ("empty call-id", replace_header("Call-ID", "Call-ID:   "), "Empty Call-ID header", 400, True),
    ("fold first", b"INVITE sip:a@b SIP/2.0\r\n Via: x\r\n\r\n", "Continuation line before first header ' Via: x'", 400, True),
    ("long line clipped", b"X" * 200 + b"\r\n\r\n", "Malformed request line '" + "X" * 80 + "...'", 400, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message", "status", "has_partial"),
    [e[1:] for e in ERRORS],
    ids=[e[0] for e in ERRORS],
)
def test_error_table(data: bytes, message: str, status: int, has_partial: bool) -> None:
    with pytest.raises(SipParseError) as info:
        parse_message(data)
    err = info.value
    assert (err.message, err.status) == (message, status)
    assert str(err) == message
    assert err.reason == {400: "Bad Request", 505: "Version Not Supported"}[status]
    assert (err.partial is not None) == has_partial
    if err.partial is not None:
        assert err.partial.method == "INVITE"
        assert err.partial.body == b""


def test_partial_has_what_was_readable() -> None:
    with pytest.raises(SipParseError) as info:
        parse_message(replace_header("Call-ID", None))
    partial = info.value.partial
    assert partial is not None
    assert partial.top_via.branch == "z9hG4bK-1"
    assert partial.from_.tag == "a1"
    assert "Call-ID" not in partial.headers
    response = make_response(partial, info.value.status, info.value.reason)
    assert response.serialize().startswith(b"SIP/2.0 400 Bad Request\r\nVia: ")


def test_size_limit() -> None:
    data = msg(INVITE) + b"x" * 70000
    with pytest.raises(SipParseError) as info:
        parse_message(data)
    assert info.value.message == f"Message of {len(data)} bytes exceeds limit of 65535 bytes"
    assert (info.value.status, info.value.reason) == (513, "Message Too Large")
    assert parse_message(data, max_size=len(data)).body == b"v=0\n"


def test_response_errors_have_no_partial() -> None:
    data = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n\r\n"
    with pytest.raises(SipParseError) as info:
        parse_message(data)
    assert info.value.message == "Missing mandatory header From"
    assert info.value.partial is None


# --------------------------------------------------------------------------- framer


def test_framer_several_messages_in_one_read() -> None:
    framer = StreamFramer()
    events = framer.feed(msg(INVITE) * 3)
    assert [type(e) for e in events] == [SipRequest] * 3
    assert framer.buffered == 0


def test_framer_partial_reads_and_keepalives() -> None:
    framer = StreamFramer()
    data = b"\r\n\r\n" + msg(INVITE) + b"\r\n\r\n\r\n\r\n" + msg(INVITE)
    events = []
    for i in range(len(data)):
        events.extend(framer.feed(data[i : i + 1]))
        if i < len(b"\r\n\r\n" + msg(INVITE)) - 1:
            assert events == []
    assert len(events) == 2 and all(isinstance(e, SipRequest) for e in events)
    assert framer.pings == 3
    assert framer.feed(b"\r\n") == [] and framer.pings == 3


def test_framer_body_is_exactly_content_length() -> None:
    framer = StreamFramer()
    events = framer.feed(msg(INVITE)[:-2])
    assert events == []
    assert framer.buffered == 2
    events = framer.feed(b"0\n" + b"OPTIONS")
    assert len(events) == 1 and events[0].body == b"v=0\n"  # type: ignore[union-attr]
    assert framer.buffered == len(b"OPTIONS")


def test_framer_recoverable_error_keeps_stream() -> None:
    bad = replace_header("Call-ID", None)
    framer = StreamFramer()
    events = framer.feed(bad + msg(INVITE))
    assert isinstance(events[0], SipParseError)
    assert events[0].message == "Missing mandatory header Call-ID"
    assert events[0].partial is not None
    assert isinstance(events[1], SipRequest)
    assert not framer.broken


@pytest.mark.parametrize(
    ("data", "message", "status"),
    [
        (replace_header("Content-Length", None), "Missing Content-Length header on stream transport", 400),
        (replace_header("Content-Length", "Content-Length: -1"), "Invalid Content-Length value '-1'", 400),
        (replace_header("Content-Length", "Content-Length: 70000"), "Content-Length 70000 exceeds limit of 65535 bytes", 413),
        (b"GARBAGE\r\n\r\n", "Malformed request line 'GARBAGE'", 400),
        (b"INVITE sip:a@b SIP/2.0\r\n" + b"X: y\r\n" * 3000, "Header section exceeds limit of 16384 bytes", 513),
    ],
)  # fmt: skip
def test_framer_unrecoverable_errors(data: bytes, message: str, status: int) -> None:
    framer = StreamFramer()
    events = framer.feed(data)
    assert len(events) == 1
    err = events[0]
    assert isinstance(err, SipParseError)
    assert (err.message, err.status) == (message, status)
    assert framer.broken
    assert framer.feed(msg(INVITE)) == []


def test_framer_unrecoverable_error_keeps_partial_for_400() -> None:
    events = StreamFramer().feed(replace_header("Content-Length", None))
    err = events[0]
    assert isinstance(err, SipParseError) and err.partial is not None
    assert err.partial.call_id == "c1@192.0.2.1"


# --------------------------------------------------------------------------- headers


def test_headers_case_and_compact_forms() -> None:
    h = Headers()
    for name, value in [
        ("i", "x"), ("cAll-iD", "y"), ("m", "<sip:a@b>"), ("cseq", "1 INVITE"),
        ("www-authenticate", "Digest"), ("session-expires", "1800"), ("MIN-SE", "90"),
        ("rseq", "1"), ("rack", "1 1 INVITE"), ("record-route", "<sip:p>"),
        ("content-type", "a/b"), ("session-id", "abc"), ("x-custom-Thing", "z"),
        ("e", "gzip"), ("l", "0"), ("c", "a/b"), ("f", "<sip:f>"), ("s", "subj"), ("k", "timer"),
        ("t", "<sip:t>"), ("v", "SIP/2.0/UDP h"), ("o", "refer"), ("u", "talk"), ("r", "<sip:r>"),
        ("b", "<sip:b>"), ("x", "90"), ("y", "sig"), ("a", "*"), ("j", "*"), ("d", "proxy"),
    ]:  # fmt: skip
        h.add(name, value)
    assert [n for n, _ in h.items()] == [
        "Call-ID", "Call-ID", "Contact", "CSeq", "WWW-Authenticate", "Session-Expires",
        "Min-SE", "RSeq", "RAck", "Record-Route", "Content-Type", "Session-ID",
        "x-custom-Thing", "Content-Encoding", "Content-Length", "Content-Type", "From",
        "Subject", "Supported", "To", "Via", "Event", "Allow-Events", "Refer-To",
        "Referred-By", "Session-Expires", "Identity", "Accept-Contact", "Reject-Contact",
        "Request-Disposition",
    ]  # fmt: skip
    assert h.get("CALL-ID") == "x"
    assert h.get("i") == "x"
    assert h.get_all("call-id") == ["x", "y"]
    assert "X-CUSTOM-THING" in h and "x" in h and "nope" not in h
    assert h.get("nope", "dflt") == "dflt"


def test_headers_list_splitting() -> None:
    h = Headers(
        [
            ("Contact", '"Smith, J" <sip:j@x;a=b,c>;q=0.5, <sip:k@y>'),
            ("Contact", "sip:l@z"),
            ("Supported", "timer, 100rel,,replaces"),
            ("Subject", "a, b"),
        ]
    )
    assert h.get_all("m") == ['"Smith, J" <sip:j@x;a=b,c>;q=0.5', "<sip:k@y>", "sip:l@z"]
    assert h.get("Contact") == '"Smith, J" <sip:j@x;a=b,c>;q=0.5'
    assert h.get_all("k") == ["timer", "100rel", "replaces"]
    assert h.get_all("Subject") == ["a, b"]  # not list-valued
    assert h.get_all("Allow") == []


def test_headers_set_remove_copy() -> None:
    h = Headers([("Via", "1"), ("To", "t"), ("Via", "2"), ("From", "f")])
    c = h.copy()
    h.set("v", "3")
    assert h.items() == [("Via", "3"), ("To", "t"), ("From", "f")]
    h.set("Subject", "s")
    assert h.items()[-1] == ("Subject", "s")
    h.remove("to")
    h.remove("absent")
    assert h.items() == [("Via", "3"), ("From", "f"), ("Subject", "s")]
    assert h.get_all("Via") == ["3"]
    assert c.items() == [("Via", "1"), ("To", "t"), ("Via", "2"), ("From", "f")]
    assert c.get_all("Via") == ["1", "2"]
    assert c != h and c == c.copy()
    assert len(c) == 4


# --------------------------------------------------------------------------- responses


def test_make_response_copies_per_rfc3261_8_2_6() -> None:
    req = parse_message(msg(INVITE))
    assert isinstance(req, SipRequest)
    r = make_response(req, 200, to_tag="srs1", body=b"v=0\r\n", content_type="application/sdp",
                      headers=[("Contact", "<sip:srs@127.0.0.1>"), ("Supported", "timer")])  # fmt: skip
    assert r.headers.raw_values("Via") == req.headers.raw_values("Via")
    assert [v.branch for v in r.vias] == ["z9hG4bK-1", "z9hG4bK-0", "z9hG4bK-00"]
    assert r.headers.get("From") == req.headers.get("From")
    assert r.to.tag == "srs1"
    assert (r.call_id, r.cseq) == (req.call_id, req.cseq)
    assert (r.status, r.reason) == (200, "OK")
    assert r.content_type == "application/sdp"
    assert "Timestamp" not in r.headers and "Max-Forwards" not in r.headers
    wire = r.serialize()
    again = parse_message(wire)
    assert again.serialize() == wire
    assert again.headers.items()[:-1] == r.headers.items()
    assert wire.endswith(b"Content-Length: 5\r\n\r\nv=0\r\n")


def test_make_response_keeps_existing_to_tag_and_copies_timestamp_in_100() -> None:
    req = parse_message(replace_header("To", "To: <sip:srs@127.0.0.1>;tag=old"))
    assert isinstance(req, SipRequest)
    r = make_response(req, 100, to_tag="new")
    assert r.to.tag == "old"
    assert r.reason == "Trying"
    assert r.headers.get("Timestamp") == "54"
    assert make_response(req, 487, "Gone Away").reason == "Gone Away"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (100, "Trying"), (180, "Ringing"), (183, "Session Progress"), (200, "OK"),
        (400, "Bad Request"), (403, "Forbidden"), (404, "Not Found"),
        (405, "Method Not Allowed"), (408, "Request Timeout"),
        (415, "Unsupported Media Type"), (420, "Bad Extension"), (421, "Extension Required"),
        (422, "Session Interval Too Small"), (480, "Temporarily Unavailable"),
        (481, "Call/Transaction Does Not Exist"), (482, "Loop Detected"), (486, "Busy Here"),
        (487, "Request Terminated"), (488, "Not Acceptable Here"), (491, "Request Pending"),
        (500, "Server Internal Error"), (501, "Not Implemented"),
        (503, "Service Unavailable"), (504, "Server Time-out"),
        (505, "Version Not Supported"), (513, "Message Too Large"), (499, "Client Error"),
    ],
)  # fmt: skip
def test_default_reason_phrases(status: int, reason: str) -> None:
    req = parse_message(msg(INVITE))
    assert isinstance(req, SipRequest)
    assert make_response(req, status).reason == reason
    assert status == 499 or REASON_PHRASES[status] == reason
