"""Every SDP in the corpus parses to the facts INDEX.md lists (quirks included)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from srs.sdp import SessionDescription

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"

# file → per m-line (label, port, direction, main encoding, te pt, connection host)
G = "10.173.186.101"
EXPECTED: dict[str, list[tuple[str | None, int, str, str, int | None, str | None]]] = {
    "vorpal-blade__oracle-sbc-genesys-4stream-siprecInvite.txt": [
        ("1006644281", 43810, "sendonly", "pcmu", 101, G),
        ("1006644282", 43814, "inactive", "pcmu", None, G),  # no rtpmap at all
        ("1006644283", 43818, "sendonly", "pcmu", 101, G),
        ("1006644284", 43822, "inactive", "pcmu", None, G),
    ],
    "vorpal-blade__oracle-sbc-genesys-4stream-request-in-cdata.txt": [
        ("268749245", 33098, "sendonly", "pcmu", 101, "10.23.90.86"),  # pcmu/8000a typo
        ("268749246", 59064, "inactive", "pcmu", None, "10.23.90.113"),
        ("268749247", 29582, "sendonly", "pcmu", 101, "10.23.90.72"),
        ("268749248", 59512, "inactive", "pcmu", None, "10.23.90.93"),
    ],
    "vorpal-blade__oracle-sbc-invite-template-siprec-acme.txt": [
        ("739440565", 34866, "sendonly", "pcmu", 101, "10.173.188.16"),
        ("739440566", 34870, "sendonly", "pcmu", 101, "10.173.188.16"),
    ],
    "drachtio-srs__connectel-opensips-offer-body.txt": [
        ("1", 35011, "sendonly", "pcmu", 101, None),  # no c= anywhere
        ("2", 35012, "sendonly", "pcma", 101, None),
    ],
    "drachtio-srs__procomm-sems-offer-body.txt": [
        ("a_leg", 12654, "sendonly", "pcma", None, "89.185.131.7"),
        ("b_leg", 12686, "sendonly", "pcma", None, "89.185.131.7"),
    ],
    "drachtio-srs__cisco-cube-offer-body.txt": [
        ("1", 10292, "sendonly", "pcmu", 101, "172.31.93.236"),
        ("2", 10294, "sendonly", "pcmu", 101, "172.31.93.236"),
    ],
    "drachtio-srs__cisco-cube-inactive-sdp-body.txt": [
        ("1", 19254, "inactive", "pcmu", 101, "192.168.1.2"),
        ("2", 19236, "inactive", "pcmu", 101, "192.168.1.2"),
    ],
    "drachtio-srs__sonus-sbc-offer-body.txt": [
        ("1", 48932, "sendonly", "pcmu", None, "172.16.169.132"),  # media-level c= only
        ("2", 48926, "sendonly", "pcmu", None, "172.16.169.132"),
    ],
    "drachtio-srs__broadworks-offer-2_actually-avaya-sbce-body.txt": [
        ("10", 38606, "sendonly", "pcma", 97, "10.201.1.168"),
        ("20", 35744, "sendonly", "pcma", 97, "10.201.1.168"),
    ],
    "drachtio-srs__acme-oracle-sbc-offer-body.txt": [
        ("16777227", 20106, "sendonly", "pcmu", None, "192.168.50.140"),
        ("16777228", 20110, "sendonly", "pcmu", None, "192.168.50.140"),
    ],
    "drachtio-srs__broadworks-offer_mangled-body.txt": [
        ("1", 22294, "sendonly", "pcma", 101, "X.X.X.X"),
    ],
    "gh-go-test-unresolved-repo__audiocodes-mediant-ve-7.20A-invite-crlf.txt": [
        ("1", 7232, "sendonly", "pcmu", 101, "8.8.8.8"),
        ("2", 7236, "sendonly", "pcmu", 101, "8.8.8.8"),
    ],
    "cisco-cube-doc__siprec-media-proxy-invite.txt": [
        ("1", 8278, "sendonly", "pcmu", None, "8.43.33.209"),
        ("2", 8280, "sendonly", "pcmu", None, "8.43.33.209"),
    ],
    "aws-chime-sdk-doc__siprec-example-initial-invite-complete.txt": [
        ("96", 49170, "sendonly", "pcmu", None, None),  # SDP elided with "..."
        ("97", 49174, "sendonly", "h.264", None, None),
        ("98", 51372, "sendonly", "pcmu", None, None),
        ("99", 49176, "sendonly", "h.264", None, None),
    ],
}
# the hold/resume re-INVITEs of the AWS sample carry the same (elided) SDP
for _which in ("hold", "resume"):
    EXPECTED[f"aws-chime-sdk-doc__siprec-example-{_which}-partial.txt"] = EXPECTED[
        "aws-chime-sdk-doc__siprec-example-initial-invite-complete.txt"
    ]
EXPECTED |= {
    "oracle-sbc-doc__sample-sdp-metadata-note1-initial.txt": [
        ("1", 6000, "sendrecv", "pcmu", None, "10.0.0.1"),
    ],
    "oracle-sbc-doc__sample-sdp-metadata-note2-reinvite-partial.txt": [
        ("1", 6000, "sendrecv", "pcmu", None, "10.0.0.1"),
        ("2", 6002, "sendrecv", "pcmu", None, "10.0.0.1"),
    ],
    "cisco-doc-200788__cucm10.5-bib-ack1-nearend-sdp.txt": [
        (None, 4000, "sendonly", "pcmu", 101, "10.48.32.33"),
    ],
    "cisco-doc-200788__cucm10.5-bib-ack2-farend-sdp.txt": [
        (None, 4000, "sendonly", "pcmu", 101, "10.48.32.33"),
    ],
    "cisco-doc-200788__cucm11.5-bib-ack-to-recorder-farend-sdp.txt": [
        (None, 17904, "sendonly", "pcmu", 101, "10.48.38.107"),
    ],
    "cisco-doc-200788__cucm11.5-bib-ack-to-recorder-nearend-sdp.txt": [
        (None, 26396, "sendonly", "pcmu", 101, "10.48.38.107"),
    ],
    "cisco-doc-200788__cucm11.5-mediasense-200ok-savp-crypto-redacted.txt": [
        (None, 56512, "recvonly", "mp4a-latm", None, "10.48.38.30"),
    ],
    "drachtio-srs__sipp-uac_siprec_pcap2-sonus.xml": [
        ("a_leg", 6000, "sendonly", "pcma", None, "[local_ip]"),  # SIPp's [auto_media_port]
        ("b_leg", 60000, "sendonly", "pcma", None, "[local_ip]"),
    ],
}

_START = re.compile(rb"^[ \t]*(v=0|m=)", re.M)
_END = re.compile(rb"^[ \t]*(--|<|Content-Type: application/rs)", re.M)


def first_sdp(data: bytes) -> bytes:
    """The first SDP of a file: from ``v=0`` (or ``m=``) to the next part/XML."""
    data = data.replace(b"[auto_media_port]", b"6000")  # SIPp fills it in before sending
    start = _START.search(data)
    assert start is not None
    end = _END.search(data, start.start())
    return data[start.start() : end.start() if end else len(data)]


def test_every_sdp_bearing_fixture_is_listed() -> None:
    with_sdp = {p.name for p in CORPUS.iterdir() if _START.search(p.read_bytes())}
    with_sdp.discard("drachtio-srs__sipp-uac_siprec_pcap.xml")  # covered by the session tests
    assert with_sdp == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_sdp(name: str) -> None:
    desc = SessionDescription.parse(first_sdp((CORPUS / name).read_bytes()))
    got = []
    for media in desc.media:
        codecs = media.codecs()
        te = next((c.payload_type for c in codecs if c.encoding == "telephone-event"), None)
        conn = desc.connection_for(media)
        got.append(
            (
                media.label,
                media.port,
                desc.direction_for(media),
                codecs[0].encoding,
                te,
                conn.host if conn else None,
            )
        )
    assert got == EXPECTED[name]
    # canonical output reads back the same, and is stable
    again = SessionDescription.parse(desc.serialize())
    assert again == desc
    assert again.serialize() == desc.serialize()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_sdp_line_by_line_crlf_and_lf_agree(name: str) -> None:
    raw = first_sdp((CORPUS / name).read_bytes())
    lf = raw.replace(b"\r\n", b"\n")
    crlf = lf.replace(b"\n", b"\r\n")
    assert SessionDescription.parse(lf) == SessionDescription.parse(crlf)
    # feeding the lines one at a time into a growing buffer never raises once v=/m= is in
    buffer = b""
    for line in crlf.splitlines(keepends=True):
        buffer += line
        if _START.search(buffer):
            SessionDescription.parse(buffer)


def test_mediasense_redacted_crypto_is_skipped() -> None:
    name = "cisco-doc-200788__cucm11.5-mediasense-200ok-savp-crypto-redacted.txt"
    media = SessionDescription.parse(first_sdp((CORPUS / name).read_bytes())).media[0]
    assert media.proto == "RTP/SAVP"
    assert len(media.get_all("crypto")) == 2
    assert media.crypto() == []
    assert media.fmtp()[102] == "profile-level-id=24;object=23;bitrate=64000"


def test_cube_inactive_cn_payload_19() -> None:
    name = "drachtio-srs__cisco-cube-inactive-sdp-body.txt"
    media = SessionDescription.parse(first_sdp((CORPUS / name).read_bytes())).media[0]
    assert [(c.payload_type, c.encoding) for c in media.codecs()] == [
        (0, "pcmu"),
        (101, "telephone-event"),
        (19, "cn"),
    ]
