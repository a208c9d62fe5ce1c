"""Any sequence of in-dialog requests keeps the recorder consistent (ports, events)."""

from __future__ import annotations

import json

from corpus_messages import body_fixture_request, dialog_for, with_body
from hypothesis import given, settings
from hypothesis import strategies as st
from session_fakes import FakePorts, counting_key, id_sequence

from srs.session.plan import (
    RecordingEnded,
    SessionSnapshot,
    StreamChanged,
    StreamClosed,
    StreamOpened,
)
from srs.session.recording import Recorder, RecorderConfig

SDP = (
    "v=0\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
    "m=audio {p1} RTP/AVP {fmt}\r\na=rtpmap:101 telephone-event/8000\r\na=label:1\r\na={d1}\r\n"
    "m=audio {p2} RTP/AVP 0\r\na=label:2\r\na={d2}\r\n"
)
META = b"<recording xmlns='urn:ietf:params:xml:ns:recording:1'><datamode>partial</datamode></recording>"

offers = st.builds(
    lambda p1, p2, fmt, d1, d2: SDP.format(p1=p1, p2=p2, fmt=fmt, d1=d1, d2=d2).encode(),
    st.sampled_from([4000, 0]),
    st.sampled_from([4002, 0]),
    st.sampled_from(["0 101", "8", "97"]),
    st.sampled_from(["sendonly", "inactive", "recvonly", "sendrecv"]),
    st.sampled_from(["sendonly", "inactive"]),
)
steps = st.one_of(
    st.tuples(st.sampled_from(["INVITE", "UPDATE", "ACK"]), offers),
    st.tuples(st.sampled_from(["INVITE", "UPDATE", "ACK", "INFO"]), st.just(b"")),
    st.tuples(st.sampled_from(["UPDATE", "INFO", "INVITE"]), st.just(META)),
    st.tuples(st.just("INVITE"), st.just(b"not sdp")),
    st.tuples(st.just("BYE"), st.just(b"")),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(steps, max_size=12), st.integers(2, 8))
def test_request_sequences(sequence: list[tuple[str, bytes]], port_pairs: int) -> None:
    ports = FakePorts(limit=port_pairs)
    rec = Recorder(
        ports,
        config=RecorderConfig(media_address="192.0.2.10"),
        new_id=id_sequence(),
        random_bytes=counting_key,
    )
    invite = body_fixture_request("drachtio-srs__cisco-cube-offer-body.txt")
    dialog = dialog_for(invite)
    open_keys: set[str] = set()
    ended = False
    now = 0.0
    for method, body in [("-", b""), *sequence, ("BYE", b"")]:
        now += 1.0
        ctype = None
        if body:
            ctype = "application/rs-metadata+xml" if body is META else "application/sdp"
        request = with_body(invite, method, body, ctype)
        if method == "-":
            assert rec.on_invite(dialog, invite, 0.0).status == 200
        elif method == "BYE":
            rec.on_terminated(dialog, "bye", now)
        elif method == "ACK":
            rec.on_ack(dialog, request, now)
        elif method == "INFO":
            assert rec.on_info(dialog, request, now).status in (200, 481)
        else:
            decision = rec.on_reoffer(dialog, request, now)
            assert decision.status in (200, 400, 481, 488, 491)
            if decision.status != 200:
                assert decision.warning
        for event in rec.take_events():
            assert not ended, f"event after the end: {event}"
            if isinstance(event, StreamOpened):
                assert event.spec.key not in open_keys
                open_keys.add(event.spec.key)
                assert event.spec.local_rtp_port in ports.held
            elif isinstance(event, StreamChanged):
                assert event.spec.key in open_keys
                assert event.spec.local_rtp_port in ports.held
            elif isinstance(event, StreamClosed):
                open_keys.remove(event.key)
            elif isinstance(event, SessionSnapshot):
                json.dumps(event.data)
                snap_open = {s["key"] for s in event.data["streams"] if s["open"]}  # type: ignore[union-attr]
                assert snap_open == open_keys
            elif isinstance(event, RecordingEnded):
                ended = True
        session = rec.session(dialog)
        if session is not None:
            assert len(ports.held) >= len(open_keys)
    assert ended and open_keys == set()
    assert ports.held == set()
