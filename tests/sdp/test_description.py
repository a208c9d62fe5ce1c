"""SessionDescription: tolerant parsing of what SRCs send, exact errors, canonical output."""

from __future__ import annotations

import pytest

from srs.sdp import Connection, SdpError, SessionDescription

BASIC = (
    b"v=0\r\n"
    b"o=- 13849481 771639 IN IP4 10.23.90.68\r\n"
    b"s=-\r\n"
    b"c=IN IP4 10.23.90.86\r\n"
    b"b=AS:80\r\n"
    b"t=0 0\r\n"
    b"a=sendonly\r\n"
    b"m=audio 33098 RTP/AVP 0 101\r\n"
    b"a=rtpmap:0 PCMU/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\n"
    b"a=fmtp:101 0-15\r\n"
    b"a=label:268749245\r\n"
    b"m=audio 59064 RTP/AVP 0 8 18 4 9 100 101\r\n"
    b"c=IN IP6 2001:db8::1\r\n"
    b"a=label:268749246\r\n"
    b"a=inactive\r\n"
)


def test_fields_and_media_sections() -> None:
    desc = SessionDescription.parse(BASIC)
    assert desc.origin is not None
    assert (desc.origin.session_id, desc.origin.session_version) == ("13849481", "771639")
    assert desc.connection == Connection("10.23.90.86")
    assert [str(b) for b in desc.bandwidths] == ["AS:80"]
    assert [m.label for m in desc.media] == ["268749245", "268749246"]
    first, second = desc.media
    assert (first.media, first.port, first.proto, first.formats) == (
        "audio",
        33098,
        "RTP/AVP",
        ["0", "101"],
    )
    assert desc.connection_for(first) == Connection("10.23.90.86")
    assert desc.connection_for(second) == Connection("2001:db8::1", "IP6")
    assert desc.direction_for(first) == "sendonly"  # inherited from session level
    assert desc.direction_for(second) == "inactive"  # media level wins
    assert desc.warnings == []


def test_serialize_is_canonical_crlf_and_round_trips() -> None:
    desc = SessionDescription.parse(BASIC)
    assert desc.serialize() == BASIC
    assert SessionDescription.parse(desc.serialize()) == desc


def test_lf_only_trailing_whitespace_and_indentation() -> None:
    text = BASIC.decode().replace("\r\n", "  \n").replace("m=", "   m=")
    assert SessionDescription.parse(text) == SessionDescription.parse(BASIC)


def test_elision_lines_and_missing_t_are_tolerated() -> None:
    desc = SessionDescription.parse(
        "   Content-Type: application/SDP\n   ...\n   m=audio 49170 RTP/AVP 0\n"
        "   a=label:96\n   ...\n   m=video 49174 RTP/AVPF 96\n   ....\n"
    )
    assert [(m.media, m.port, m.label) for m in desc.media] == [
        ("audio", 49170, "96"),
        ("video", 49174, None),
    ]
    assert desc.origin is None
    assert "no t= line" in desc.warnings
    assert any("ignored '...'" in w for w in desc.warnings)


def test_no_connection_anywhere_opensips() -> None:
    desc = SessionDescription.parse(
        "v=0\no=- 1516628962 0 IN IP4 0.0.0.0\ns=-\nm=audio 35011 RTP/AVP 0 8 3 101\na=label:1\n"
    )
    assert desc.connection is None
    assert desc.connection_for(desc.media[0]) is None
    assert "no t= line" in desc.warnings


def test_direction_both_is_not_a_direction() -> None:
    desc = SessionDescription.parse(
        "v=0\ns=-\nt=0 0\nm=audio 1 RTP/AVP 8\na=direction:both\na=sendonly\n"
        "m=audio 2 RTP/AVP 8\na=direction:both\n"
    )
    assert [desc.direction_for(m) for m in desc.media] == ["sendonly", "sendrecv"]


def test_invalid_port_rejects_the_body() -> None:
    with pytest.raises(SdpError) as info:
        SessionDescription.parse("v=0\nm=audio [auto_media_port] RTP/AVP 8\n")
    assert str(info.value) == (
        "m-line 0: invalid port '[auto_media_port]' in 'm=audio [auto_media_port] RTP/AVP 8'"
    )


def test_unicode_digit_port_is_an_invalid_port_not_a_crash() -> None:
    with pytest.raises(SdpError) as info:
        SessionDescription.parse("v=0\nm=audio \u00b2 RTP/AVP 8\n")
    assert str(info.value) == "m-line 0: invalid port '\u00b2' in 'm=audio \u00b2 RTP/AVP 8'"


def test_port_count_kept() -> None:
    desc = SessionDescription.parse("v=0\nm=audio 49170/2 RTP/AVP 0\n")
    assert (desc.media[0].port, desc.media[0].port_count) == (49170, 2)
    assert b"m=audio 49170/2 RTP/AVP 0\r\n" in desc.serialize()


@pytest.mark.parametrize(
    "data",
    [b"", b"hello world\r\n", b"<recording/>", b"a=sendonly\r\nc=IN IP4 1.2.3.4\r\n"],
)
def test_hopeless_input_raises_exact_error(data: bytes) -> None:
    with pytest.raises(SdpError) as info:
        SessionDescription.parse(data)
    assert str(info.value) == "not an SDP body: no v= line and no m= line"


def test_version_only_is_sdp() -> None:
    desc = SessionDescription.parse(b"v=0\r\n")
    assert desc.media == []
    assert desc.serialize() == b"v=0\r\ns=-\r\n"


def test_non_utf8_bytes_survive_round_trip() -> None:
    data = b"v=0\r\ns=caf\xe9\r\nt=0 0\r\n"
    assert SessionDescription.parse(data).serialize() == data
