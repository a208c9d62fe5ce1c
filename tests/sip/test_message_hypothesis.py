"""Property tests: serialize→parse round trips, and nothing but SipParseError escapes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srs.sip.message import (
    Headers,
    SipParseError,
    SipRequest,
    SipResponse,
    StreamFramer,
    parse_message,
)
from srs.sip.multipart import parse_multipart

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
SIP_CORPUS = [
    p.read_bytes()
    for p in sorted(CORPUS.iterdir())
    if p.suffix == ".txt" and p.read_bytes()[:3] in (b"INV", b"ACK", b"SIP")
]

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

token = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~",
    min_size=1,
    max_size=12,
)
# header values: printable text without line breaks, no surrounding blanks
value = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x85"
    ),
    max_size=40,
).map(lambda s: s.strip(" \t"))
host = st.sampled_from(["example.com", "192.0.2.1", "[2001:db8::1]", "h"])
branch = st.text(alphabet="abcdef0123456789", min_size=1, max_size=10).map(lambda s: "z9hG4bK" + s)
extra_name = token.filter(
    lambda n: (
        n.lower()
        not in {
            "via",
            "from",
            "to",
            "call-id",
            "cseq",
            "content-length",
            "max-forwards",
            "v",
            "f",
            "t",
            "i",
            "l",
        }
    )
)


@st.composite
def messages(draw: st.DrawFn) -> SipRequest | SipResponse:
    method = draw(st.sampled_from(["INVITE", "ACK", "BYE", "OPTIONS", "UPDATE", "INFO"]))
    headers = Headers()
    for _ in range(draw(st.integers(1, 3))):
        headers.add(
            "Via",
            f"SIP/2.0/{draw(st.sampled_from(['UDP', 'TCP', 'TLS']))} {draw(host)}:{draw(st.integers(1, 65535))};branch={draw(branch)}",
        )
    headers.add("From", f"<sip:{draw(token)}@{draw(host)}>;tag={draw(token)}")
    headers.add("To", f'"{draw(token)}" <sip:{draw(token)}@{draw(host)}>')
    headers.add("Call-ID", draw(token) + "@" + draw(host))
    number = draw(st.integers(0, 2**31 - 1))
    for name, val in draw(st.lists(st.tuples(extra_name, value), max_size=6)):
        headers.add(name, val)
    body = draw(st.binary(max_size=200))
    if draw(st.booleans()):
        headers.add("CSeq", f"{number} {method}")
        return SipRequest(method, f"sip:{draw(token)}@{draw(host)}", headers, body)
    headers.add("CSeq", f"{number} {method}")
    status = draw(st.integers(100, 699))
    return SipResponse(status, draw(value), headers, body)


@SETTINGS
@given(messages())
def test_round_trip(m: SipRequest | SipResponse) -> None:
    wire = m.serialize()
    parsed = parse_message(wire, max_size=len(wire))
    assert parsed.headers.items()[:-1] == m.headers.items()
    assert parsed.headers.get("Content-Length") == str(len(m.body))
    assert parsed.body == m.body
    if isinstance(m, SipRequest):
        assert isinstance(parsed, SipRequest)
        assert (parsed.method, parsed.uri) == (m.method, m.uri)
    else:
        assert isinstance(parsed, SipResponse)
        assert (parsed.status, parsed.reason) == (m.status, m.reason)
    assert parsed.serialize() == wire


@SETTINGS
@given(st.lists(messages(), min_size=1, max_size=4), st.integers(1, 50))
def test_stream_round_trip_any_chunking(msgs: list[SipRequest | SipResponse], chunk: int) -> None:
    stream = b"".join(m.serialize() for m in msgs)
    framer = StreamFramer(max_body_size=1000)
    events = []
    for i in range(0, len(stream), chunk):
        events.extend(framer.feed(stream[i : i + chunk]))
    assert [e.serialize() for e in events] == [m.serialize() for m in msgs]  # type: ignore[union-attr]


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["via", "V", "Call-ID", "i", "x-a", "X-A", "contact", "m"]), value
        ),
        max_size=12,
    )
)
def test_headers_model(pairs: list[tuple[str, str]]) -> None:
    h = Headers(pairs)
    for name in ("Via", "Call-ID", "x-a", "Contact"):
        expected = [
            v
            for n, v in pairs
            if n.lower()
            in {name.lower(), {"Via": "v", "Call-ID": "i", "Contact": "m", "x-a": "x-a"}[name]}
        ]
        assert h.raw_values(name) == expected
        assert (name in h) == bool(expected)
    assert h == Headers(h.items())
    copy = h.copy()
    copy.set("Via", "x")
    assert h.raw_values("Via") == [v for n, v in pairs if n.lower() in ("via", "v")]


def assert_only_parse_errors(data: bytes) -> None:
    try:
        m = parse_message(data)
    except SipParseError:
        pass
    else:
        for attr in (
            "vias",
            "top_via",
            "from_",
            "to",
            "cseq",
            "content_type",
            "content_type_params",
        ):
            try:
                getattr(m, attr)
            except SipParseError:
                pass
        wire = m.serialize()
        assert parse_message(wire, max_size=len(wire)).serialize() == wire
    framer = StreamFramer(max_header_size=2048, max_body_size=2048)
    for i in range(0, len(data), 97):
        for event in framer.feed(data[i : i + 97]):
            assert isinstance(event, SipRequest | SipResponse | SipParseError)
    try:
        parse_multipart("multipart/mixed; boundary=unique-boundary-1", data)
    except SipParseError:
        pass


@SETTINGS
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    assert_only_parse_errors(data)


@SETTINGS
@given(
    st.sampled_from(SIP_CORPUS),
    st.lists(
        st.tuples(st.integers(0, 10**6), st.binary(max_size=4), st.integers(0, 4)), max_size=6
    ),
)
def test_mutated_corpus(data: bytes, edits: list[tuple[int, bytes, int]]) -> None:
    buf = bytearray(data)
    for pos, insert, delete in edits:
        pos %= len(buf) + 1
        buf[pos : pos + delete] = insert
    assert_only_parse_errors(bytes(buf))
