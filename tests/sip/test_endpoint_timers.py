"""Timer work does not grow with idle calls: ``get_timer`` reads a heap and
``handle_timer`` touches only calls and transactions whose deadline is due.

Counters wrap the per-call and per-transaction timer methods; with 10,000 established,
idle calls present the counts must equal the number of *due* owners, not the number of
calls.  A heap/state consistency check guards against a deadline changed without being
re-filed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from test_endpoint import OFFER, Uac, sip, statuses

from srs.sip import endpoint as endpoint_module
from srs.sip.endpoint import SipEndpoint
from srs.sip.message import SipResponse, parse_message
from srs.sip.transaction import TransactionMachine

IDLE = 10_000


def establish(uac: Uac, index: int, now: float, *, ack: bool = True) -> None:
    """One call straight through ``receive`` (INVITE, then ACK for its 200)."""
    invite = sip("INVITE", call_id=f"c{index}", branch=f"z9hG4bK-i{index}", body=OFFER)
    uac.ep.receive(parse_message(invite), uac.source, now)
    ok = parse_message(uac.ep.take_outgoing()[-1].data)
    assert isinstance(ok, SipResponse) and ok.status == 200
    if ack:
        ack_bytes = sip("ACK", call_id=f"c{index}", branch=f"z9hG4bK-a{index}", to_tag=ok.to.tag)
        uac.ep.receive(parse_message(ack_bytes), uac.source, now)


def count_calls(
    monkeypatch: pytest.MonkeyPatch, owner: type, name: str, counts: Counter[str]
) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        counts[f"{owner.__name__}.{name}"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)


def check_heap(ep: SipEndpoint) -> None:
    """Every live call's filed deadline is the one its state implies (white box)."""
    for call in ep._calls.values():
        assert ep._timers.deadline(call) == call.next_deadline(), call.dialog.call_id
    assert len(ep._timers) <= len(ep._calls)
    layer = ep.layer
    for stx in layer.server.values():
        assert layer._timers.deadline(stx) == stx.machine.get_timer()
    for ctx in layer.client.values():
        assert layer._timers.deadline(ctx) == ctx.machine.get_timer()


def test_timers_touch_only_due_calls_among_10000_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    uac = Uac()
    for i in range(IDLE):
        establish(uac, i, 0.0)
    for i in range(IDLE, IDLE + 3):  # three calls whose 200 still waits for its ACK
        establish(uac, i, 1.0, ack=False)
    check_heap(uac.ep)
    counts: Counter[str] = Counter()
    count_calls(monkeypatch, endpoint_module._Call, "next_deadline", counts)
    count_calls(monkeypatch, SipEndpoint, "_call_timers", counts)
    count_calls(monkeypatch, TransactionMachine, "get_timer", counts)
    count_calls(monkeypatch, TransactionMachine, "handle_timer", counts)

    assert uac.ep.get_timer() == 1.5  # the three 2xx retransmissions
    assert counts == Counter()  # no call or transaction was asked for its deadline

    assert statuses(uac.tick(1.5)) == [200, 200, 200]
    assert counts["SipEndpoint._call_timers"] == 3
    assert counts["_Call.next_deadline"] == 3  # re-filing the three after they ran
    assert counts["TransactionMachine.handle_timer"] == 0  # every INVITE tx waits for L
    assert counts["TransactionMachine.get_timer"] == 0
    assert uac.ep.get_timer() == 2.5

    # A packet costs what it costs on an endpoint without calls.
    options = sip("OPTIONS", branch="z9hG4bK-o")
    empty = Uac()
    counts.clear()
    empty.ep.receive(parse_message(options), empty.source, 1.6)
    empty.ep.get_timer()
    baseline = counts.copy()
    counts.clear()
    uac.ep.receive(parse_message(options), uac.source, 1.6)
    uac.ep.get_timer()
    assert counts == baseline and counts["_Call.next_deadline"] == 0
    monkeypatch.undo()
    check_heap(uac.ep)


def test_timer_l_of_many_transactions_fires_in_one_tick() -> None:
    """The INVITE transactions' timer L (64*T1) is due for all calls at once: one
    ``handle_timer`` ends them all and leaves nothing filed for them."""
    uac = Uac()
    for i in range(200):
        establish(uac, i, 0.0)
    assert uac.ep.get_timer() == 32.0
    assert len(uac.ep.layer.server) == 200
    uac.tick(32.0)
    assert uac.ep.layer.server == {}
    assert uac.ep.get_timer() is None and len(uac.ep.layer._timers) == 0
    assert uac.ep.calls == 200
