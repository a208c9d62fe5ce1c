"""Every SIP message of the real-world corpus, parsed as a datagram and as a TCP stream.

Two views of each file:

* *as published*: the exact bytes, as a datagram.  Defective samples must fail with the
  exact error a peer would get (the expectations come from the corpus INDEX flags).
* *on the wire*: the normalisation a real sender would have applied (INDEX.md "How to
  read the files": CRLF line ends, recomputed Content-Length, SIPp keywords substituted),
  parsed whole and fed byte by byte through ``StreamFramer``.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from srs.sip.message import (
    SipParseError,
    SipRequest,
    SipResponse,
    StreamFramer,
    parse_message,
    parse_name_addr,
)
from srs.sip.multipart import parse_multipart

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"

# file -> exact outcome of parse_message on the published bytes: an error message, or
# ("ok", body length).
AS_PUBLISHED: dict[str, str | tuple[str, int]] = {
    "aws-chime-sdk-doc__siprec-example-initial-invite-complete.txt": "Continuation line before first header '   Via: SIP/2.0/TCP src.example.com;branch=z9hG4bKdf6b622b648d9'",
    "aws-chime-sdk-doc__siprec-example-hold-partial.txt": "Continuation line before first header '            Via: SIP/2.0/TCP src.example.com;branch=z9hG4bKdf6b622b648d9'",
    "aws-chime-sdk-doc__siprec-example-resume-partial.txt": "Continuation line before first header '      Via: SIP/2.0/TCP src.example.com;branch=z9hG4bKdf6b622b648d9'",
    "cisco-cube-doc__siprec-media-proxy-invite.txt": "Content-Length 2250 exceeds body length 2218",
    "cisco-cube-doc__ucm-nbr-from-header-fragment.txt": "Malformed request line 'From: \"abcd\" <sip:198101@10.200.25.137;'",
    "cisco-doc-200788__cucm10.5-bib-ack1-nearend-sdp.txt": "Content-Length 254 exceeds body length 240",
    "cisco-doc-200788__cucm10.5-bib-ack2-farend-sdp.txt": "Content-Length 254 exceeds body length 240",
    "cisco-doc-200788__cucm10.5-bib-invite1-nearend.txt": ("ok", 0),
    "cisco-doc-200788__cucm10.5-bib-invite2-farend.txt": ("ok", 0),
    "cisco-doc-200788__cucm11.5-bib-ack-to-recorder-farend-sdp.txt": "Content-Length 235 exceeds body length 223",
    "cisco-doc-200788__cucm11.5-bib-ack-to-recorder-nearend-sdp.txt": "Content-Length 235 exceeds body length 223",
    "cisco-doc-200788__cucm11.5-bib-invite1-nearend.txt": ("ok", 0),
    "cisco-doc-200788__cucm11.5-bib-invite2-farend.txt": ("ok", 0),
    "cisco-doc-200788__cucm11.5-mediasense-200ok-savp-crypto-redacted.txt": "Content-Length 475 exceeds body length 460",
    "gh-go-test-unresolved-repo__audiocodes-mediant-ve-7.20A-invite-crlf.txt": ("ok", 1986),
    "vorpal-blade__oracle-sbc-genesys-4stream-request-in-cdata.txt": "Content-Length 3607 exceeds body length 3592",
    # body re-indented when pasted: longer than declared, so truncated (RFC 3261 §18.3)
    "vorpal-blade__oracle-sbc-genesys-4stream-siprecInvite.txt": ("ok", 3533),
    "vorpal-blade__oracle-sbc-invite-template-siprec-acme.txt": "Missing mandatory header Via",
    "oracle-sbc-doc__sample-sdp-metadata-note1-initial.txt": "Malformed request line 'Content-Type: application/sdp'",
}

# Messages on the wire: name -> (start line, Call-ID, body part media types).
SIP_FILES: dict[str, tuple[str, str, list[str | None]]] = {
    "aws-chime-sdk-doc__siprec-example-initial-invite-complete.txt": (
        "INVITE",
        "d253c800-b0d1ea39-4a7dd-3f0e20a",
        ["application/sdp", "application/rs-metadata"],
    ),
    "aws-chime-sdk-doc__siprec-example-hold-partial.txt": (
        "INVITE",
        "d253c800-b0d1ea39-4a7dd-3f0e20a",
        ["application/sdp", "application/rs-metadata"],
    ),
    "aws-chime-sdk-doc__siprec-example-resume-partial.txt": (
        "INVITE",
        "d253c800-b0d1ea39-4a7dd-3f0e20a",
        ["application/sdp", "application/rs-metadata"],
    ),
    "cisco-cube-doc__siprec-media-proxy-invite.txt": (
        "INVITE",
        "B0FA2851-4D4811EA-82E5D263-E98F8024@8.43.33.209",
        ["application/sdp", "application/rs-metadata+xml"],
    ),
    "cisco-doc-200788__cucm10.5-bib-ack1-nearend-sdp.txt": (
        "ACK",
        "abbb8e00-4291f775-204c-5a20300e@10.48.32.90",
        [],
    ),
    "cisco-doc-200788__cucm10.5-bib-ack2-farend-sdp.txt": (
        "ACK",
        "abbb8e00-4291f775-204d-5a20300e@10.48.32.90",
        [],
    ),
    "cisco-doc-200788__cucm10.5-bib-invite1-nearend.txt": (
        "INVITE",
        "abbb8e00-4291f775-204c-5a20300e@10.48.32.90",
        [],
    ),
    "cisco-doc-200788__cucm10.5-bib-invite2-farend.txt": (
        "INVITE",
        "abbb8e00-4291f775-204d-5a20300e@10.48.32.90",
        [],
    ),
    "cisco-doc-200788__cucm11.5-bib-ack-to-recorder-farend-sdp.txt": (
        "ACK",
        "35eddd80-d6514bf0-3283-526300e@10.48.38.5",
        [],
    ),
    "cisco-doc-200788__cucm11.5-bib-ack-to-recorder-nearend-sdp.txt": (
        "ACK",
        "35554700-d6514bef-3281-526300e@10.48.38.5",
        [],
    ),
    "cisco-doc-200788__cucm11.5-bib-invite1-nearend.txt": (
        "INVITE",
        "35554700-d6514bef-3281-526300e@10.48.38.5",
        [],
    ),
    "cisco-doc-200788__cucm11.5-bib-invite2-farend.txt": (
        "INVITE",
        "35eddd80-d6514bf0-3283-526300e@10.48.38.5",
        [],
    ),
    "cisco-doc-200788__cucm11.5-mediasense-200ok-savp-crypto-redacted.txt": (
        "200",
        "35eddd80-d6514bf0-3283-526300e@10.48.38.5",
        [],
    ),
    "gh-go-test-unresolved-repo__audiocodes-mediant-ve-7.20A-invite-crlf.txt": (
        "INVITE",
        "1974564438218202316425@8.8.8.8",
        ["application/sdp", "application/rs-metadata"],
    ),
    "vorpal-blade__oracle-sbc-genesys-4stream-request-in-cdata.txt": (
        "INVITE",
        "ef6aaf063cd6dce6837da8d85584e236070@10.73.217.237",
        ["application/sdp", "application/rs-metadata+xml"],
    ),
    "vorpal-blade__oracle-sbc-genesys-4stream-siprecInvite.txt": (
        "INVITE",
        "13b4b541dc1b6078eaaa4ab84f52d094040@10.178.60.190",
        ["application/sdp", "application/rs-metadata+xml"],
    ),
}

# drachtio bodies (and the boundary-less Oracle doc samples) wrapped in an INVITE.
BODY_FILES: dict[str, list[str | None]] = {
    "drachtio-srs__acme-oracle-sbc-offer-body.txt": ["application/sdp", "application/rs-metadata+xml"],
    "drachtio-srs__broadworks-offer-2_actually-avaya-sbce-body.txt": ["application/sdp", "application/rs-metadata+xml"],
    "drachtio-srs__broadworks-offer_mangled-body.txt": ["application/ +xml", "application/sdp"],
    "drachtio-srs__cisco-cube-inactive-sdp-body.txt": ["application/sdp", "application/rs-metadata+xml"],
    "drachtio-srs__cisco-cube-offer-body.txt": ["application/sdp", "application/rs-metadata+xml", "application/gtd"],
    "drachtio-srs__connectel-opensips-offer-body.txt": ["application/sdp", "application/rs-metadata+xml"],
    "drachtio-srs__procomm-sems-offer-body.txt": ["application/sdp", "application/rs-metadata"],
    "drachtio-srs__sonus-sbc-offer-body.txt": ["application/sdp", "application/rs-metadata+xml"],
    "oracle-sbc-doc__sample-sdp-metadata-note1-initial.txt": ["application/sdp", "application/rs-metadata+xml"],
    "oracle-sbc-doc__sample-sdp-metadata-note2-reinvite-partial.txt": ["application/sdp", "application/rs-metadata+xml"],
}  # fmt: skip

# SIPp scenarios: name -> (methods in order, Call-ID after substitution)
SIPP_FILES = {
    "drachtio-srs__sipp-uac_siprec_pcap.xml": (
        ["INVITE", "ACK", "INVITE", "ACK", "BYE"],
        "1-1234@127.0.0.1",
    ),
    "drachtio-srs__sipp-uac_siprec_pcap2-sonus.xml": (
        ["INVITE", "ACK", "BYE"],
        "1-1234@127.0.0.1-XX",
    ),
}
SIPP_PARTS: list[str | None] = ["application/sdp", "application/rs-metadata"]

SIPP_KEYWORDS = {
    "[local_ip]": "127.0.0.1",
    "[local_port]": "5070",
    "[remote_ip]": "127.0.0.1",
    "[remote_port]": "5060",
    "[transport]": "TCP",
    "[branch]": "z9hG4bK-sipp-1",
    "[call_id]": "1-1234@127.0.0.1",
    "[pid]": "1234",
    "[call_number]": "1",
    "[service]": "srs",
    "[peer_tag_param]": ";tag=srs-1",
    "[local_ip_type]": "4",
    "[auto_media_port]": "6000",
    "[len]": "0",  # rewritten by with_length
}


def read(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def with_length(head: bytes, body: bytes) -> bytes:
    """Join a CRLF header block and body, (re)writing Content-Length."""
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"content-length:")]
    lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def to_wire(raw: bytes) -> bytes:
    """What the sender of a documentation excerpt puts on the wire."""
    if b"\r\n" not in raw:
        raw = raw.replace(b"\n", b"\r\n")
    head, sep, body = raw.partition(b"\r\n\r\n")
    return with_length(head.rstrip(b"\r\n"), body if sep else b"")


def aws_to_wire(raw: bytes) -> bytes:
    """The AWS page indents the headers and lost the folding indent of ``Accept``."""
    head, _, body = raw.partition(b"\n\n")
    lines = head.split(b"\n")
    fixed = [lines[0]]
    for line in lines[1:]:
        if b":" not in line:
            fixed.append(b" " + line.strip())  # continuation line
        else:
            fixed.append(line.strip())
    return to_wire(b"\n".join(fixed) + b"\n\n" + body)


def wrap_body(body: bytes, boundary: str) -> bytes:
    head = (
        "INVITE sip:srs@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-wrap\r\n"
        "From: <sip:src@192.0.2.1>;tag=src1\r\n"
        "To: <sip:srs@127.0.0.1>\r\n"
        "Call-ID: wrap-1@192.0.2.1\r\n"
        "CSeq: 1 INVITE\r\n"
        "Max-Forwards: 70\r\n"
        "Require: siprec\r\n"
        f"Content-Type: multipart/mixed;boundary={boundary}"
    )
    return with_length(head.encode(), body)


def body_boundary(body: bytes) -> str:
    """INDEX.md: the boundary is on line 2 of drachtio bodies (none in the Oracle docs)."""
    for line in body.split(b"\n")[:3]:
        if line.startswith(b"--"):
            return line[2:].strip().decode()
    return "{{boundary}}"


def sipp_messages(name: str) -> list[bytes]:
    text = read(name).decode("iso-8859-1")
    out = []
    for block in re.findall(r"<!\[CDATA\[(.*?)\]\]>", text, flags=re.S):
        block = textwrap.dedent(block).strip("\n")
        if not block.strip():
            continue
        for key, value in SIPP_KEYWORDS.items():
            block = block.replace(key, value)
        assert "[" not in block.split("\n\n")[0], block
        head, _, body = block.partition("\n\n")
        out.append(
            with_length(head.replace("\n", "\r\n").encode(), body.replace("\n", "\r\n").encode())
        )
    return out


def wire_messages() -> list[tuple[str, bytes]]:
    """Every corpus message, normalised for the wire."""
    out = []
    for name in SIP_FILES:
        raw = read(name)
        out.append((name, aws_to_wire(raw) if name.startswith("aws-") else to_wire(raw)))
    for name in BODY_FILES:
        body = read(name)
        out.append((name, wrap_body(body, body_boundary(body))))
    for name in SIPP_FILES:
        for i, msg in enumerate(sipp_messages(name)):
            out.append((f"{name}#{i}", msg))
    return out


WIRE = wire_messages()


def feed_bytewise(data: bytes) -> list[SipRequest | SipResponse | SipParseError]:
    framer = StreamFramer()
    out: list[SipRequest | SipResponse | SipParseError] = []
    for i in range(len(data)):
        out.extend(framer.feed(data[i : i + 1]))
    assert not framer.broken
    assert framer.buffered == 0
    return out


def test_corpus_is_fully_covered() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.suffix in (".txt", ".xml")}
    metadata_only = {n for n in files if n.startswith(("ng911lib__", "netsapiens-"))}
    fragments = {
        "oracle-sbc-doc__ucid-spl-extensiondata-fragment.txt",
        "cisco-cube-doc__ucm-nbr-from-header-fragment.txt",
        "vorpal-blade__oracle-sbc-invite-template-siprec-acme.txt",
    }
    covered = set(SIP_FILES) | set(BODY_FILES) | set(SIPP_FILES) | metadata_only | fragments
    assert files == covered


@pytest.mark.parametrize("name", sorted(AS_PUBLISHED))
def test_as_published(name: str) -> None:
    expected = AS_PUBLISHED[name]
    raw = read(name)
    if isinstance(expected, str):
        with pytest.raises(SipParseError) as info:
            parse_message(raw)
        assert info.value.message == expected
        assert info.value.status == 400
    else:
        msg = parse_message(raw)
        assert len(msg.body) == expected[1]


def test_as_published_error_keeps_partial_request() -> None:
    with pytest.raises(SipParseError) as info:
        parse_message(read("cisco-cube-doc__siprec-media-proxy-invite.txt"))
    partial = info.value.partial
    assert partial is not None
    assert partial.method == "INVITE"
    assert partial.call_id == "B0FA2851-4D4811EA-82E5D263-E98F8024@8.43.33.209"
    assert partial.top_via.branch == "z9hG4bK20959B"
    assert partial.cseq == (101, "INVITE")


def test_template_missing_headers_does_not_break_stream() -> None:
    raw = to_wire(read("vorpal-blade__oracle-sbc-invite-template-siprec-acme.txt"))
    framer = StreamFramer()
    events = framer.feed(raw + raw)
    assert [e.message for e in events if isinstance(e, SipParseError)] == [
        "Missing mandatory header Via"
    ] * 2
    assert not framer.broken


def check(name: str, msg: SipRequest | SipResponse) -> None:
    base = name.split("#")[0]
    if base in SIP_FILES:
        first, call_id, parts = SIP_FILES[base]
        if first.isdigit():
            assert isinstance(msg, SipResponse) and msg.status == int(first)
        else:
            assert isinstance(msg, SipRequest) and msg.method == first
        assert msg.call_id == call_id
    elif base in BODY_FILES:
        parts = BODY_FILES[base]
        assert msg.call_id == "wrap-1@192.0.2.1"
    else:
        parts = SIPP_PARTS
        assert msg.call_id == SIPP_FILES[base][1]
    assert msg.cseq.method == (msg.method if isinstance(msg, SipRequest) else "INVITE")
    assert msg.top_via.branch
    if msg.content_type == "multipart/mixed":
        found = parse_multipart(msg.headers.get("Content-Type") or "", msg.body)
        assert [p.content_type for p in found] == parts
        assert all(p.body for p in found)
    else:
        assert base not in BODY_FILES and (base in SIP_FILES or not msg.body)


@pytest.mark.parametrize(("name", "data"), WIRE, ids=[n for n, _ in WIRE])
def test_wire_whole(name: str, data: bytes) -> None:
    msg = parse_message(data)
    check(name, msg)
    assert parse_message(msg.serialize()) == msg


@pytest.mark.parametrize(("name", "data"), WIRE, ids=[n for n, _ in WIRE])
def test_wire_byte_by_byte(name: str, data: bytes) -> None:
    events = feed_bytewise(b"\r\n\r\n" + data + b"\r\n" + data)
    assert len(events) == 2
    for event in events:
        assert not isinstance(event, SipParseError), event
        assert event == parse_message(data)
        check(name, event)


def test_whole_corpus_in_one_stream_read() -> None:
    stream = b"".join(data for _, data in WIRE)
    events = StreamFramer(max_body_size=10000).feed(stream)
    assert [e.call_id for e in events if not isinstance(e, SipParseError)] == [
        parse_message(d).call_id for _, d in WIRE
    ]


def test_sipp_dialogs() -> None:
    for name, (methods, call_id) in SIPP_FILES.items():
        msgs = [parse_message(m) for m in sipp_messages(name)]
        assert [m.method for m in msgs if isinstance(m, SipRequest)] == methods
        assert {m.call_id for m in msgs} == {call_id}


def test_truncated_siprec_invite_keeps_declared_length() -> None:
    msg = parse_message(read("vorpal-blade__oracle-sbc-genesys-4stream-siprecInvite.txt"))
    parts = parse_multipart(msg.headers.get("Content-Type") or "", msg.body)
    # the SDP survives the truncation; the metadata part is cut short
    assert parts[0].content_type == "application/sdp"
    assert parts[0].body.count(b"a=label:") == 4
    assert not parts[1].body.rstrip().endswith(b"</recording>")


def test_header_facts_from_index() -> None:
    aws = parse_message(
        aws_to_wire(read("aws-chime-sdk-doc__siprec-example-initial-invite-complete.txt"))
    )
    assert aws.headers.get("Session-ID") == (
        "ab30317f1a784dc48ff824d0d3715d86 ;remote=00000000000000000000000000000000"
    )
    assert aws.headers.get_all("Accept") == [
        "application/sdp",
        "application/rs-metadata",
        "application/rs-metadata-request",
    ]
    assert aws.headers.get("Require") == "siprec"
    assert aws.content_type_params == {"boundary": "{{boundary}}"}

    vorpal = parse_message(
        read("vorpal-blade__oracle-sbc-genesys-4stream-siprecInvite.txt")
    )  # doubled spaces after colons
    assert vorpal.from_.uri == "sip:acmeSrc@10.173.186.96"
    assert vorpal.from_.tag == "672c8ccd3cdefb59d7d58d58c014ac46"
    assert vorpal.cseq == (111167, "INVITE")
    assert vorpal.headers.get("MIME-Version") == "1.0"
    assert vorpal.content_type_params == {"boundary": "unique-boundary-1"}
    assert parse_name_addr_contact(vorpal) == (
        "sip:acmeSrc@10.173.186.96:5060;transport=tcp",
        ["+sip.src"],
    )

    cucm = parse_message(to_wire(read("cisco-doc-200788__cucm11.5-bib-invite1-nearend.txt")))
    assert cucm.from_.display == "SJ User 2"
    assert cucm.top_via.transport == "TCP"
    assert cucm.headers.get_all("Supported") == [
        "timer", "resource-priority", "replaces", "X-cisco-srtp-fallback", "Geolocation",
    ]  # fmt: skip
    assert cucm.headers.get("Session-Expires") == "1800"
    assert len(cucm.headers.get_all("Call-Info")) == 2

    audiocodes = parse_message(
        read("gh-go-test-unresolved-repo__audiocodes-mediant-ve-7.20A-invite-crlf.txt")
    )
    assert isinstance(audiocodes, SipRequest)
    assert audiocodes.request_uri.params == {"user": "phone"}
    assert audiocodes.top_via.params == {"alias": None, "branch": "z9hG4bKac586296494"}


def parse_name_addr_contact(msg: SipRequest | SipResponse) -> tuple[str, list[str]]:
    contact = parse_name_addr(msg.headers.get("Contact") or "")
    return contact.uri, list(contact.params)
