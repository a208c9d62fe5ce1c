"""RFC 3262 reliable provisionals: the 180 sent during ``answer_delay`` when the INVITE
requires 100rel, its retransmission, PRACK matching and the final answer waiting for it."""

from __future__ import annotations

import dataclasses

import pytest
from test_endpoint import CONFIG, OFFER, TCP_SRC, Uac, only, sip, statuses

from srs.sip.message import SipRequest, SipResponse

DELAYED = dataclasses.replace(CONFIG, answer_delay=2.0)
REQUIRE_100REL = (("Require", "100rel"), ("Supported", "100rel"))


def ring(uac: Uac, headers: tuple[tuple[str, str], ...] = REQUIRE_100REL) -> SipResponse:
    replies = uac.send(sip("INVITE", body=OFFER, headers=headers), 0.0)
    assert statuses(replies) == [100, 180]
    ringing = replies[1]
    assert isinstance(ringing, SipResponse)
    uac.to_tag = ringing.to.tag
    return ringing


def prack(uac: Uac, rack: str, now: float, cseq: int = 2) -> list[SipResponse | SipRequest]:
    return uac.send(sip("PRACK", cseq=cseq, to_tag=uac.to_tag, headers=(("RAck", rack),)), now)


def rseq_of(response: SipResponse) -> int:
    value = response.headers.get("RSeq")
    assert value is not None
    return int(value)


def test_180_is_reliable_when_invite_requires_100rel() -> None:
    uac = Uac(DELAYED)
    ringing = ring(uac)
    assert ringing.headers.get_all("Require") == ["100rel"]
    assert 1 <= rseq_of(ringing) <= 2**31 - 1
    assert ringing.headers.get("Contact") == "<sip:127.0.0.1:5060>;+sip.srs"
    assert ringing.to.tag


def test_180_without_require_100rel_is_not_reliable_and_not_resent() -> None:
    uac = Uac(DELAYED)
    ringing = ring(uac, headers=(("Supported", "100rel"),))
    assert ringing.headers.get("RSeq") is None and ringing.headers.get("Require") is None
    assert ringing.headers.get("Contact") == "<sip:127.0.0.1:5060>;+sip.srs"  # §12.1.1
    assert uac.ep.get_timer() == 2.0  # only the answer: no retransmission scheduled
    assert statuses(uac.tick(2.0)) == [200]


def test_reliable_180_is_resent_with_t1_doubling_until_prack() -> None:
    uac = Uac(dataclasses.replace(CONFIG, answer_delay=10.0))
    ringing = ring(uac)
    times = []
    while (deadline := uac.ep.get_timer()) is not None and deadline < 8.0:
        for message in uac.tick(deadline):
            assert isinstance(message, SipResponse) and message.status == 180
            assert message.headers.get("RSeq") == ringing.headers.get("RSeq")
            times.append(deadline)
    assert times == [0.5, 1.5, 3.5, 7.5]  # T1, 2T1, 4T1, 8T1: no T2 cap (RFC 3262 §3)
    ok = only(prack(uac, f"{rseq_of(ringing)} 1 INVITE", 8.0))
    assert (ok.status, ok.cseq.method) == (200, "PRACK")
    assert uac.ep.get_timer() == 10.0  # retransmission stopped; the answer is next
    assert statuses(uac.tick(10.0)) == [200]


def test_final_2xx_waits_for_the_prack() -> None:
    uac = Uac(DELAYED)
    ringing = ring(uac)
    for deadline in (0.5, 1.5):
        assert statuses(uac.tick(deadline)) == [180]
    assert statuses(uac.tick(2.0)) == []  # answer time, but the 180 is not PRACKed yet
    assert "on_invite" not in uac.handler.names()
    replies = prack(uac, f"{rseq_of(ringing)} 1 INVITE", 2.2)
    assert statuses(replies) == [200, 200]
    prack_ok, invite_ok = replies
    assert isinstance(prack_ok, SipResponse) and isinstance(invite_ok, SipResponse)
    assert (prack_ok.cseq.method, invite_ok.cseq.method) == ("PRACK", "INVITE")
    assert invite_ok.to.tag == uac.to_tag
    assert uac.handler.names() == ["can_accept_session", "on_invite"]
    assert uac.ack(now=2.3) == []
    assert uac.handler.names()[-1] == "on_ack"


def test_prack_before_answer_time_lets_the_answer_come_on_time() -> None:
    uac = Uac(DELAYED)
    ringing = ring(uac)
    assert statuses(prack(uac, f"{rseq_of(ringing)} 1 INVITE", 0.1)) == [200]
    assert uac.ep.get_timer() == 2.0
    assert statuses(uac.tick(2.0)) == [200]


@pytest.mark.parametrize(
    "rack",
    ["{rseq_plus_1} 1 INVITE", "{rseq} 2 INVITE", "{rseq} 1 UPDATE"],
)
def test_prack_that_matches_nothing_is_481_and_retransmission_goes_on(rack: str) -> None:
    uac = Uac(DELAYED)
    rseq = rseq_of(ring(uac))
    reply = only(prack(uac, rack.format(rseq=rseq, rseq_plus_1=rseq + 1), 0.1))
    assert (reply.status, reply.reason) == (481, "No Matching Reliable Provisional")
    assert statuses(uac.tick(0.5)) == [180]


def test_second_prack_for_an_acknowledged_180_is_481() -> None:
    uac = Uac(DELAYED)
    rseq = rseq_of(ring(uac))
    assert statuses(prack(uac, f"{rseq} 1 INVITE", 0.1)) == [200]
    reply = only(prack(uac, f"{rseq} 1 INVITE", 0.2, cseq=3))
    assert reply.status == 481


def test_prack_retransmission_is_absorbed_by_its_transaction() -> None:
    uac = Uac(DELAYED)
    rseq = rseq_of(ring(uac))
    assert statuses(prack(uac, f"{rseq} 1 INVITE", 0.1)) == [200]
    assert statuses(prack(uac, f"{rseq} 1 INVITE", 0.2)) == [200]  # same branch: resent


@pytest.mark.parametrize("rack", ["", "abc 1 INVITE", "1 INVITE", "0 1 INVITE"])
def test_malformed_rack_is_400_with_warning(rack: str) -> None:
    uac = Uac(DELAYED)
    ring(uac)
    reply = only(prack(uac, rack, 0.1))
    assert (reply.status, reply.reason) == (400, "Bad RAck")
    warning = reply.headers.get("Warning")
    assert warning is not None and "RAck" in warning


def test_no_prack_within_64_t1_rejects_the_invite_with_5xx() -> None:
    uac = Uac(dataclasses.replace(CONFIG, answer_delay=40.0))
    ring(uac)
    sent = []
    while (deadline := uac.ep.get_timer()) is not None and deadline <= 32.0:
        sent += [(deadline, m) for m in uac.tick(deadline)]
    resent = [t for t, m in sent if isinstance(m, SipResponse) and m.status == 180]
    assert resent == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    final = [m for _, m in sent if isinstance(m, SipResponse) and m.status >= 200]
    assert len(final) == 1 and final[0].status == 500
    assert final[0].reason == "Reliable Provisional Not Acknowledged"
    assert final[0].to.tag == uac.to_tag
    assert sent[-1][0] == 32.0
    assert uac.handler.events[-1] == ("on_terminated", "prack-timeout")
    assert "on_invite" not in uac.handler.names()
    assert uac.ep.calls == 0
    ack = sip("ACK", cseq=1, to_tag=uac.to_tag)
    assert uac.send(ack, 32.1) == []  # the ACK for the 500 is absorbed


def test_one_late_tick_runs_every_overdue_deadline_of_a_ringing_call() -> None:
    """A timer that fires long after answer time, retransmission and give-up: one
    ``handle_timer`` rejects the INVITE and leaves no overdue deadline behind."""
    uac = Uac(dataclasses.replace(CONFIG, answer_delay=1.0))
    ring(uac)
    assert [m.status for m in uac.tick(70.0) if isinstance(m, SipResponse)] == [500]
    deadline = uac.ep.get_timer()
    assert deadline is None or deadline > 70.0
    assert uac.handler.events[-1] == ("on_terminated", "prack-timeout")


def test_cancel_while_waiting_for_prack_stops_the_retransmission() -> None:
    uac = Uac(DELAYED)
    ring(uac)
    replies = uac.send(sip("CANCEL", branch="z9hG4bK-INVITE-1"), 0.2)
    assert statuses(replies) == [200, 487]
    assert uac.handler.events[-1] == ("on_terminated", "cancel")
    later = []
    while (deadline := uac.ep.get_timer()) is not None and deadline <= 40.0:
        later += uac.tick(deadline)
    assert later and {m.status for m in later if isinstance(m, SipResponse)} == {487}


def test_reliable_180_over_tcp_goes_on_the_connection() -> None:
    uac = Uac(DELAYED, source=TCP_SRC)
    replies = uac.send(
        sip(
            "INVITE",
            body=OFFER,
            headers=REQUIRE_100REL,
            transport="TCP",
            contact="<sip:src@127.0.0.2;transport=tcp>",
        ),
        0.0,
    )
    assert statuses(replies) == [100, 180]
    assert [o.dest for o in uac.sent] == [TCP_SRC, TCP_SRC]
