"""Offer/answer as an SRS: answers checked line by line (RFC 3264 + RFC 7866)."""

from __future__ import annotations

import base64

import pytest
from sdp_fakes import FakePorts, zero_key
from test_corpus_sdp import CORPUS, first_sdp

from srs.sdp import SessionDescription
from srs.sdp.answer import Negotiator, NotAcceptable, PortsExhausted
from srs.session.plan import CodecSpec, CryptoSpec

HEAD = "v=0\r\no=srs 42 {v} IN IP4 192.0.2.10\r\ns=srs\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
KEY = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"  # 30 bytes: AES_CM_128 key||salt
OUR_KEY = base64.b64encode(zero_key(30)).decode()


def negotiator(ports: FakePorts | None = None, **kw: object) -> Negotiator:
    return Negotiator(
        ports or FakePorts(),
        address="192.0.2.10",
        session_id=42,
        random_bytes=zero_key,
        **kw,
    )


def corpus_offer(name: str) -> SessionDescription:
    return SessionDescription.parse(first_sdp((CORPUS / name).read_bytes()))


def lines(sdp: bytes | None) -> list[str]:
    assert sdp is not None
    return sdp.decode().split("\r\n")[:-1]


def expect(version: int, body: str) -> list[str]:
    return lines((HEAD.format(v=version) + body.replace("\n", "\r\n")).encode())


def test_two_stream_siprec_cisco_cube() -> None:
    result = negotiator().answer(corpus_offer("drachtio-srs__cisco-cube-offer-body.txt"))
    assert lines(result.sdp) == expect(
        1,
        "m=audio 30000 RTP/AVP 0 101\n"
        "a=label:1\n"
        "a=rtpmap:0 PCMU/8000\n"
        "a=rtpmap:101 telephone-event/8000\n"
        "a=fmtp:101 0-16\n"
        "a=rtcp:30001\n"
        "a=recvonly\n"
        "m=audio 30002 RTP/AVP 0 101\n"
        "a=label:2\n"
        "a=rtpmap:0 PCMU/8000\n"
        "a=rtpmap:101 telephone-event/8000\n"
        "a=fmtp:101 0-16\n"
        "a=rtcp:30003\n"
        "a=recvonly\n",
    )
    first = result.streams[0]
    assert first.spec().remote_rtp == ("172.31.93.236", 10292)
    assert first.spec().codecs == (
        CodecSpec(0, "pcmu", 8000),
        CodecSpec(101, "telephone-event", 8000, fmtp="0-16"),
    )
    assert (first.telephone_event_pt, first.spec().active, first.key) == (101, True, "1")


def test_genesys_via_oracle_four_mlines_two_inactive() -> None:
    result = negotiator().answer(
        corpus_offer("vorpal-blade__oracle-sbc-genesys-4stream-siprecInvite.txt")
    )
    assert lines(result.sdp) == expect(
        1,
        "m=audio 30000 RTP/AVP 0 101\n"
        "a=label:1006644281\n"
        "a=rtpmap:0 PCMU/8000\n"
        "a=rtpmap:101 telephone-event/8000\n"
        "a=fmtp:101 0-15\n"
        "a=rtcp:30001\n"
        "a=recvonly\n"
        "m=audio 30002 RTP/AVP 0\n"
        "a=label:1006644282\n"
        "a=rtpmap:0 PCMU/8000\n"
        "a=rtcp:30003\n"
        "a=inactive\n"
        "m=audio 30004 RTP/AVP 0 101\n"
        "a=label:1006644283\n"
        "a=rtpmap:0 PCMU/8000\n"
        "a=rtpmap:101 telephone-event/8000\n"
        "a=fmtp:101 0-15\n"
        "a=rtcp:30005\n"
        "a=recvonly\n"
        "m=audio 30006 RTP/AVP 0\n"
        "a=label:1006644284\n"
        "a=rtpmap:0 PCMU/8000\n"
        "a=rtcp:30007\n"
        "a=inactive\n",
    )
    assert [s.spec().active for s in result.streams] == [True, False, True, False]


def test_video_rejected_with_port_zero_keeping_formats() -> None:
    result = negotiator().answer(
        corpus_offer("aws-chime-sdk-doc__siprec-example-initial-invite-complete.txt")
    )
    assert lines(result.sdp) == expect(
        1,
        "m=audio 30000 RTP/AVP 0\n"
        "a=label:96\n"
        "a=rtpmap:0 PCMU/8000\n"
        "a=rtcp:30001\n"
        "a=recvonly\n"
        "m=video 0 RTP/AVPF 96\n"
        "a=label:97\n"
        "m=audio 30002 RTP/AVP 0\n"
        "a=label:98\n"
        "a=rtpmap:0 PCMU/8000\n"
        "a=rtcp:30003\n"
        "a=recvonly\n"
        "m=video 0 RTP/AVPF 96\n"
        "a=label:99\n",
    )
    assert [s.reason for s in result.streams] == [
        None,
        "video not recorded (record_video is off)",
        None,
        "video not recorded (record_video is off)",
    ]
    assert result.streams[0].remote_rtp is None  # the sample elided c=


def test_video_recorded_when_enabled() -> None:
    result = negotiator(record_video=True).answer(
        corpus_offer("aws-chime-sdk-doc__siprec-example-initial-invite-complete.txt")
    )
    assert "m=video 30002 RTP/AVPF 96" in lines(result.sdp)
    assert "a=rtpmap:96 H.264/90000" in lines(result.sdp)
    assert result.streams[1].codecs == (CodecSpec(96, "h.264", 90000),)


SAVP_OFFER = (
    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
    "m=audio 5000 RTP/SAVP 8 0\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=crypto:1 AES_CM_192_HMAC_SHA1_80 inline:" + KEY + "\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" + KEY + "|2^31|1:1\r\n"
    "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" + KEY + "\r\n"
    "a=label:1\r\na=sendonly\r\n"
)


def test_savp_answered_savp_with_our_own_crypto() -> None:
    result = negotiator().answer(SessionDescription.parse(SAVP_OFFER))
    assert lines(result.sdp) == expect(
        1,
        "m=audio 30000 RTP/SAVP 8\n"
        "a=label:1\n"
        "a=rtpmap:8 PCMA/8000\n"
        "a=rtcp:30001\n"
        "a=recvonly\n"
        f"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{OUR_KEY}\n",
    )
    # we decrypt with the sender's key, lifetime and MKI stripped
    assert result.streams[0].srtp == CryptoSpec("AES_CM_128_HMAC_SHA1_32", KEY, tag=2)


def test_savp_without_usable_crypto_is_refused() -> None:
    offer = SessionDescription.parse(SAVP_OFFER.replace("AES_CM_128", "F8_128"))
    with pytest.raises(NotAcceptable) as info:
        negotiator().answer(offer, initial=True)
    assert str(info.value) == (
        "no acceptable media stream: m0 (label 1): RTP/SAVP offered without a usable a=crypto line"
    )


def test_new_crypto_key_in_reoffer_changes_srtp_but_not_our_key() -> None:
    neg = negotiator()
    first = neg.answer(SessionDescription.parse(SAVP_OFFER))
    new_key = base64.b64encode(bytes(30)).decode()
    second = neg.answer(SessionDescription.parse(SAVP_OFFER.replace(KEY, new_key)))
    assert second.streams[0].srtp == CryptoSpec("AES_CM_128_HMAC_SHA1_32", new_key, tag=2)
    assert lines(second.sdp) == lines(first.sdp)  # our answer did not change: same version


def test_port_stability_and_version_across_reoffers() -> None:
    ports = FakePorts()
    neg = negotiator(ports)
    offer = corpus_offer("drachtio-srs__cisco-cube-offer-body.txt")
    first = neg.answer(offer, initial=True)
    same = neg.answer(offer)
    assert same.sdp == first.sdp  # unchanged answer keeps o= version 1
    # swap the m-line order: the labels keep their ports, the version moves
    offer.media.reverse()
    swapped = neg.answer(offer)
    assert lines(swapped.sdp)[1] == "o=srs 42 2 IN IP4 192.0.2.10"
    assert [(s.key, s.local_port) for s in swapped.streams] == [("2", 30002), ("1", 30000)]
    assert ports.held == {30000, 30002}


def test_hold_and_resume() -> None:
    neg = negotiator()
    text = first_sdp((CORPUS / "drachtio-srs__cisco-cube-offer-body.txt").read_bytes()).decode()
    neg.answer(SessionDescription.parse(text), initial=True)
    held = neg.answer(SessionDescription.parse(text.replace("a=sendonly", "a=inactive")))
    assert lines(held.sdp)[1] == "o=srs 42 2 IN IP4 192.0.2.10"
    assert [ln for ln in lines(held.sdp) if ln in ("a=inactive", "a=recvonly")] == [
        "a=inactive",
        "a=inactive",
    ]
    assert [s.spec().active for s in held.streams] == [False, False]
    assert [s.local_port for s in held.streams] == [30000, 30002]
    resumed = neg.answer(SessionDescription.parse(text))
    assert lines(resumed.sdp)[1] == "o=srs 42 3 IN IP4 192.0.2.10"
    assert [s.spec().active for s in resumed.streams] == [True, True]


def test_sendrecv_offer_answered_recvonly_and_recvonly_offer_inactive() -> None:
    offer = SessionDescription.parse(
        "v=0\nc=IN IP4 10.0.0.1\nm=audio 4000 RTP/AVP 8\nm=audio 4002 RTP/AVP 8\na=recvonly\n"
    )
    result = negotiator().answer(offer)
    assert [ln for ln in lines(result.sdp) if ln in ("a=inactive", "a=recvonly")] == [
        "a=recvonly",
        "a=inactive",
    ]
    assert [s.key for s in result.streams] == ["m0", "m1"]


def test_stream_removed_releases_its_port_and_comes_back_on_a_new_one() -> None:
    ports = FakePorts()
    neg = negotiator(ports)
    text = first_sdp((CORPUS / "drachtio-srs__cisco-cube-offer-body.txt").read_bytes()).decode()
    neg.answer(SessionDescription.parse(text), initial=True)
    removed = neg.answer(SessionDescription.parse(text.replace("m=audio 10294", "m=audio 0")))
    assert removed.released == ("2",)
    assert ports.held == {30000}
    assert "m=audio 0 RTP/AVP 0 101" in lines(removed.sdp)
    assert removed.streams[1].reason == "port 0 in offer"
    back = neg.answer(SessionDescription.parse(text))
    assert [s.local_port for s in back.streams] == [30000, 30004]


def test_all_streams_removed_on_reoffer_is_accepted() -> None:
    ports = FakePorts()
    neg = negotiator(ports)
    text = "v=0\nc=IN IP4 10.0.0.1\nm=audio {} RTP/AVP 0\na=sendonly\n"
    neg.answer(SessionDescription.parse(text.format(4000)), initial=True)
    result = neg.answer(SessionDescription.parse(text.format(0)))
    assert result.accepted == ()
    assert ports.held == set()


@pytest.mark.parametrize(
    ("offer", "message"),
    [
        (
            "v=0\nm=audio 4000 RTP/AVP 97\na=rtpmap:97 iLBC/8000\n",
            "no acceptable media stream: m0: no common codec (offered 97)",
        ),
        (
            "v=0\nm=image 4000 udptl t38\na=label:fax\n",
            "no acceptable media stream: m0 (label fax): media 'image' not recorded",
        ),
        (
            "v=0\nm=audio 4000 UDP/TLS/RTP/SAVPF 0\n",
            "no acceptable media stream: m0: transport 'UDP/TLS/RTP/SAVPF' not supported",
        ),
        ("v=0\nm=audio 0 RTP/AVP 0\n", "no acceptable media stream: m0: port 0 in offer"),
        ("v=0\n", "offer has no m= line"),
    ],
)
def test_nothing_acceptable(offer: str, message: str) -> None:
    ports = FakePorts()
    with pytest.raises(NotAcceptable) as info:
        negotiator(ports).answer(SessionDescription.parse(offer), initial=True)
    assert str(info.value) == message
    assert ports.held == set()


def test_codec_choice_follows_offer_order_restricted_to_ours() -> None:
    offer = SessionDescription.parse(
        "v=0\nc=IN IP4 10.0.0.1\nm=audio 4000 RTP/AVP 97 9 0 110 13\n"
        "a=rtpmap:97 iLBC/8000\na=rtpmap:110 telephone-event/48000\n"
        "a=rtpmap:9 G722/8000\na=sendonly\n"
    )
    result = negotiator().answer(offer)
    assert result.streams[0].codecs == (
        CodecSpec(9, "g722", 8000),
        CodecSpec(110, "telephone-event", 48000),
        CodecSpec(13, "cn", 8000),
    )
    assert (result.streams[0].telephone_event_pt, result.streams[0].comfort_noise_pt) == (110, 13)
    assert "m=audio 30000 RTP/AVP 9 110 13" in lines(result.sdp)
    assert "a=rtpmap:110 telephone-event/48000" in lines(result.sdp)


def test_codec_set_is_a_parameter() -> None:
    offer = SessionDescription.parse("v=0\nm=audio 4000 RTP/AVP 0 8\n")
    result = negotiator(codecs=(CodecSpec(8, "pcma", 8000),)).answer(offer)
    assert result.streams[0].codecs == (CodecSpec(8, "pcma", 8000),)


def test_port_exhaustion_rolls_back() -> None:
    ports = FakePorts(limit=1)
    with pytest.raises(PortsExhausted) as info:
        negotiator(ports).answer(corpus_offer("drachtio-srs__cisco-cube-offer-body.txt"))
    assert str(info.value) == "no free RTP port for stream '2'"
    assert ports.held == set()


def test_delayed_offer_and_answer_in_ack() -> None:
    ports = FakePorts()
    neg = negotiator(ports)
    offer = neg.build_offer(1)
    assert lines(offer) == expect(
        1,
        "m=audio 30000 RTP/AVP 0 8 9 18 111 96 101 13\n"
        "a=rtpmap:0 PCMU/8000\n"
        "a=rtpmap:8 PCMA/8000\n"
        "a=rtpmap:9 G722/8000\n"
        "a=rtpmap:18 G729/8000\n"
        "a=rtpmap:111 opus/48000/2\n"
        "a=rtpmap:96 AMR/8000\n"
        "a=rtpmap:101 telephone-event/8000\n"
        "a=fmtp:101 0-16\n"
        "a=rtpmap:13 CN/8000\n"
        "a=rtcp:30001\n"
        "a=recvonly\n",
    )
    assert neg.offer_pending
    ack = SessionDescription.parse(
        first_sdp((CORPUS / "cisco-doc-200788__cucm10.5-bib-ack1-nearend-sdp.txt").read_bytes())
    )
    result = neg.accept_answer(ack)
    assert not neg.offer_pending
    (stream,) = result.streams
    assert (stream.key, stream.local_port, stream.remote_rtp) == (
        "m0",
        30000,
        ("10.48.32.33", 4000),
    )
    assert stream.codecs == (
        CodecSpec(0, "pcmu", 8000),
        CodecSpec(101, "telephone-event", 8000, fmtp="0-15"),
    )
    assert stream.spec().active
    assert ports.held == {30000}


def test_delayed_offer_answer_rejecting_a_stream_releases_it() -> None:
    ports = FakePorts()
    neg = negotiator(ports)
    neg.build_offer(2)
    result = neg.accept_answer(
        SessionDescription.parse(
            "v=0\nc=IN IP4 10.0.0.1\nm=audio 4000 RTP/AVP 8\nm=audio 0 RTP/AVP 8\n"
        )
    )
    assert [s.reason for s in result.streams] == [None, "port 0 in answer"]
    assert ports.held == {30000}


def test_reinvite_without_sdp_reoffers_last_answer_with_version_bumped() -> None:
    neg = negotiator()
    first = neg.answer(corpus_offer("drachtio-srs__cisco-cube-offer-body.txt"))
    offer = neg.reoffer()
    got = lines(offer)
    assert got[1] == "o=srs 42 2 IN IP4 192.0.2.10"
    assert got[5:12] == [
        "m=audio 30000 RTP/AVP 0 101 8 9 18 111 96 13",
        "a=label:1",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:9 G722/8000",
    ]
    assert got.count("a=recvonly") == 2
    # the ACK's answer: the SRC now sends PCMA on stream 1, holds stream 2
    answer = SessionDescription.parse(
        "v=0\nc=IN IP4 10.0.0.9\nm=audio 7000 RTP/AVP 8\na=label:1\na=sendonly\n"
        "m=audio 7002 RTP/AVP 0\na=label:2\na=inactive\n"
    )
    result = neg.accept_answer(answer)
    assert [(s.key, s.local_port, s.codecs[0].encoding, s.sending) for s in result.streams] == [
        ("1", 30000, "pcma", True),
        ("2", 30002, "pcmu", False),
    ]
    assert first.sdp is not None and neg.last_sdp is not None
    assert lines(neg.last_sdp)[1] == "o=srs 42 2 IN IP4 192.0.2.10"


def test_labels_become_safe_unique_keys() -> None:
    offer = SessionDescription.parse(
        "v=0\nm=audio 1 RTP/AVP 0\na=label:../x y\nm=audio 2 RTP/AVP 0\na=label:../x y\n"
        "m=audio 3 RTP/AVP 0\n"
    )
    result = negotiator().answer(offer)
    assert [s.key for s in result.streams] == ["_._x_y", "_._x_y-m1", "m2"]
    assert [s.label for s in result.streams] == ["../x y", "../x y", None]


def test_ipv6_media_address() -> None:
    neg = Negotiator(FakePorts(), address="2001:db8::5", session_id=1)
    result = neg.answer(SessionDescription.parse("v=0\nm=audio 4000 RTP/AVP 0\n"))
    assert "c=IN IP6 2001:db8::5" in lines(result.sdp)


def test_release_returns_every_port() -> None:
    ports = FakePorts()
    neg = negotiator(ports)
    neg.answer(corpus_offer("vorpal-blade__oracle-sbc-genesys-4stream-siprecInvite.txt"))
    neg.release()
    assert ports.held == set()
