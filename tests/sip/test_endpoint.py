"""SipEndpoint driven with wire bytes and a fake CallHandler; time only moves by ``now``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from srs.sip.endpoint import EndpointConfig, SipEndpoint
from srs.sip.errors import SipParseError
from srs.sip.handler import Decision, DialogRef
from srs.sip.message import SipRequest, SipResponse, parse_message
from srs.sip.transaction import Address

SRC = Address("udp", "127.0.0.2", 5062)
TCP_SRC = Address("tcp", "127.0.0.2", 40000, 17)
OFFER = b"v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n"
ANSWER = b"v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=recvonly\r\n"
CONFIG = EndpointConfig(addresses={"udp": ("127.0.0.1", 5060), "tcp": ("127.0.0.1", 5060)})


def sip(
    method: str,
    *,
    call_id: str = "call-1",
    branch: str | None = None,
    cseq: int = 1,
    cseq_method: str | None = None,
    to_tag: str | None = None,
    body: bytes = b"",
    content_type: str = "application/sdp",
    headers: tuple[tuple[str, str], ...] = (),
    transport: str = "UDP",
    sent_by: str = "127.0.0.2:5062",
    via_params: str = "",
    uri: str = "sip:srs@127.0.0.1:5060",
    contact: str | None = "<sip:src@127.0.0.2:5062>;+sip.src",
) -> bytes:
    """A request as a SIPREC client would send it."""
    branch = branch or f"z9hG4bK-{method}-{cseq}"
    to = "<sip:srs@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    lines = [
        f"{method} {uri} SIP/2.0",
        f"Via: SIP/2.0/{transport} {sent_by};branch={branch}{via_params}",
        "Max-Forwards: 70",
        "From: <sip:src@127.0.0.2>;tag=src-tag",
        f"To: {to}",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} {cseq_method or method}",
    ]
    if contact and method not in ("ACK", "CANCEL", "BYE"):
        lines.append(f"Contact: {contact}")
    lines += [f"{name}: {value}" for name, value in headers]
    if body:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class FakeHandler:
    """Records every callback; decisions and failures are set per test."""

    events: list[tuple[str, object]] = field(default_factory=list)
    admission: Decision | None = None
    invite: Decision = field(default_factory=lambda: Decision(200, ANSWER))
    reoffer: Decision = field(default_factory=lambda: Decision(200, ANSWER))
    info: Decision = field(default_factory=Decision)
    fail: set[str] = field(default_factory=set)
    requests: list[SipRequest] = field(default_factory=list)

    def _record(self, name: str, value: object) -> None:
        self.events.append((name, value))
        if name in self.fail:
            raise RuntimeError(f"{name} exploded")

    def can_accept_session(self, request: SipRequest, now: float) -> Decision | None:
        self._record("can_accept_session", request.call_id)
        return self.admission

    def on_invite(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        self.requests.append(request)
        self._record("on_invite", dialog)
        return self.invite

    def on_reoffer(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        self.requests.append(request)
        self._record("on_reoffer", request.method)
        return self.reoffer

    def on_ack(self, dialog: DialogRef, request: SipRequest, now: float) -> None:
        self.requests.append(request)
        self._record("on_ack", request.body)

    def on_info(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        self._record("on_info", request.body)
        return self.info

    def on_terminated(self, dialog: DialogRef, reason: str, now: float) -> None:
        self._record("on_terminated", reason)

    def names(self) -> list[str]:
        return [name for name, _ in self.events]


class Uac:
    """The peer: feeds bytes to the endpoint and reads what comes back."""

    def __init__(self, config: EndpointConfig = CONFIG, source: Address = SRC) -> None:
        self.handler = FakeHandler()
        tokens = iter(range(1, 10**6))
        self.ep = SipEndpoint(config, self.handler, token=lambda n: f"{next(tokens):0{2 * n}x}")
        self.source = source

    def send(
        self, data: bytes, now: float = 0.0, source: Address | None = None
    ) -> list[SipResponse | SipRequest]:
        try:
            message: SipRequest | SipResponse | SipParseError = parse_message(data)
        except SipParseError as exc:
            message = exc
        self.ep.receive(message, source or self.source, now)
        return self.out()

    def out(self) -> list[SipResponse | SipRequest]:
        self.sent = self.ep.take_outgoing()
        return [parse_message(o.data) for o in self.sent]

    def tick(self, now: float) -> list[SipResponse | SipRequest]:
        self.ep.handle_timer(now)
        return self.out()

    def establish(
        self, *, headers: tuple[tuple[str, str], ...] = (), body: bytes = OFFER
    ) -> SipResponse:
        replies = self.send(sip("INVITE", body=body, headers=headers))
        ok = replies[-1]
        assert isinstance(ok, SipResponse) and ok.status == 200, ok
        self.to_tag = ok.to.tag
        return ok

    def ack(
        self, now: float = 0.1, cseq: int = 1, body: bytes = b""
    ) -> list[SipResponse | SipRequest]:
        return self.send(sip("ACK", cseq=cseq, to_tag=self.to_tag, body=body), now)


def statuses(messages: list[SipResponse | SipRequest]) -> list[int | str]:
    return [m.status if isinstance(m, SipResponse) else m.method for m in messages]


def only(messages: list[SipResponse | SipRequest]) -> SipResponse:
    assert len(messages) == 1, statuses(messages)
    (message,) = messages
    assert isinstance(message, SipResponse)
    return message


# ---------------------------------------------------------------- INVITE


def test_invite_gets_100_then_200_with_everything_a_srs_answers() -> None:
    uac = Uac()
    headers = (
        ("Record-Route", "<sip:p1.invalid;lr>, <sip:p2.invalid;lr>"),
        ("Supported", "timer, 100rel"),
        ("Require", "siprec"),
    )
    replies = uac.send(sip("INVITE", body=OFFER, headers=headers))
    assert statuses(replies) == [100, 200]
    trying, ok = replies
    assert isinstance(trying, SipResponse) and isinstance(ok, SipResponse)
    assert trying.to.tag is None
    assert ok.to.tag and ok.body == ANSWER and ok.headers.get("Content-Type") == "application/sdp"
    assert ok.headers.get("Contact") == "<sip:127.0.0.1:5060>;+sip.srs"
    assert ok.headers.get_all("Record-Route") == ["<sip:p1.invalid;lr>", "<sip:p2.invalid;lr>"]
    assert ok.headers.get_all("Allow") == [
        "INVITE",
        "ACK",
        "BYE",
        "CANCEL",
        "OPTIONS",
        "UPDATE",
        "INFO",
        "PRACK",
    ]
    assert ok.headers.get_all("Supported") == ["siprec", "timer", "100rel", "replaces"]
    assert "application/rs-metadata+xml" in ok.headers.get_all("Accept")
    assert ok.headers.get("Session-Expires") == "1800;refresher=uac"
    assert ok.headers.get_all("Require") == ["timer"]
    assert ok.headers.get("Server") == "srs/0.1"
    assert [dest.dest for dest in uac.sent] == [SRC, SRC]
    assert uac.handler.names() == ["can_accept_session", "on_invite"]
    ref = uac.handler.events[1][1]
    assert ref == DialogRef("call-1", ok.to.tag, "src-tag")
    assert uac.ep.calls == 1


def test_contact_without_src_feature_tag_and_tcp_transport() -> None:
    uac = Uac(source=TCP_SRC)
    ok = only(
        uac.send(
            sip("INVITE", body=OFFER, transport="TCP", contact="<sip:src@127.0.0.2;transport=tcp>")
        )[1:]
    )
    assert ok.headers.get("Contact") == "<sip:127.0.0.1:5060;transport=tcp>"
    assert [o.dest for o in uac.sent] == [TCP_SRC, TCP_SRC]  # same connection


def test_ack_stops_2xx_retransmission_and_reaches_handler() -> None:
    uac = Uac()
    uac.establish()
    assert uac.ep.get_timer() == 0.5
    assert statuses(uac.tick(0.5)) == [200]
    assert uac.ep.get_timer() == 1.5
    assert uac.ack(now=1.0) == []
    assert uac.handler.names()[-1] == "on_ack"
    assert uac.ack(now=1.1) == []  # retransmitted ACK: handler not called again
    assert uac.handler.names().count("on_ack") == 1
    assert statuses(uac.tick(1.5)) == []


def test_2xx_retransmits_t1_doubling_to_t2_then_bye_on_ack_timeout() -> None:
    uac = Uac()
    ok = uac.establish(headers=(("Record-Route", "<sip:rr.invalid;lr>"),))
    times = []
    bye = None
    while (deadline := uac.ep.get_timer()) is not None and deadline <= 32.0:
        for message in uac.tick(deadline):
            if isinstance(message, SipResponse):
                assert message.status == 200 and message.body == ok.body
                times.append(deadline)
            else:
                bye = message
                bye_dest = uac.sent[-1].dest
    assert times == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert isinstance(bye, SipRequest) and bye.method == "BYE"
    assert uac.handler.events[-1] == ("on_terminated", "ack-timeout")
    assert bye.uri == "sip:src@127.0.0.2:5062"
    assert bye.headers.get_all("Route") == ["<sip:rr.invalid;lr>"]
    assert bye_dest == Address("udp", "rr.invalid", 5060)
    assert bye.from_.tag == ok.to.tag and bye.to.tag == "src-tag"
    assert bye.cseq.method == "BYE" and bye.call_id == "call-1"
    assert bye.top_via.host == "127.0.0.1" and bye.top_via.port == 5060
    assert bye.top_via.branch and bye.top_via.branch.startswith("z9hG4bK")
    assert uac.ep.calls == 0


def test_invite_retransmission_is_absorbed() -> None:
    uac = Uac()
    uac.establish()
    assert uac.send(sip("INVITE", body=OFFER), now=0.2) == []
    assert uac.handler.names().count("on_invite") == 1


def test_merged_invite_with_other_branch_is_482() -> None:
    uac = Uac()
    uac.establish()
    assert statuses(uac.send(sip("INVITE", body=OFFER, branch="z9hG4bKfork"), 0.1)) == [100, 482]


def test_delayed_offer_invite_gets_offer_and_ack_carries_answer() -> None:
    uac = Uac()
    ok = uac.establish(body=b"")
    assert ok.body == ANSWER  # our offer
    uac.ack(body=OFFER)
    assert uac.handler.events[-1] == ("on_ack", OFFER)


def test_admission_refused_is_503_with_retry_after_and_warning() -> None:
    uac = Uac()
    uac.handler.admission = Decision(
        503, reason="Busy Recording", warning='too many "calls"', headers=[("Retry-After", "30")]
    )
    reply = uac.send(sip("INVITE", body=OFFER))[-1]
    assert isinstance(reply, SipResponse)
    assert (reply.status, reply.reason) == (503, "Busy Recording")
    assert reply.headers.get("Retry-After") == "30"
    assert reply.headers.get("Warning") == '399 127.0.0.1 "too many \\"calls\\""'
    assert reply.to.tag
    assert uac.handler.names() == ["can_accept_session"]
    assert uac.ep.calls == 0


def test_handler_error_status_and_ack_of_it_absorbed() -> None:
    uac = Uac()
    uac.handler.invite = Decision(488, reason="No Recordable Media", warning="no audio")
    reply = only(uac.send(sip("INVITE", body=OFFER))[1:])
    assert (reply.status, reply.reason) == (488, "No Recordable Media")
    assert reply.headers.get("Warning") == '399 127.0.0.1 "no audio"'
    assert uac.ep.calls == 0
    ack = sip("ACK", to_tag=reply.to.tag, branch="z9hG4bK-INVITE-1")
    assert uac.send(ack, 0.1) == []
    assert "on_ack" not in uac.handler.names()
    assert statuses(uac.tick(0.5)) == []  # Timer G stopped by the ACK


def test_non_2xx_final_is_retransmitted_by_timer_g() -> None:
    uac = Uac()
    uac.handler.invite = Decision(486)
    uac.send(sip("INVITE", body=OFFER))
    assert statuses(uac.tick(0.5)) == [486]
    assert statuses(uac.tick(1.5)) == [486]


@pytest.mark.parametrize("where", ["on_invite", "can_accept_session"])
def test_handler_exception_is_500_and_logged(where: str, caplog: pytest.LogCaptureFixture) -> None:
    uac = Uac()
    uac.handler.fail.add(where)
    with caplog.at_level(logging.ERROR):
        reply = uac.send(sip("INVITE", body=OFFER))[-1]
    assert isinstance(reply, SipResponse) and reply.status == 500
    assert f"{where} exploded" in caplog.text
    if where == "on_invite":
        assert uac.handler.events[-1] == ("on_terminated", "error")
    assert uac.ep.calls == 0


def test_invalid_decision_status_is_500() -> None:
    uac = Uac()
    uac.handler.invite = Decision(180)
    assert statuses(uac.send(sip("INVITE", body=OFFER))) == [100, 500]


# ---------------------------------------------------------------- Require / body / URI


@pytest.mark.parametrize(
    ("require", "unsupported"),
    [
        ("foo", "foo"),
        ("siprec, bar", "bar"),
        ("100relsiprec", "100relsiprec"),
        ("sec-agree, baz", "sec-agree, baz"),
    ],
)
def test_require_not_understood_is_420(require: str, unsupported: str) -> None:
    uac = Uac()
    reply = uac.send(sip("INVITE", body=OFFER, headers=(("Require", require),)))[-1]
    assert isinstance(reply, SipResponse) and reply.status == 420
    assert ", ".join(reply.headers.get_all("Unsupported")) == unsupported
    assert uac.handler.events == []


def test_require_everything_we_understand_is_fine() -> None:
    uac = Uac()
    replies = uac.send(
        sip("INVITE", body=OFFER, headers=(("Require", "siprec, timer, 100rel, replaces"),))
    )
    assert statuses(replies) == [100, 200]


def test_require_applies_to_other_methods_too() -> None:
    uac = Uac()
    reply = only(uac.send(sip("OPTIONS", headers=(("Require", "nope"),))))
    assert reply.status == 420 and reply.headers.get("Unsupported") == "nope"


def test_unknown_body_type_is_415_with_accept() -> None:
    uac = Uac()
    reply = uac.send(sip("INVITE", body=b"hello", content_type="text/plain"))[-1]
    assert isinstance(reply, SipResponse) and reply.status == 415
    assert reply.headers.get_all("Accept")[0] == "application/sdp"
    encoded = uac.send(
        sip(
            "INVITE",
            call_id="c2",
            branch="z9hG4bKgz",
            body=b"x",
            headers=(("Content-Encoding", "gzip"),),
        )
    )[-1]
    assert isinstance(encoded, SipResponse) and encoded.status == 415
    assert encoded.headers.get("Accept-Encoding") == "identity"


def test_unsupported_uri_scheme_is_416() -> None:
    uac = Uac()
    assert statuses(uac.send(sip("OPTIONS", uri="http://127.0.0.1/"))) == [416]


# ---------------------------------------------------------------- session timers (RFC 4028)


@pytest.mark.parametrize(
    ("min_se", "expires", "code", "header"),
    [
        (90, "60", 422, "90"),
        (90, "89;refresher=uac", 422, "90"),
        (300, "200", 422, "300"),
        (300, "300", 200, None),
    ],
)
def test_session_expires_below_min_se_is_422(
    min_se: int, expires: str, code: int, header: str | None
) -> None:
    uac = Uac(EndpointConfig(min_se=min_se))
    reply = uac.send(
        sip("INVITE", body=OFFER, headers=(("Session-Expires", expires), ("Supported", "timer")))
    )[-1]
    assert isinstance(reply, SipResponse) and reply.status == code
    assert reply.headers.get("Min-SE") == header


@pytest.mark.parametrize(
    ("headers", "session_expires", "require"),
    [
        (
            (("Session-Expires", "1000;refresher=uas"), ("Supported", "timer")),
            "1000;refresher=uas",
            ["timer"],
        ),
        ((("Session-Expires", "1000"), ("Supported", "timer")), "1000;refresher=uac", ["timer"]),
        (
            (("Session-Expires", "1000;refresher=uac"),),
            "1000;refresher=uas",
            [],
        ),  # UAC can't refresh
        ((("Supported", "timer"), ("Min-SE", "2000")), "2000;refresher=uac", ["timer"]),
        ((), None, []),
    ],
)
def test_session_timer_negotiation(
    headers: tuple[tuple[str, str], ...], session_expires: str | None, require: list[str]
) -> None:
    ok = Uac().establish(headers=headers)
    assert ok.headers.get("Session-Expires") == session_expires
    assert ok.headers.get_all("Require") == require


def test_malformed_session_expires_is_400() -> None:
    reply = Uac().send(sip("INVITE", body=OFFER, headers=(("Session-Expires", "soon"),)))[-1]
    assert isinstance(reply, SipResponse) and reply.status == 400
    assert "Invalid Session-Expires header 'soon'" in (reply.headers.get("Warning") or "")


def test_no_refresh_before_expiry_sends_bye() -> None:
    uac = Uac()
    uac.establish(headers=(("Session-Expires", "90"), ("Supported", "timer")))
    uac.ack()
    assert statuses(uac.tick(33.0)) == []  # transaction timers run out
    assert uac.ep.get_timer() == pytest.approx(60.0)  # 90 - min(32, 90/3)
    assert statuses(uac.tick(59.9)) == []
    assert statuses(uac.tick(60.0)) == ["BYE"]
    assert uac.handler.events[-1] == ("on_terminated", "session-timer")


def test_reinvite_and_update_refresh_the_session_timer() -> None:
    uac = Uac()
    uac.establish(headers=(("Session-Expires", "120"), ("Supported", "timer")))
    uac.ack()
    timer_headers = (("Session-Expires", "120"), ("Supported", "timer"))
    reinvite = sip("INVITE", cseq=2, to_tag=uac.to_tag, body=OFFER, headers=timer_headers)
    ok = uac.send(reinvite, 50.0)[-1]
    assert isinstance(ok, SipResponse) and ok.status == 200
    assert ok.headers.get("Session-Expires") == "120;refresher=uac"
    uac.send(sip("ACK", cseq=2, to_tag=uac.to_tag), 50.1)
    assert statuses(uac.tick(88.0)) == []  # the first deadline (120 - 32) has moved
    update = sip("UPDATE", cseq=3, to_tag=uac.to_tag, headers=timer_headers)
    assert statuses(uac.send(update, 100.0)) == [200]
    assert statuses(uac.tick(138.0)) == []  # nor is the re-INVITE's deadline kept
    assert uac.ep.get_timer() == pytest.approx(100.0 + 88)
    assert statuses(uac.tick(187.9)) == []
    assert statuses(uac.tick(188.0)) == ["BYE"]


def test_update_refresh_below_min_se_is_422() -> None:
    uac = Uac()
    uac.establish()
    uac.ack()
    reply = only(
        uac.send(sip("UPDATE", cseq=2, to_tag=uac.to_tag, headers=(("Session-Expires", "30"),)))
    )
    assert reply.status == 422 and reply.headers.get("Min-SE") == "90"


def test_we_refresh_with_update_when_uac_lacks_timer_support() -> None:
    uac = Uac()
    uac.establish(headers=(("Session-Expires", "100"),))
    uac.ack()
    assert statuses(uac.tick(49.9)) == []
    (update,) = uac.tick(50.0)
    assert isinstance(update, SipRequest) and update.method == "UPDATE"
    assert update.headers.get("Session-Expires") == "100;refresher=uas"
    assert update.body == b"" and update.headers.get("Contact") == "<sip:127.0.0.1:5060>"
    # The peer's 481 says the dialog is gone: end it without BYE.
    text = f"SIP/2.0 481 Call Does Not Exist\r\n{_echo(update)}Content-Length: 0\r\n\r\n"
    assert uac.send(text.encode(), 50.1) == []
    assert uac.handler.events[-1] == ("on_terminated", "session-timer")


def test_refresh_answered_200_keeps_the_call() -> None:
    uac = Uac()
    uac.establish(headers=(("Session-Expires", "100"),))
    uac.ack()
    (update,) = uac.tick(50.0)
    assert isinstance(update, SipRequest)
    uac.send(f"SIP/2.0 200 OK\r\n{_echo(update)}Content-Length: 0\r\n\r\n".encode(), 50.1)
    assert statuses(uac.tick(99.9)) == [] and uac.ep.calls == 1
    assert statuses(uac.tick(100.0)) == ["UPDATE"]


def _echo(request: SipRequest) -> str:
    """Via/From/To/Call-ID/CSeq of ``request`` as a response would copy them."""
    names = ("Via", "From", "To", "Call-ID", "CSeq")
    return "".join(f"{n}: {v}\r\n" for n, v in request.headers.items() if n in names)


# ---------------------------------------------------------------- CANCEL / BYE


def test_cancel_for_unknown_invite_is_481() -> None:
    assert statuses(Uac().send(sip("CANCEL", branch="z9hG4bKnothing"))) == [481]


def test_cancel_after_200_is_answered_200_and_changes_nothing() -> None:
    uac = Uac()
    ok = uac.establish()
    reply = only(uac.send(sip("CANCEL", branch="z9hG4bK-INVITE-1"), 0.1))
    assert reply.status == 200 and reply.to.tag == ok.to.tag
    assert uac.ep.calls == 1 and "on_terminated" not in uac.handler.names()


def test_cancel_before_final_gives_487_and_terminates() -> None:
    """A CANCEL that overtakes the handler's answer (re-entrant here; async in future)."""
    uac = Uac()
    cancelled: list[list[SipResponse | SipRequest]] = []

    def on_invite(dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        uac.handler.events.append(("on_invite", dialog))
        cancelled.append(uac.send(sip("CANCEL", branch="z9hG4bK-INVITE-1"), now))
        return Decision(200, ANSWER)

    uac.handler.on_invite = on_invite  # type: ignore[method-assign]
    after = uac.send(sip("INVITE", body=OFFER))
    assert statuses(cancelled[0]) == [100, 200, 487]
    cancel_ok, invite_487 = cancelled[0][1:]
    assert isinstance(cancel_ok, SipResponse) and cancel_ok.cseq.method == "CANCEL"
    assert isinstance(invite_487, SipResponse) and invite_487.cseq.method == "INVITE"
    assert cancel_ok.to.tag == invite_487.to.tag
    assert after == []  # the late 200 is not sent: the INVITE already has its final answer
    assert uac.handler.events[-1] == ("on_terminated", "cancel")
    assert uac.ep.calls == 0


def test_bye_ends_the_call_and_retransmission_is_absorbed() -> None:
    uac = Uac()
    uac.establish()
    uac.ack()
    bye = sip("BYE", cseq=2, to_tag=uac.to_tag)
    assert statuses(uac.send(bye, 5.0)) == [200]
    assert uac.handler.events[-1] == ("on_terminated", "bye")
    assert statuses(uac.send(bye, 5.5)) == [200]  # resent from the transaction
    assert uac.handler.names().count("on_terminated") == 1


def test_bye_before_ack_also_ends_and_stops_retransmission() -> None:
    uac = Uac()
    uac.establish()
    assert statuses(uac.send(sip("BYE", cseq=2, to_tag=uac.to_tag), 0.2)) == [200]
    assert statuses(uac.tick(0.5)) == []


def test_bye_for_unknown_dialog_is_481() -> None:
    assert statuses(Uac().send(sip("BYE", to_tag="nope"))) == [481]
    assert statuses(Uac().send(sip("BYE"))) == [481]  # no To tag: no dialog


# ---------------------------------------------------------------- re-INVITE / UPDATE


def test_reinvite_calls_on_reoffer_and_waits_for_ack() -> None:
    uac = Uac()
    uac.establish()
    uac.ack()
    replies = uac.send(
        sip("INVITE", cseq=2, to_tag=uac.to_tag, body=OFFER, contact="<sip:moved@127.0.0.9>"), 5.0
    )
    assert statuses(replies) == [100, 200]
    assert uac.handler.events[-1] == ("on_reoffer", "INVITE")
    assert statuses(uac.tick(5.5)) == [200]
    uac.send(sip("ACK", cseq=2, to_tag=uac.to_tag), 5.6)
    assert uac.handler.names()[-1] == "on_ack"
    # Target refresh: the dialog's remote target is the new Contact.
    (dialog,) = uac.ep.dialogs
    assert dialog.remote_target == "sip:moved@127.0.0.9"


def test_reinvite_while_previous_invite_unacked_is_491() -> None:
    uac = Uac()
    uac.establish()
    reply = uac.send(sip("INVITE", cseq=2, to_tag=uac.to_tag, body=OFFER), 0.2)[-1]
    assert isinstance(reply, SipResponse) and reply.status == 491
    assert "on_reoffer" not in uac.handler.names()


def test_lower_cseq_in_dialog_is_500() -> None:
    uac = Uac()
    uac.establish()
    uac.ack()
    uac.send(sip("INFO", cseq=5, to_tag=uac.to_tag), 1.0)
    reply = only(uac.send(sip("INFO", cseq=4, to_tag=uac.to_tag), 1.1))
    assert reply.status == 500


def test_reinvite_rejected_by_handler_keeps_the_dialog() -> None:
    uac = Uac()
    uac.establish()
    uac.ack()
    uac.handler.reoffer = Decision(488, warning="bad offer")
    reply = uac.send(sip("INVITE", cseq=2, to_tag=uac.to_tag, body=OFFER), 1.0)[-1]
    assert isinstance(reply, SipResponse) and reply.status == 488
    assert uac.ep.calls == 1


def test_update_with_sdp_gets_answer() -> None:
    uac = Uac()
    uac.establish()
    uac.ack()
    reply = only(uac.send(sip("UPDATE", cseq=2, to_tag=uac.to_tag, body=OFFER), 1.0))
    assert reply.status == 200 and reply.body == ANSWER
    assert reply.headers.get("Contact") == "<sip:127.0.0.1:5060>;+sip.srs"
    assert uac.handler.events[-1] == ("on_reoffer", "UPDATE")


def test_update_without_sdp_is_a_bare_refresh() -> None:
    uac = Uac()
    uac.establish()
    uac.ack()
    reply = only(uac.send(sip("UPDATE", cseq=2, to_tag=uac.to_tag), 1.0))
    assert reply.status == 200 and reply.body == b""
    assert "on_reoffer" not in uac.handler.names()


def test_update_with_offer_while_our_offer_is_unanswered_is_491() -> None:
    uac = Uac()
    uac.establish(body=b"")  # delayed offer: our 200 carries the offer
    reply = only(uac.send(sip("UPDATE", cseq=2, to_tag=uac.to_tag, body=OFFER), 0.2))
    assert reply.status == 491
    uac.ack(body=OFFER)
    assert only(uac.send(sip("UPDATE", cseq=3, to_tag=uac.to_tag, body=OFFER), 0.3)).status == 200


# ---------------------------------------------------------------- other methods


def test_options_out_of_dialog_lists_capabilities() -> None:
    reply = only(Uac().send(sip("OPTIONS")))
    assert reply.status == 200 and reply.to.tag
    assert reply.headers.get_all("Accept") == [
        "application/sdp", "application/rs-metadata+xml", "application/rs-metadata", "multipart/mixed",
    ]  # fmt: skip
    assert reply.headers.get("Accept-Language") == "en"
    assert "siprec" in reply.headers.get_all("Supported")
    assert "INVITE" in reply.headers.get_all("Allow")


def test_options_in_dialog_and_for_a_dead_dialog() -> None:
    uac = Uac()
    uac.establish()
    assert only(uac.send(sip("OPTIONS", cseq=2, to_tag=uac.to_tag), 0.1)).status == 200
    assert only(uac.send(sip("OPTIONS", cseq=3, to_tag="gone"), 0.1)).status == 481


def test_info_goes_to_handler() -> None:
    uac = Uac()
    uac.establish()
    uac.ack()
    dtmf = b"Signal=5\r\nDuration=160\r\n"
    reply = only(
        uac.send(
            sip(
                "INFO", cseq=2, to_tag=uac.to_tag, body=dtmf, content_type="application/dtmf-relay"
            ),
            1.0,
        )
    )
    assert reply.status == 200 and uac.handler.events[-1] == ("on_info", dtmf)
    uac.handler.info = Decision(415)
    assert only(uac.send(sip("INFO", cseq=3, to_tag=uac.to_tag), 1.1)).status == 415
    uac.handler.fail.add("on_info")
    assert only(uac.send(sip("INFO", cseq=4, to_tag=uac.to_tag), 1.2)).status == 500
    assert only(uac.send(sip("INFO", call_id="other"), 1.3)).status == 481


def test_prack_never_matches_a_reliable_provisional() -> None:
    uac = Uac()
    uac.establish()
    reply = only(
        uac.send(sip("PRACK", cseq=2, to_tag=uac.to_tag, headers=(("RAck", "1 1 INVITE"),)), 0.1)
    )
    assert (reply.status, reply.reason) == (481, "No Matching Reliable Provisional")


@pytest.mark.parametrize(
    "method", ["MESSAGE", "SUBSCRIBE", "REFER", "NOTIFY", "PUBLISH", "REGISTER"]
)
def test_methods_we_do_not_serve_are_405_with_allow(method: str) -> None:
    reply = only(Uac().send(sip(method)))
    assert reply.status == 405 and reply.headers.get_all("Allow")[0] == "INVITE"


def test_unknown_method_is_501_with_allow() -> None:
    reply = only(Uac().send(sip("FROBNICATE")))
    assert reply.status == 501 and "BYE" in reply.headers.get_all("Allow")


def test_disallowed_method_by_config_is_405() -> None:
    uac = Uac(EndpointConfig(allowed_methods=("INVITE", "ACK", "BYE", "CANCEL", "OPTIONS")))
    assert only(uac.send(sip("INFO"))).status == 405


# ---------------------------------------------------------------- malformed input & routing


def test_malformed_request_gets_400_with_warning() -> None:
    uac = Uac()
    data = sip("OPTIONS").replace(b"Max-Forwards: 70", b"Max-Forwards: many")
    reply = only(uac.send(data))
    assert (reply.status, reply.reason) == (400, "Bad Request")
    assert reply.headers.get("Warning") == "399 127.0.0.1 \"Invalid Max-Forwards value 'many'\""
    assert reply.to.tag and reply.call_id == "call-1"


def test_unanswerable_garbage_is_dropped() -> None:
    uac = Uac()
    assert uac.send(b"garbage\r\n\r\n") == []
    no_cseq = sip("OPTIONS").replace(b"CSeq: 1 OPTIONS", b"CSeq: one OPTIONS")
    assert uac.send(no_cseq) == []
    response_error = b"SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n"
    assert uac.send(response_error) == []


def test_rport_answers_to_source_port_and_received_is_added() -> None:
    uac = Uac(source=Address("udp", "127.0.0.7", 34567))
    reply = only(uac.send(sip("OPTIONS", sent_by="10.0.0.1:5060", via_params=";rport")))
    assert reply.top_via.received == "127.0.0.7" and reply.top_via.rport == 34567
    assert uac.sent[0].dest == Address("udp", "127.0.0.7", 34567)


def test_without_rport_answers_to_received_at_via_port() -> None:
    uac = Uac(source=Address("udp", "127.0.0.7", 34567))
    only(uac.send(sip("OPTIONS", sent_by="10.0.0.1:5070")))
    assert uac.sent[0].dest == Address("udp", "127.0.0.7", 5070)


def test_tcp_bye_goes_back_on_the_connection() -> None:
    uac = Uac(source=TCP_SRC)
    replies = uac.send(
        sip(
            "INVITE",
            body=OFFER,
            transport="TCP",
            headers=(("Session-Expires", "90"), ("Supported", "timer")),
        )
    )
    ok = replies[-1]
    assert isinstance(ok, SipResponse)
    uac.to_tag = ok.to.tag
    uac.send(sip("ACK", to_tag=uac.to_tag, transport="TCP"), 0.1)
    (bye,) = uac.tick(60.0)
    assert isinstance(bye, SipRequest) and bye.top_via.transport == "TCP"
    assert uac.sent[0].dest == TCP_SRC


def test_receive_never_raises_on_internal_error(caplog: pytest.LogCaptureFixture) -> None:
    uac = Uac()
    uac.ep.layer = None  # type: ignore[assignment]
    with caplog.at_level(logging.ERROR):
        uac.ep.receive(parse_message(sip("OPTIONS")), SRC, 0.0)
        uac.ep.handle_timer(1.0)
    assert "internal error" in caplog.text


METADATA = b'<?xml version="1.0"?><recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>partial</datamode></recording>'


def multipart(*parts: tuple[str, bytes]) -> bytes:
    out = b""
    for ctype, body in parts:
        out += b"--b1\r\nContent-Type: " + ctype.encode() + b"\r\n\r\n" + body + b"\r\n"
    return out + b"--b1--\r\n"


def test_metadata_only_update_reaches_handler_but_gets_no_sdp() -> None:
    uac = Uac()
    uac.establish(body=b"")  # our 200 is an offer, still unanswered
    update = sip(
        "UPDATE",
        cseq=2,
        to_tag=uac.to_tag,
        body=multipart(("application/rs-metadata+xml", METADATA)),
        content_type="multipart/mixed;boundary=b1",
    )
    reply = only(uac.send(update, 0.2))  # not an offer: no 491 despite our open offer
    assert reply.status == 200 and reply.body == b"" and "Content-Type" not in reply.headers
    assert uac.handler.events[-1] == ("on_reoffer", "UPDATE")


def test_multipart_sdp_update_is_an_offer() -> None:
    uac = Uac()
    uac.establish(body=b"")
    body = multipart(("application/sdp", OFFER), ("application/rs-metadata+xml", METADATA))
    update = sip(
        "UPDATE", cseq=2, to_tag=uac.to_tag, body=body, content_type="multipart/mixed;boundary=b1"
    )
    assert only(uac.send(update, 0.2)).status == 491


def test_siprec_multipart_invite_is_answered_with_sdp() -> None:
    uac = Uac()
    body = multipart(("application/sdp", OFFER), ("application/rs-metadata+xml", METADATA))
    replies = uac.send(
        sip(
            "INVITE",
            body=body,
            content_type="multipart/mixed;boundary=b1",
            headers=(("Require", "siprec"),),
        )
    )
    ok = replies[-1]
    assert isinstance(ok, SipResponse) and ok.status == 200 and ok.body == ANSWER
    assert uac.handler.requests[0].body == body
    uac.to_tag = ok.to.tag
    uac.ack()
    assert uac.handler.events[-1] == ("on_ack", b"")


@pytest.mark.parametrize(
    ("header", "reason"),
    [("Contact: <sip:broken", "Bad Contact"), ("Record-Route: <sip:p1;lr", "Bad Record-Route")],
)
def test_unreadable_contact_or_record_route_is_400(header: str, reason: str) -> None:
    uac = Uac()
    name, _, value = header.partition(": ")
    reply = uac.send(sip("INVITE", body=OFFER, contact=None, headers=((name, value),)))[-1]
    assert isinstance(reply, SipResponse) and (reply.status, reply.reason) == (400, reason)
    assert (reply.headers.get("Warning") or "").startswith('399 127.0.0.1 "Unterminated <URI>')
    assert uac.handler.events == []


def test_a_crashing_call_timer_drops_the_call_instead_of_spinning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    uac = Uac()
    uac.establish()
    (dialog,) = uac.ep.dialogs
    dialog.route_set = ["<not a uri>"]  # corrupt: building the BYE will fail
    with caplog.at_level(logging.ERROR):
        uac.tick(32.0)
    assert "internal error in the timers of call-1" in caplog.text
    assert uac.handler.events[-1] == ("on_terminated", "error")
    assert uac.ep.calls == 0
    deadline = uac.ep.get_timer()
    assert deadline is None or deadline > 32.0


def test_replaces_takes_over_the_named_dialog_and_byes_the_old_one() -> None:
    uac = Uac()
    uac.establish()
    uac.ack()
    replaces = ("Replaces", f"call-1;to-tag={uac.to_tag};from-tag=src-tag")
    replies = uac.send(
        sip("INVITE", call_id="call-2", branch="z9hG4bKnew", body=OFFER, headers=(replaces,)), 1.0
    )
    assert statuses(replies) == [100, 200, "BYE"]
    bye = replies[2]
    assert isinstance(bye, SipRequest) and bye.call_id == "call-1" and bye.from_.tag == uac.to_tag
    assert uac.handler.events[-1] == ("on_terminated", "replaced")
    assert uac.ep.calls == 1


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("call-1;to-tag=nope;from-tag=src-tag", 481),
        ("call-1;to-tag={tag};from-tag=src-tag;early-only", 486),
        ("call-1;from-tag=src-tag", 400),
    ],
)
def test_replaces_that_cannot_apply(value: str, status: int) -> None:
    uac = Uac()
    uac.establish()
    uac.ack()
    header = ("Replaces", value.format(tag=uac.to_tag))
    reply = uac.send(
        sip("INVITE", call_id="call-2", branch="z9hG4bKnew", body=OFFER, headers=(header,)), 1.0
    )[-1]
    assert isinstance(reply, SipResponse) and reply.status == status
    assert uac.ep.calls == 1 and uac.handler.names().count("on_invite") == 1
