"""Recorder end to end over corpus INVITEs: decisions, media events and snapshots."""

from __future__ import annotations

import json
from typing import Any

import pytest
from corpus_messages import (
    body_fixture_request,
    corpus,
    dialog_for,
    parse_request,
    sipp_requests,
    with_body,
)
from session_fakes import FakePorts, counting_key, id_sequence

from srs.session.plan import (
    MediaEvent,
    RecordingEnded,
    SessionSnapshot,
    StreamChanged,
    StreamClosed,
    StreamOpened,
)
from srs.session.recording import Recorder, RecorderConfig
from srs.sip.handler import DialogRef
from srs.sip.headers import Headers
from srs.sip.message import SipRequest

GENESYS = "vorpal-blade__oracle-sbc-genesys-4stream-siprecInvite.txt"
CUBE = "drachtio-srs__cisco-cube-offer-body.txt"


def recorder(ports: FakePorts | None = None, **config: Any) -> Recorder:
    return Recorder(
        ports or FakePorts(),
        config=RecorderConfig(media_address="192.0.2.10", **config),
        new_id=id_sequence(),
        random_bytes=counting_key,
    )


def kinds(events: list[MediaEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def last_snapshot(events: list[MediaEvent]) -> dict[str, Any]:
    snaps = [e for e in events if isinstance(e, SessionSnapshot)]
    assert snaps, "no snapshot emitted"
    data = snaps[-1].data
    json.dumps(data)  # session.json must be writable as is
    return data


def streams_of(snapshot: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (s["key"], s["channel"], s["participant_name"], s["participant_aor"], s["active"])
        for s in snapshot["streams"]
    ]


def sdp_request(dialog_req: SipRequest, method: str, sdp: bytes) -> SipRequest:
    return with_body(dialog_req, method, sdp, "application/sdp")


# -- initial INVITEs -----------------------------------------------------------------


def test_cisco_cube_two_streams_mapped_by_metadata() -> None:
    rec = recorder()
    req = body_fixture_request(CUBE)
    decision = rec.on_invite(dialog_for(req), req, 100.0)
    assert decision.status == 200
    assert decision.sdp is not None and b"m=audio 30000 RTP/AVP 0 101" in decision.sdp
    events = rec.take_events()
    assert kinds(events) == ["StreamOpened", "StreamOpened", "SessionSnapshot"]
    opened = [e.spec for e in events if isinstance(e, StreamOpened)]
    assert [(s.key, s.local_rtp_port, s.remote_rtp, s.participant_aor) for s in opened] == [
        ("1", 30000, ("172.31.93.236", 10292), "sip:7301@35.162.237.204"),
        ("2", 30002, ("172.31.93.236", 10294), "sip:7300@35.162.237.204"),
    ]
    snap = last_snapshot(events)
    assert snap["recording_id"] == "rec1"
    assert snap["call_id"] == req.headers.get("Call-ID")
    assert (snap["siprec"], snap["metadata_error"], snap["mapping_confidence"]) == (
        True,
        False,
        "metadata",
    )
    assert [s["spool"] for s in snap["streams"]] == ["1.spool", "2.spool"]
    assert [s["channel"] for s in snap["streams"]] == [0, 1]
    assert snap["metadata"][0]["content_type"] == "application/rs-metadata+xml"
    assert "kQNhKFdEEeeJ9tD/VsPGWA==" in snap["metadata"][0]["text"]
    assert snap["started_at"] == 100.0 and snap["ended_at"] is None
    assert rec.take_events() == []  # drained


def test_genesys_four_mlines_two_inactive_and_broken_metadata() -> None:
    rec = recorder()
    req = parse_request(corpus(GENESYS))
    decision = rec.on_invite(dialog_for(req), req, 1.0)
    assert decision.status == 200
    events = rec.take_events()
    snap = last_snapshot(events)
    aor2 = "sip:record=01PEP83ES8B0FC7QD151Q2LAES00022M_2024-04-05_12-59-19@127.0.0.1"
    assert [(k, ch, aor, act) for k, ch, _, aor, act in streams_of(snap)] == [
        ("1006644281", 0, "sip:Genesys@10.28.70.121", True),
        ("1006644282", 1, aor2, False),
        ("1006644283", 2, "sip:Genesys@10.28.70.121", True),
        ("1006644284", 3, aor2, False),
    ]
    # not well-formed XML: flagged, raw kept, call still recorded
    assert snap["metadata_error"] is True
    assert snap["metadata"][0]["errors"]
    assert "<apkt:request-uri><sip:record=" in snap["metadata"][0]["text"]
    assert snap["headers"]["Cisco-Gucid"] == "00071136261712321959"
    assert snap["headers"]["Call-ID"] == req.headers.get("Call-ID")
    assert snap["siprec"] is True


def test_mangled_metadata_never_rejects_the_call() -> None:
    rec = recorder()
    req = body_fixture_request("drachtio-srs__broadworks-offer_mangled-body.txt")
    decision = rec.on_invite(dialog_for(req), req, 1.0)
    assert decision.status == 200
    assert decision.sdp is not None and b"m=audio 30000 RTP/AVP 8 101" in decision.sdp
    snap = last_snapshot(rec.take_events())
    assert snap["metadata_error"] is True
    assert snap["metadata"][0]["content_type"] == "application/ +xml"
    assert snap["mapping_confidence"] is None
    assert streams_of(snap) == [("1", 0, None, None, True)]


def test_opensips_without_associations_falls_back_to_document_order() -> None:
    rec = recorder()
    req = body_fixture_request("drachtio-srs__connectel-opensips-offer-body.txt")
    assert rec.on_invite(dialog_for(req), req, 1.0).status == 200
    events = rec.take_events()
    opened = [e.spec for e in events if isinstance(e, StreamOpened)]
    assert [s.remote_rtp for s in opened] == [None, None]  # no c= anywhere
    snap = last_snapshot(events)
    assert snap["mapping_confidence"] == "fallback"
    assert [(s["key"], s["participant_aor"]) for s in snap["streams"]] == [
        ("1", "sip:0771121212@52.57.92.239"),
        ("2", "sip:0760516936@sip-cust1.connectel.io"),
    ]


def test_sonus_reversed_label_order() -> None:
    rec = recorder()
    req = body_fixture_request("drachtio-srs__sonus-sbc-offer-body.txt")
    assert rec.on_invite(dialog_for(req), req, 1.0).status == 200
    snap = last_snapshot(rec.take_events())
    # label 2 is sent by the caller (p1), label 1 by p2: not the naive order
    assert [(s["key"], s["participant_aor"]) for s in snap["streams"]] == [
        ("1", "sip:2249888012@172.16.195.72"),
        ("2", "sip:2249888500@172.16.198.55"),
    ]
    assert snap["mapping_confidence"] == "metadata"


def test_aws_sample_without_boundaries_video_rejected() -> None:
    rec = recorder()
    req = parse_request(corpus("aws-chime-sdk-doc__siprec-example-initial-invite-complete.txt"))
    decision = rec.on_invite(dialog_for(req), req, 1.0)
    assert decision.status == 200
    assert decision.sdp is not None
    assert decision.sdp.count(b"m=video 0 RTP/AVPF 96") == 2
    snap = last_snapshot(rec.take_events())
    assert [(s["key"], s["participant_aor"]) for s in snap["streams"]] == [
        ("96", "sip:alice@atlanta.com"),
        ("98", "sip:bob@biloxy.com"),
    ]
    assert snap["metadata_error"] is True  # <naSRCme> … </name>
    assert snap["headers"]["Session-ID"].startswith("ab30317f1a784dc48ff824d0d3715d86")


# -- re-INVITEs ----------------------------------------------------------------------


def test_sipp_scenario_hold_then_bye() -> None:
    ports = FakePorts()
    rec = recorder(ports)
    invite, ack, reinvite, ack2, bye = sipp_requests("drachtio-srs__sipp-uac_siprec_pcap.xml")
    dialog = dialog_for(invite)
    assert rec.on_invite(dialog, invite, 10.0).status == 200
    rec.on_ack(dialog, ack, 10.1)
    first = rec.take_events()
    assert kinds(first) == ["StreamOpened", "StreamOpened", "SessionSnapshot", "SessionSnapshot"]
    assert last_snapshot(first)["state"] == "active"
    assert [e.spec.remote_rtp for e in first if isinstance(e, StreamOpened)] == [
        ("192.0.2.1", 6000),
        ("192.0.2.1", 60000),
    ]
    # metadata labels 1/2 match no SDP label, and no participant sends: document order
    assert last_snapshot(first)["mapping_confidence"] == "fallback"

    decision = rec.on_reoffer(dialog, reinvite, 20.0)
    assert decision.status == 200
    assert decision.sdp is not None and decision.sdp.count(b"a=inactive") == 2
    assert b"o=srs " in decision.sdp and b" 2 IN IP4 192.0.2.10" in decision.sdp
    rec.on_ack(dialog, ack2, 20.1)
    held = rec.take_events()
    changed = [e.spec for e in held if isinstance(e, StreamChanged)]
    assert [(s.key, s.active, s.local_rtp_port) for s in changed] == [
        ("a_leg", False, 30000),
        ("b_leg", False, 30002),
    ]
    snap = last_snapshot(held)
    assert snap["events"] == [
        {"event": "hold", "key": "a_leg", "at": 20.0},
        {"event": "hold", "key": "b_leg", "at": 20.0},
    ]
    assert len(snap["metadata"]) == 2  # every raw version kept

    assert bye.method == "BYE"  # the endpoint turns it into on_terminated
    rec.on_terminated(dialog, "bye", 30.0)
    end = rec.take_events()
    assert kinds(end) == ["StreamClosed", "StreamClosed", "SessionSnapshot", "RecordingEnded"]
    assert end[-1] == RecordingEnded("rec1", "bye", 30.0)
    snap = last_snapshot(end)
    assert (snap["ended_at"], snap["end_reason"], snap["state"]) == (30.0, "bye", "terminated")
    assert [s["closed_at"] for s in snap["streams"]] == [30.0, 30.0]
    assert ports.held == set()
    assert rec.active_sessions == 0
    assert rec.on_reoffer(dialog, reinvite, 31.0).status == 481


def test_hold_and_resume_events() -> None:
    rec = recorder()
    req = body_fixture_request(CUBE)
    dialog = dialog_for(req)
    rec.on_invite(dialog, req, 1.0)
    rec.on_ack(dialog, with_body(req, "ACK", b"", None), 1.1)
    sdp = (
        b"v=0\r\nc=IN IP4 172.31.93.236\r\nt=0 0\r\n"
        b"m=audio 10292 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=label:1\r\n"
        b"a=%s\r\nm=audio 10294 RTP/AVP 0\r\na=label:2\r\na=sendonly\r\n"
    )
    rec.on_reoffer(dialog, sdp_request(req, "UPDATE", sdp % b"inactive"), 5.0)
    rec.on_reoffer(dialog, sdp_request(req, "UPDATE", sdp % b"sendonly"), 9.0)
    events = rec.take_events()
    changed = [(e.spec.key, e.spec.active) for e in events if isinstance(e, StreamChanged)]
    # stream 2 lost telephone-event (codec change) in the first UPDATE, stream 1 held/resumed
    assert changed == [("1", False), ("2", True), ("1", True)]
    assert last_snapshot(events)["events"] == [
        {"event": "hold", "key": "1", "at": 5.0},
        {"event": "resume", "key": "1", "at": 9.0},
    ]
    assert last_snapshot(events)["state"] == "active"  # UPDATE needs no ACK


def test_oracle_reinvite_adds_a_stream_and_merges_partial_metadata() -> None:
    rec = recorder()

    def wrap(name: str) -> SipRequest:
        headers = Headers(
            [
                ("From", "<sip:sbc@10.0.0.2>;tag=o1"),
                ("To", "<sip:srs@10.0.0.9>"),
                ("Call-ID", "oracle-1"),
                ("Require", "siprec"),
                ("Content-Type", "multipart/mixed;boundary=missing"),
            ]
        )
        return SipRequest("INVITE", "sip:srs@10.0.0.9", headers, corpus(name))

    first = wrap("oracle-sbc-doc__sample-sdp-metadata-note1-initial.txt")
    dialog = dialog_for(first)
    assert rec.on_invite(dialog, first, 1.0).status == 200
    rec.on_ack(dialog, with_body(first, "ACK", b"", None), 1.1)
    snap = last_snapshot(rec.take_events())
    assert streams_of(snap) == [("1", 0, None, None, True)]  # label 1 has no sender yet
    decision = rec.on_reoffer(
        dialog, wrap("oracle-sbc-doc__sample-sdp-metadata-note2-reinvite-partial.txt"), 2.0
    )
    assert decision.status == 200
    events = rec.take_events()
    assert kinds(events) == ["StreamOpened", "StreamChanged", "SessionSnapshot"]
    snap = last_snapshot(events)
    assert [(s["key"], s["channel"], s["participant_aor"]) for s in snap["streams"]] == [
        ("1", 0, "sip:service@168.192.24.60"),
        ("2", 1, "sip:sipp@168.192.24.40"),
    ]
    assert [m["received_at"] for m in snap["metadata"]] == [1.0, 2.0]


def test_stream_removed_and_port_released() -> None:
    ports = FakePorts()
    rec = recorder(ports)
    req = body_fixture_request(CUBE)
    dialog = dialog_for(req)
    rec.on_invite(dialog, req, 1.0)
    rec.on_ack(dialog, with_body(req, "ACK", b"", None), 1.1)
    rec.take_events()
    sdp = (
        b"v=0\r\nc=IN IP4 172.31.93.236\r\nt=0 0\r\n"
        b"m=audio 10292 RTP/AVP 0\r\na=label:1\r\na=sendonly\r\n"
        b"m=audio 0 RTP/AVP 0\r\na=label:2\r\n"
    )
    decision = rec.on_reoffer(dialog, sdp_request(req, "INVITE", sdp), 3.0)
    assert decision.sdp is not None and b"m=audio 0 RTP/AVP 0\r\n" in decision.sdp
    events = rec.take_events()
    assert StreamClosed("rec1", "2") in events
    assert ports.held == {30000}
    snap = last_snapshot(events)
    assert [(s["key"], s["open"], s["closed_at"]) for s in snap["streams"]] == [
        ("1", True, None),
        ("2", False, 3.0),
    ]


def test_reinvite_without_sdp_then_answer_in_ack() -> None:
    rec = recorder()
    req = body_fixture_request(CUBE)
    dialog = dialog_for(req)
    rec.on_invite(dialog, req, 1.0)
    rec.on_ack(dialog, with_body(req, "ACK", b"", None), 1.1)
    rec.take_events()
    decision = rec.on_reoffer(dialog, with_body(req, "INVITE", b"", None), 2.0)
    assert decision.status == 200
    assert decision.sdp is not None
    assert b"o=srs " in decision.sdp and b" 2 IN IP4 192.0.2.10\r\n" in decision.sdp
    assert decision.sdp.count(b"a=recvonly") == 2
    # glare: a new offer while ours is outstanding
    glare = rec.on_reoffer(
        dialog, sdp_request(req, "UPDATE", b"v=0\r\nm=audio 1 RTP/AVP 0\r\n"), 2.5
    )
    assert (glare.status, glare.warning) == (491, "our offer is still waiting for its answer")
    answer = (
        b"v=0\r\nc=IN IP4 172.31.93.240\r\nt=0 0\r\n"
        b"m=audio 11000 RTP/AVP 8\r\na=label:1\r\na=sendonly\r\n"
        b"m=audio 11002 RTP/AVP 0\r\na=label:2\r\na=sendonly\r\n"
    )
    rec.on_ack(dialog, sdp_request(req, "ACK", answer), 3.0)
    events = rec.take_events()
    changed = [e.spec for e in events if isinstance(e, StreamChanged)]
    assert [(s.key, s.codecs[0].encoding, s.remote_rtp, s.local_rtp_port) for s in changed] == [
        ("1", "pcma", ("172.31.93.240", 11000), 30000),
        ("2", "pcmu", ("172.31.93.240", 11002), 30002),
    ]
    assert last_snapshot(events)["state"] == "active"


def test_update_with_metadata_only_remaps_participants() -> None:
    rec = recorder()
    req = body_fixture_request("drachtio-srs__cisco-cube-inactive-sdp-body.txt")
    dialog = dialog_for(req)
    rec.on_invite(dialog, req, 1.0)
    snap = last_snapshot(rec.take_events())
    assert snap["mapping_confidence"] == "fallback"  # empty participantstreamassoc
    p1, p2 = (p["participant_id"] for p in snap["participants"])
    assert [s["participant_id"] for s in snap["streams"]] == [p1, p2]
    # a partial update states the senders, the other way round
    xml = (
        "<?xml version='1.0'?><recording xmlns='urn:ietf:params:xml:ns:recording:1'>"
        "<datamode>partial</datamode>"
        f"<participantstreamassoc participant_id='{p1}'>"
        "<send>GbZGg8aXEeuxzK1dFIaIyA==</send></participantstreamassoc>"
        f"<participantstreamassoc participant_id='{p2}'>"
        "<send>GbZGg8aXEeuxy61dFIaIyA==</send></participantstreamassoc>"
        "</recording>"
    ).encode()
    update = with_body(req, "UPDATE", xml, "application/rs-metadata+xml")
    decision = rec.on_reoffer(dialog, update, 2.0)
    assert (decision.status, decision.sdp) == (200, None)
    events = rec.take_events()
    changed = [(e.spec.key, e.spec.participant_id) for e in events if isinstance(e, StreamChanged)]
    assert changed == [("1", p2), ("2", p1)]
    snap = last_snapshot(events)
    assert snap["mapping_confidence"] == "metadata"
    assert [m["content_type"] for m in snap["metadata"]] == [
        "application/rs-metadata+xml",
        "application/rs-metadata+xml",
    ]


# -- delayed offer -------------------------------------------------------------------


def test_cucm_delayed_offer_answer_in_ack() -> None:
    ports = FakePorts()
    rec = recorder(ports)
    invite = parse_request(corpus("cisco-doc-200788__cucm11.5-bib-invite1-nearend.txt"))
    ack = parse_request(corpus("cisco-doc-200788__cucm11.5-bib-ack-to-recorder-nearend-sdp.txt"))
    dialog = dialog_for(invite)
    decision = rec.on_invite(dialog, invite, 1.0)
    assert decision.status == 200
    assert decision.sdp is not None
    assert decision.sdp.count(b"m=audio ") == 1  # plain trunk call: one stream
    assert b"a=recvonly" in decision.sdp
    first = rec.take_events()
    assert kinds(first) == ["SessionSnapshot"]
    assert last_snapshot(first)["siprec"] is False
    rec.on_ack(dialog, ack, 1.2)
    events = rec.take_events()
    (opened,) = [e.spec for e in events if isinstance(e, StreamOpened)]
    assert (opened.key, opened.local_rtp_port, opened.remote_rtp) == (
        "m0",
        30000,
        ("10.48.38.107", 26396),
    )
    assert opened.telephone_event_pt == 101
    snap = last_snapshot(events)
    assert snap["headers"]["Session-ID"].startswith("0848153900105000a0006c416a369525")
    assert snap["headers"]["Cisco-Guid"] == "0894781184-0000065536-0000000022-0086388750"
    assert snap["state"] == "active"
    rec.on_terminated(dialog, "bye", 5.0)
    assert ports.held == set()


def test_siprec_delayed_offer_offers_two_streams_and_missing_answer_is_noted() -> None:
    ports = FakePorts()
    rec = recorder(ports)
    req = body_fixture_request(CUBE)
    bare = with_body(req, "INVITE", b"", None)
    bare.headers.add("Require", "siprec")
    dialog = dialog_for(bare)
    decision = rec.on_invite(dialog, bare, 1.0)
    assert decision.sdp is not None and decision.sdp.count(b"m=audio ") == 2
    rec.on_ack(dialog, with_body(req, "ACK", b"", None), 1.1)
    snap = last_snapshot(rec.take_events())
    assert snap["notes"] == [
        {"event": "ack-without-answer", "detail": "our offer was not answered", "at": 1.1}
    ]
    assert ports.held == set()


# -- refusals ------------------------------------------------------------------------


def test_session_limit_503_with_retry_after() -> None:
    rec = recorder(max_sessions=1, retry_after=7)
    req = body_fixture_request(CUBE)
    assert rec.can_accept_session(req, 1.0) is None
    rec.on_invite(dialog_for(req), req, 1.0)
    refused = rec.can_accept_session(req, 1.0)
    assert refused is not None
    assert (refused.status, refused.headers, refused.warning) == (
        503,
        [("Retry-After", "7")],
        "session limit reached (max_sessions=1)",
    )
    other = DialogRef("other", "a", "b")
    assert rec.on_invite(other, req, 1.0).status == 503


def test_port_exhaustion_503_on_invite_488_on_reoffer() -> None:
    ports = FakePorts(limit=2)
    rec = recorder(ports)
    req = body_fixture_request(CUBE)
    dialog = dialog_for(req)
    assert rec.on_invite(dialog, req, 1.0).status == 200
    rec.take_events()
    second = rec.on_invite(DialogRef("x", "y", "z"), req, 1.0)
    assert (second.status, second.headers) == (503, [("Retry-After", "5")])
    assert second.warning == "no free RTP port for stream '1'"
    assert rec.take_events() == []
    grow = parse_request(corpus(GENESYS))
    reoffer = with_body(req, "INVITE", grow.body, grow.headers.get("Content-Type"))
    refused = rec.on_reoffer(dialog, reoffer, 2.0)
    assert (refused.status, refused.warning) == (488, "no free RTP port for stream '1006644281'")
    assert ports.held == {30000, 30002}
    assert rec.take_events() == []


def test_unusable_content_type_415_with_accept() -> None:
    rec = recorder()
    req = with_body(body_fixture_request(CUBE), "INVITE", b"hello", "text/plain")
    decision = rec.on_invite(dialog_for(req), req, 1.0)
    assert decision.status == 415
    assert dict(decision.headers)["Accept"].startswith("application/sdp, multipart/mixed")
    assert rec.active_sessions == 0


def test_bad_sdp_400_with_warning() -> None:
    rec = recorder()
    req = with_body(body_fixture_request(CUBE), "INVITE", b"hello", "application/sdp")
    decision = rec.on_invite(dialog_for(req), req, 1.0)
    assert (decision.status, decision.warning) == (
        400,
        "bad SDP: not an SDP body: no v= line and no m= line",
    )


def test_video_only_offer_488_with_reason() -> None:
    rec = recorder()
    sdp = b"v=0\r\nc=IN IP4 10.0.0.1\r\nm=video 4000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
    req = with_body(body_fixture_request(CUBE), "INVITE", sdp, "application/sdp")
    decision = rec.on_invite(dialog_for(req), req, 1.0)
    assert (decision.status, decision.warning) == (
        488,
        "no acceptable media stream: m0: video not recorded (record_video is off)",
    )
    assert rec.take_events() == []


def test_non_siprec_refused_when_configured() -> None:
    rec = recorder(accept_non_siprec=False)
    invite = parse_request(corpus("cisco-doc-200788__cucm11.5-bib-invite1-nearend.txt"))
    decision = rec.on_invite(dialog_for(invite), invite, 1.0)
    assert (decision.status, decision.warning) == (
        403,
        "not a SIPREC session and accept_non_siprec is off",
    )


def test_info_with_metadata_and_unknown_dialog() -> None:
    rec = recorder()
    req = body_fixture_request(CUBE)
    dialog = dialog_for(req)
    rec.on_invite(dialog, req, 1.0)
    rec.take_events()
    meta = with_body(req, "INFO", b"<recording xmlns='urn:ietf:params:xml:ns:recording:1'/>",
                     "application/rs-metadata+xml")  # fmt: skip
    assert rec.on_info(dialog, meta, 2.0).status == 200
    assert len(last_snapshot(rec.take_events())["metadata"]) == 2
    assert rec.on_info(DialogRef("no", "such", "dialog"), meta, 2.0).status == 481


def test_default_recording_ids_are_uuid4_hex() -> None:
    rec = Recorder(FakePorts())
    req = body_fixture_request(CUBE)
    rec.on_invite(dialog_for(req), req, 1.0)
    recording_id = last_snapshot(rec.take_events())["recording_id"]
    assert len(recording_id) == 32 and int(recording_id, 16) >= 0


@pytest.mark.parametrize(
    "name",
    [
        "drachtio-srs__acme-oracle-sbc-offer-body.txt",
        "drachtio-srs__broadworks-offer-2_actually-avaya-sbce-body.txt",
        "drachtio-srs__procomm-sems-offer-body.txt",
        "drachtio-srs__cisco-cube-inactive-sdp-body.txt",
    ],
)
def test_body_fixtures_record_two_streams(name: str) -> None:
    ports = FakePorts()
    rec = recorder(ports)
    req = body_fixture_request(name)
    dialog = dialog_for(req)
    assert rec.on_invite(dialog, req, 1.0).status == 200
    snap = last_snapshot(rec.take_events())
    assert len(snap["streams"]) == 2
    assert all(s["participant_aor"] for s in snap["streams"])
    rec.on_terminated(dialog, "bye", 2.0)
    assert ports.held == set()


def test_srtp_offer_and_rekey_on_reoffer() -> None:
    key1 = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
    key2 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk"
    sdp = (
        "v=0\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\na=label:1\r\n"
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{}|2^31\r\na=sendonly\r\n"
    )
    rec = recorder()
    req = with_body(
        body_fixture_request(CUBE), "INVITE", sdp.format(key1).encode(), "application/sdp"
    )
    dialog = dialog_for(req)
    decision = rec.on_invite(dialog, req, 1.0)
    assert decision.sdp is not None
    assert b"m=audio 30000 RTP/SAVP 0\r\n" in decision.sdp
    assert (
        b"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\r\n"
        in decision.sdp
    )
    (opened,) = [e.spec for e in rec.take_events() if isinstance(e, StreamOpened)]
    assert opened.srtp is not None and opened.srtp.key_params == key1
    rec.on_ack(dialog, with_body(req, "ACK", b"", None), 1.1)
    again = rec.on_reoffer(dialog, sdp_request(req, "INVITE", sdp.format(key2).encode()), 2.0)
    assert again.sdp == decision.sdp  # our side unchanged: same o= version, same key
    (changed,) = [e.spec for e in rec.take_events() if isinstance(e, StreamChanged)]
    assert changed.srtp is not None and changed.srtp.key_params == key2
