"""Finding SDP and metadata in real SRC bodies; SIPREC detection."""

from __future__ import annotations

import pytest
from corpus_messages import corpus

from srs.session.body import (
    MetadataPart,
    SplitBody,
    UnsupportedBody,
    is_siprec,
    sniff_sdp,
    split_body,
)
from srs.sip.headers import Headers
from srs.sip.multipart import parse_multipart

SDP = b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
XML = b"<?xml version='1.0'?><recording xmlns='urn:ietf:params:xml:ns:recording:1'/>"


def split(name: str) -> SplitBody:
    body = corpus(name)
    boundary = body.lstrip().splitlines()[0].decode().strip()[2:]
    header = f"multipart/mixed;boundary={boundary}"
    return split_body("multipart/mixed", header, body, parse_multipart)


def test_plain_sdp() -> None:
    assert split_body("application/sdp", "application/sdp", SDP, parse_multipart).sdp == SDP


def test_empty_body() -> None:
    assert split_body(None, None, b"\r\n", parse_multipart) == SplitBody()


@pytest.mark.parametrize("ctype", ["application/rs-metadata+xml", "application/rs-metadata"])
def test_metadata_only_body(ctype: str) -> None:
    assert split_body(ctype, ctype, XML, parse_multipart) == SplitBody(
        None, [MetadataPart(XML, ctype)]
    )


def test_cisco_cube_three_parts_gtd_ignored() -> None:
    got = split("drachtio-srs__cisco-cube-offer-body.txt")
    assert got.sdp is not None and got.sdp.startswith(b"v=0")
    assert b"application/gtd" not in got.sdp
    assert [m.content_type for m in got.metadata] == ["application/rs-metadata+xml"]
    assert got.metadata[0].raw.lstrip().startswith(b"<?xml")


def test_metadata_before_sdp_with_mangled_media_type() -> None:
    got = split("drachtio-srs__broadworks-offer_mangled-body.txt")
    assert got.sdp is not None and got.sdp.startswith(b"v=0\n")
    assert [m.content_type for m in got.metadata] == ["application/ +xml"]
    assert got.metadata[0].raw.startswith(b"<recording_metadata")


def test_rs_metadata_without_xml_suffix() -> None:
    got = split("drachtio-srs__procomm-sems-offer-body.txt")
    assert [m.content_type for m in got.metadata] == ["application/rs-metadata"]


def test_sdp_found_by_sniffing_when_part_headers_are_mangled() -> None:
    body = b"--b\r\nContent-Tpye: application/sdp\r\n\r\n" + SDP + b"\r\n--b--\r\n"
    got = split_body("multipart/mixed", "multipart/mixed;boundary=b", body, parse_multipart)
    assert got.sdp is not None and got.sdp.startswith(b"v=0")


def test_unframed_blob_is_cut_in_two() -> None:
    body = b"\r\n" + SDP + b"\r\n" + XML
    got = split_body("multipart/mixed", "multipart/mixed", body, lambda h, b: [])
    assert got.sdp == SDP
    assert got.metadata == [MetadataPart(XML, None)]


def test_sniff_sdp_stops_at_the_metadata() -> None:
    body = b"junk\n   ...\n   m=audio 1 RTP/AVP 0\n   a=label:96\n   ....\n\nContent-Type: x\n"
    assert sniff_sdp(body) == b"   m=audio 1 RTP/AVP 0\n   a=label:96\n   ....\n"
    assert sniff_sdp(b"no sdp here") is None


def test_unusable_body_type() -> None:
    with pytest.raises(UnsupportedBody) as info:
        split_body("text/plain", "text/plain", b"hello", parse_multipart)
    assert str(info.value) == "body of type 'text/plain' carries no SDP"


def test_untyped_sdp_is_sniffed() -> None:
    assert split_body(None, None, SDP, parse_multipart).sdp == SDP


@pytest.mark.parametrize(
    ("headers", "metadata", "expected"),
    [
        ([("Require", "siprec")], False, True),
        ([("Supported", "timer, siprec")], False, True),
        ([("Require", "100relsiprec")], False, False),  # Cisco's typo is not the option tag
        ([("Contact", "<sip:a@b>;+sip.src")], False, True),
        ([("Contact", "<sip:a@b;src>;expires=60")], False, False),  # URI param, not feature
        ([("Contact", "<sip:a@b>;src")], False, True),
        ([("Supported", "timer")], True, True),
        ([("Supported", "timer")], False, False),
    ],
)
def test_siprec_detection(headers: list[tuple[str, str]], metadata: bool, expected: bool) -> None:
    split_ = SplitBody(SDP, [MetadataPart(XML, None)] if metadata else [])
    assert is_siprec(Headers(headers), split_) is expected
