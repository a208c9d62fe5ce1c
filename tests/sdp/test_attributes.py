"""Attribute readers: rtpmap (typos, static types), fmtp, rtcp, crypto, ptime."""

from __future__ import annotations

import pytest

from srs.sdp import SessionDescription
from srs.sdp.attributes import (
    Crypto,
    KeyParam,
    Rtcp,
    Rtpmap,
    parse_crypto,
    parse_rtcp,
    parse_rtpmap,
)

KEY = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0 PCMU/8000", Rtpmap(0, "pcmu", 8000)),
        ("0 pcmu/8000a", Rtpmap(0, "pcmu", 8000)),  # Oracle/Genesys capture typo
        ("111 opus/48000/2", Rtpmap(111, "opus", 48000, 2)),
        ("101 telephone-event/8000", Rtpmap(101, "telephone-event", 8000)),
        ("102 MP4A-LATM/90000", Rtpmap(102, "mp4a-latm", 90000)),
        ("8 PCMA", Rtpmap(8, "pcma", 8000)),  # missing clock: static table
        ("x PCMU/8000", None),
        ("200 PCMU/8000", None),
        ("0 ", None),
    ],
)
def test_rtpmap(value: str, expected: Rtpmap | None) -> None:
    assert parse_rtpmap(value) == expected


def test_codecs_fill_static_types_and_skip_unmapped_dynamic() -> None:
    desc = SessionDescription.parse(
        "v=0\nm=audio 1 RTP/AVP 0 8 18 4 9 100 101 13\na=rtpmap:0 pcmu/8000a\na=inactive\n"
    )
    codecs = desc.media[0].codecs()
    assert [(c.payload_type, c.encoding, c.clock_rate) for c in codecs] == [
        (0, "pcmu", 8000),
        (8, "pcma", 8000),
        (18, "g729", 8000),
        (4, "g723", 8000),
        (9, "g722", 8000),
        (13, "cn", 8000),
    ]


def test_fmtp_ptime_rtcp() -> None:
    media = SessionDescription.parse(
        "v=0\nm=audio 1 RTP/AVP 0 101\na=fmtp:101 0-15\na=ptime:20\na=rtcp:53021 IN IP4 10.0.0.1\n"
    ).media[0]
    assert media.fmtp() == {101: "0-15"}
    assert media.ptime == 20
    assert media.rtcp == Rtcp(53021, "10.0.0.1")
    assert parse_rtcp("53021") == Rtcp(53021)
    assert parse_rtcp("nope") is None


def test_crypto_with_lifetime_mki_and_session_params() -> None:
    crypto = parse_crypto(f"1 AES_CM_128_HMAC_SHA1_80 inline:{KEY}|2^20|1:32 UNENCRYPTED_SRTCP")
    assert crypto == Crypto(
        1, "AES_CM_128_HMAC_SHA1_80", (KeyParam(KEY, "2^20", "1:32"),), ("UNENCRYPTED_SRTCP",)
    )
    assert str(crypto) == f"1 AES_CM_128_HMAC_SHA1_80 inline:{KEY}|2^20|1:32 UNENCRYPTED_SRTCP"


@pytest.mark.parametrize(
    "value",
    [
        "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",  # Cisco's redaction
        "1 AES_CM_128_HMAC_SHA1_80",
        "1 AES_CM_128_HMAC_SHA1_80 uri:http://example.com",
        "a AES_CM_128_HMAC_SHA1_80 inline:" + KEY,
        "1 AES_CM_128_HMAC_SHA1_80 inline:not!base64",
    ],
)
def test_unusable_crypto_is_none(value: str) -> None:
    assert parse_crypto(value) is None


def test_redacted_crypto_lines_are_skipped_not_fatal() -> None:
    media = SessionDescription.parse(
        "v=0\nm=audio 1 RTP/SAVP 0\na=crypto:XXXXXXXX\n"
        f"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{KEY}\n"
    ).media[0]
    assert [c.tag for c in media.crypto()] == [2]
