"""Random request/response/garbage sequences against SipEndpoint: it never raises, never
hits an internal error, never sends two different final answers to one request, tells
the handler about each dialog's end at most once, and keeps its timer heap in step with
every call's and transaction's deadlines.  With ``answer_delay`` the 180 may be reliable
(``Require: 100rel``) and PRACKs may name it."""

from __future__ import annotations

import logging
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_endpoint_timers import check_heap

from srs.sip.endpoint import EndpointConfig, SipEndpoint
from srs.sip.errors import SipParseError
from srs.sip.handler import Decision, DialogRef
from srs.sip.message import SipRequest, SipResponse, parse_message
from srs.transport import Address

SRC = Address("udp", "127.0.0.2", 5062)
SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


class Handler:
    def __init__(self, decisions: list[int], early_end: bool = False) -> None:
        self.decisions = decisions
        #: With answer_delay a dialog can end (CANCEL, no PRACK) before on_invite.
        self.early_end = early_end
        self.invited: list[DialogRef] = []
        self.terminated: Counter[DialogRef] = Counter()

    def _decision(self) -> Decision:
        status = self.decisions.pop(0) if self.decisions else 200
        if status == 0:
            raise RuntimeError("handler bug")
        return Decision(status, SDP if status < 300 else None)

    def can_accept_session(self, request: SipRequest, now: float) -> Decision | None:
        return None

    def on_invite(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        self.invited.append(dialog)
        return self._decision()

    def on_reoffer(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        assert dialog in self.invited and not self.terminated[dialog]
        return self._decision()

    def on_ack(self, dialog: DialogRef, request: SipRequest, now: float) -> None:
        assert dialog in self.invited and not self.terminated[dialog]

    def on_info(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        return self._decision()

    def on_terminated(self, dialog: DialogRef, reason: str, now: float) -> None:
        assert dialog in self.invited or self.early_end
        self.terminated[dialog] += 1


METHODS = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "UPDATE", "INFO", "PRACK", "MESSAGE", "XYZ"]
EXTRA = [
    (),
    (("Require", "timer"),),
    (("Require", "100relsiprec"),),
    (("Session-Expires", "90"), ("Supported", "timer")),
    (("Session-Expires", "30"),),
    (("Session-Expires", "x;refresher=me"),),
    (("Min-SE", "abc"), ("Supported", "timer")),
    (("Content-Encoding", "gzip"),),
    (("Replaces", "c1;to-tag=0000000000000001;from-tag=ft"),),
    (("Replaces", "c2;to-tag=0000000000000001;from-tag=ft;early-only"),),
    (("Replaces", "c2"),),
    (("Require", "100rel"),),
    (("RAck", "known"),),
    (("RAck", "1 1 INVITE"),),
]

request_op = st.fixed_dictionaries(
    {
        "method": st.sampled_from(METHODS),
        "to_tag": st.sampled_from([None, "known", "bogus"]),
        "cseq": st.integers(1, 4),
        "branch": st.sampled_from(["z9hG4bKa", "z9hG4bKb", "z9hG4bKc", "nocookie"]),
        "call": st.sampled_from(["c1", "c2"]),
        "body": st.sampled_from([b"", SDP, b"\x00\xff junk"]),
        "extra": st.sampled_from(EXTRA),
        "transport": st.sampled_from(["UDP", "TCP"]),
    }
)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("request"), request_op),
        st.tuples(st.just("advance"), st.floats(0.0, 70.0)),
        st.tuples(st.just("answer"), st.sampled_from([200, 408, 481, 500])),
        st.tuples(st.just("garbage"), st.binary(max_size=60)),
        st.tuples(st.just("mangle"), st.integers(0, 400)),
    ),
    max_size=25,
)


def build(op: dict[str, object], tags: list[str], rseqs: list[str] | None = None) -> bytes:
    method = str(op["method"])
    to_tag = op["to_tag"]
    tag = tags[-1] if to_tag == "known" and tags else ("bogus" if to_tag else None)
    body = op["body"]
    assert isinstance(body, bytes)
    lines = [
        f"{method} sip:srs@127.0.0.1 SIP/2.0",
        f"Via: SIP/2.0/{op['transport']} 127.0.0.2:5062;branch={op['branch']}",
        "From: <sip:a@127.0.0.2>;tag=ft",
        "To: <sip:srs@127.0.0.1>" + (f";tag={tag}" if tag else ""),
        f"Call-ID: {op['call']}",
        f"CSeq: {op['cseq']} {method}",
        "Contact: <sip:a@127.0.0.2:5062>;+sip.src",
    ]
    extra = op["extra"]
    assert isinstance(extra, tuple)
    known_rack = f"{rseqs[-1] if rseqs else 1} 1 INVITE"
    lines += [f"{n}: {known_rack if v == 'known' else v}" for n, v in extra]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    script=ops,
    decisions=st.lists(st.sampled_from([200, 200, 486, 0]), max_size=6),
    answer_delay=st.sampled_from([0.0, 0.0, 1.0]),
)
def test_endpoint_survives_any_sequence(
    script: list[tuple[str, object]],
    decisions: list[int],
    answer_delay: float,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.clear()
    keep = []  # keeps transactions alive so that id() stays unique
    handler = Handler(list(decisions), early_end=answer_delay > 0)
    counter = iter(range(1, 10**6))
    config = EndpointConfig(t1=0.5, answer_delay=answer_delay)
    ep = SipEndpoint(config, handler, token=lambda n: f"{next(counter):0{2 * n}x}")
    now = 0.0
    tags: list[str] = []
    rseqs: list[str] = []
    last_request: SipRequest | None = None
    last_data = b""
    finals: dict[int, set[int]] = {}  # per live server transaction
    with caplog.at_level(logging.WARNING, logger="srs.sip"):
        for kind, value in script:
            message: SipRequest | SipResponse | SipParseError | None = None
            if kind == "request":
                assert isinstance(value, dict)
                last_data = build(value, tags, rseqs)
                message = parse_message(last_data)
            elif kind == "advance":
                assert isinstance(value, float)
                now += value
                ep.handle_timer(now)
            elif kind == "answer" and last_request is not None:
                assert isinstance(value, int)
                names = ("Via", "From", "To", "Call-ID", "CSeq")
                echo = "".join(
                    f"{n}: {v}\r\n" for n, v in last_request.headers.items() if n in names
                )
                message = parse_message(f"SIP/2.0 {value} X\r\n{echo}\r\n".encode())
            elif kind in ("garbage", "mangle"):
                data = (
                    value
                    if isinstance(value, bytes)
                    else last_data[: int(str(value))] + b"\r\n\r\n"
                )
                try:
                    message = parse_message(data)
                except SipParseError as exc:
                    message = exc
            if message is not None:
                ep.receive(message, SRC, now)
            for out in ep.take_outgoing():
                sent = parse_message(out.data)
                if isinstance(sent, SipRequest):
                    last_request = sent
                    continue
                if sent.to.tag and sent.to.tag not in tags and sent.cseq.method == "INVITE":
                    tags.append(sent.to.tag)
                if (rseq := sent.headers.get("RSeq")) is not None:
                    rseqs.append(rseq)
            for tx in ep.layer.server.values():
                keep.append(tx)
                if tx.last_response is not None and tx.last_response.status >= 200:
                    finals.setdefault(id(tx), set()).add(tx.last_response.status)
            deadline = ep.get_timer()
            assert deadline is None or deadline > now or kind != "advance"
            check_heap(ep)
    assert "internal error" not in caplog.text
    assert all(len(codes) == 1 for codes in finals.values()), finals
    assert all(count == 1 for count in handler.terminated.values())
