"""multipart/mixed parsing: RFC 2046 shapes and the defective samples of the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srs.sip.headers import Headers
from srs.sip.message import SipParseError
from srs.sip.multipart import BodyPart, build_multipart, parse_multipart

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def test_rfc2046_preamble_epilogue_quoted_boundary_crlf() -> None:
    body = (
        b"This is the preamble.\r\n"
        b"--b1 x\r\n"
        b"Content-Type: application/sdp\r\n\r\n"
        b"v=0\r\n"
        b"\r\n--b1 x\r\n"
        b"Content-Disposition: recording-session\r\n"
        b"Content-Type: application/rs-metadata+xml; charset=utf-8\r\n\r\n"
        b"<recording/>\r\n"
        b"--b1 x--\r\n"
        b"epilogue --b1 x\r\n"
    )
    parts = parse_multipart('multipart/mixed; boundary="b1 x"', body)
    assert [(p.content_type, p.content_disposition, p.body) for p in parts] == [
        ("application/sdp", None, b"v=0\r\n"),
        ("application/rs-metadata+xml", "recording-session", b"<recording/>"),
    ]
    assert parts[1].headers.get("content-type") == "application/rs-metadata+xml; charset=utf-8"


def test_lf_only_and_part_without_headers() -> None:
    body = b"--x\n\nplain\n--x\nContent-Type: a/b\n\nB\n--x--"
    parts = parse_multipart("multipart/mixed;boundary=x", body)
    assert [(p.content_type, p.body) for p in parts] == [(None, b"plain"), ("a/b", b"B")]


def test_missing_close_delimiter_keeps_last_part() -> None:
    parts = parse_multipart("multipart/mixed;boundary=x", b"--x\r\nContent-Type: a/b\r\n\r\nAB\r\n")
    assert [(p.content_type, p.body) for p in parts] == [("a/b", b"AB\r\n")]


def test_cisco_cube_three_parts_disposition_first() -> None:
    parts = parse_multipart(
        "multipart/mixed;boundary=uniqueBoundary", corpus("drachtio-srs__cisco-cube-offer-body.txt")
    )
    assert [p.content_type for p in parts] == [
        "application/sdp", "application/rs-metadata+xml", "application/gtd",
    ]  # fmt: skip
    assert [p.content_disposition for p in parts] == ["session", "recording-session", "signal"]
    assert parts[0].body.startswith(b"v=0\n") and parts[0].body.endswith(b"a=label:2\n")
    assert parts[1].body.rstrip().endswith(b"</recording>")
    assert parts[2].headers.get("Content-Disposition") == "signal;handling=optional"


def test_mangled_broadworks_media_type_kept_raw() -> None:
    parts = parse_multipart(
        "multipart/mixed;boundary=UniqueBroadWorksBoundary",
        corpus("drachtio-srs__broadworks-offer_mangled-body.txt"),
    )
    assert [p.content_type for p in parts] == ["application/ +xml", "application/sdp"]
    assert parts[0].headers.get("Content-Length") == "2012"  # per-part length is ignored
    assert parts[0].body.startswith(b"<recording_metadata")
    assert b"a=label:1" in parts[1].body


def test_aws_template_boundary_recovered_from_content_type_lines() -> None:
    raw = corpus("aws-chime-sdk-doc__siprec-example-initial-invite-complete.txt")
    body = raw.partition(b"\n\n")[2]
    parts = parse_multipart("multipart/mixed;boundary={{boundary}}", body)
    assert [p.content_type for p in parts] == ["application/sdp", "application/rs-metadata"]
    sdp = parts[0].body
    assert sdp.startswith(b"...\nm=audio 49170 RTP/AVP 0\n")  # doc indentation removed
    assert [ln for ln in sdp.split(b"\n") if ln.startswith(b"a=label:")] == [
        b"a=label:96", b"a=label:97", b"a=label:98", b"a=label:99",
    ]  # fmt: skip
    assert parts[1].content_disposition == "recording-session"
    assert parts[1].body.startswith(b"<?xml")
    assert parts[1].body.rstrip().endswith(b"</recording>")


def test_oracle_sample_without_boundaries_or_blank_line() -> None:
    parts = parse_multipart(
        "multipart/mixed;boundary=unique-boundary-1",
        corpus("oracle-sbc-doc__sample-sdp-metadata-note1-initial.txt"),
    )
    assert [p.content_type for p in parts] == ["application/sdp", "application/rs-metadata+xml"]
    assert parts[0].body.endswith(b"a=label:1\n")
    assert parts[1].content_disposition == "recording-session"
    assert parts[1].body.startswith(b"<?xml version='1.0'")


def test_wrong_boundary_param_sniffs_real_one() -> None:
    body = corpus("drachtio-srs__sonus-sbc-offer-body.txt")
    parts = parse_multipart("multipart/mixed;boundary=not-this-one", body)
    assert [p.content_type for p in parts] == ["application/sdp", "application/rs-metadata+xml"]
    assert parts == parse_multipart("multipart/mixed;boundary=sonus-content-delim", body)


def test_no_parts_is_an_error() -> None:
    with pytest.raises(SipParseError) as info:
        parse_multipart("multipart/mixed;boundary=x", b"just text\n")
    assert info.value.message == "Multipart body has no parts"


@st.composite
def parts_strategy(draw: st.DrawFn) -> list[BodyPart]:
    out = []
    for _ in range(draw(st.integers(1, 4))):
        ctype = draw(
            st.sampled_from(["application/sdp", "application/rs-metadata+xml", "text/plain"])
        )
        headers = Headers([("Content-Type", ctype)])
        if draw(st.booleans()):
            headers.add("Content-Disposition", "recording-session")
        out.append(BodyPart(headers, draw(st.binary(max_size=80))))
    return out


@settings(max_examples=150, deadline=None)
@given(parts_strategy(), st.sampled_from(["b", "unique-boundary-1", "OSS-unique-boundary-42"]))
def test_build_parse_round_trip(parts: list[BodyPart], boundary: str) -> None:
    # a body that contains the delimiter line cannot be framed: the sender must pick another
    for part in parts:
        if f"--{boundary}".encode() in part.body:
            return
    ctype, body = build_multipart(parts, boundary)
    assert parse_multipart(ctype, body) == parts
