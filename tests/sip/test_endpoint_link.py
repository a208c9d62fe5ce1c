"""Two sans-IO peers over a lossy fake link (h11 ``ConnectionPair`` style): a UAC built on
our own TransactionLayer against SipEndpoint, so both sides' retransmissions are real."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from srs.sip.endpoint import EndpointConfig, SipEndpoint
from srs.sip.handler import Decision, DialogRef
from srs.sip.message import SipRequest, SipResponse, make_response, parse_message
from srs.sip.timers import TimerConfig
from srs.sip.transaction import Outgoing, RequestReceived, ResponseReceived, TransactionLayer
from srs.transport import Address

UAC_ADDR = Address("udp", "127.0.0.2", 5062)
SRS_ADDR = Address("udp", "127.0.0.1", 5060)
SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


@dataclass
class Recorder:
    events: list[str] = field(default_factory=list)

    def can_accept_session(self, request: SipRequest, now: float) -> Decision | None:
        return None

    def on_invite(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        self.events.append("invite")
        return Decision(200, SDP)

    def on_reoffer(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        return Decision(200, SDP)

    def on_ack(self, dialog: DialogRef, request: SipRequest, now: float) -> None:
        self.events.append("ack")

    def on_info(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        return Decision()

    def on_terminated(self, dialog: DialogRef, reason: str, now: float) -> None:
        self.events.append(f"terminated:{reason}")


class Link:
    """Delivers both directions; ``drop`` decides per (direction, message) what is lost."""

    def __init__(self, drop: Callable[[str, SipRequest | SipResponse], bool]) -> None:
        self.recorder = Recorder()
        self.srs = SipEndpoint(EndpointConfig(), self.recorder)
        self.uac = TransactionLayer(TimerConfig())
        self.drop = drop
        self.now = 0.0
        self.uac_seen: list[SipRequest | SipResponse] = []
        self.srs_seen: list[SipRequest | SipResponse] = []
        self.answered_bye = False

    def _deliver(self, outs: list[Outgoing], direction: str) -> None:
        for out in outs:
            message = parse_message(out.data)
            if self.drop(direction, message):
                continue
            if direction == "to-srs":
                self.srs_seen.append(message)
                self.srs.receive(message, UAC_ADDR, self.now)
            else:
                self.uac_seen.append(message)
                self._uac_receive(message)

    def _uac_receive(self, message: SipRequest | SipResponse) -> None:
        if isinstance(message, SipResponse):
            event = self.uac.receive_response(message, SRS_ADDR, self.now)
            if isinstance(event, ResponseReceived) and event.response.status == 200:
                if event.response.cseq.method == "INVITE":
                    self.send_ack(event.response)
            return
        got = self.uac.receive_request(message, SRS_ADDR, self.now)
        if isinstance(got, RequestReceived) and got.transaction is not None:
            self.answered_bye = True
            self.uac.respond(got.transaction, make_response(message, 200), self.now)

    def send_ack(self, ok: SipResponse) -> None:
        ack = (
            f"ACK sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bKack\r\n"
            f"From: <sip:a@127.0.0.2>;tag=ft\r\nTo: {ok.headers.get('To')}\r\nCall-ID: link\r\n"
            "CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        self.uac.send_raw(ack.encode(), SRS_ADDR)

    def invite(self, extra: str = "") -> None:
        text = (
            "INVITE sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bKinv\r\n"
            "From: <sip:a@127.0.0.2>;tag=ft\r\nTo: <sip:srs@127.0.0.1>\r\nCall-ID: link\r\n"
            "CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContact: <sip:a@127.0.0.2:5062>;+sip.src\r\n"
            f"Require: siprec\r\n{extra}Content-Type: application/sdp\r\n"
            f"Content-Length: {len(SDP)}\r\n\r\n"
        )
        request = parse_message(text.encode() + SDP)
        assert isinstance(request, SipRequest)
        self.uac.send_request(request, SRS_ADDR, self.now)

    def run(self, until: float) -> None:
        """Exchange everything, then jump to the next timer, until ``until``."""
        while True:
            for _ in range(50):
                a, b = self.uac.take_outgoing(), self.srs.take_outgoing()
                if not a and not b:
                    break
                self._deliver(a, "to-srs")
                self._deliver(b, "to-uac")
            timers = [t for t in (self.uac.get_timer(), self.srs.get_timer()) if t is not None]
            if not timers or min(timers) > until:
                return
            self.now = max(self.now, min(timers))
            self.uac.handle_timer(self.now)
            self.srs.handle_timer(self.now)


def kinds(seen: list[SipRequest | SipResponse]) -> list[str | int]:
    return [m.method if isinstance(m, SipRequest) else m.status for m in seen]


def test_lost_invite_is_resent_by_timer_a() -> None:
    lost: list[SipRequest] = []

    def drop(direction: str, message: SipRequest | SipResponse) -> bool:
        if isinstance(message, SipRequest) and message.method == "INVITE" and not lost:
            lost.append(message)
            return True
        return False

    link = Link(drop)
    link.invite()
    link.run(until=40.0)
    assert kinds(link.srs_seen) == ["INVITE", "ACK"]
    assert link.recorder.events == ["invite", "ack"]


def test_lost_200s_are_retransmitted_until_the_ack_arrives() -> None:
    dropped: list[float] = []

    def drop(direction: str, message: SipRequest | SipResponse) -> bool:
        if isinstance(message, SipResponse) and message.status == 200 and len(dropped) < 2:
            dropped.append(link.now)
            return True
        return False

    link = Link(drop)
    link.invite()
    link.run(until=40.0)
    assert dropped == [0.0, 0.5]
    assert kinds(link.uac_seen) == [100, 200]  # third copy, at 1.5 s
    assert link.recorder.events == ["invite", "ack"]
    assert link.srs.calls == 1


def test_lost_acks_end_in_bye_which_the_uac_answers() -> None:
    link = Link(lambda d, m: isinstance(m, SipRequest) and m.method == "ACK")
    link.invite()
    link.run(until=100.0)
    assert link.recorder.events == ["invite", "terminated:ack-timeout"]
    assert kinds(link.uac_seen)[-1] == "BYE" and link.answered_bye
    assert link.srs.layer.client == {}  # the BYE transaction completed


def test_session_timer_bye_reaches_the_uac() -> None:
    link = Link(lambda d, m: False)
    link.invite("Session-Expires: 90\r\nSupported: timer\r\n")
    link.run(until=200.0)
    assert link.recorder.events == ["invite", "ack", "terminated:session-timer"]
    assert kinds(link.uac_seen) == [100, 200, "BYE"]
    assert link.answered_bye
