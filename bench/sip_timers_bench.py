"""Micro-benchmark: SipEndpoint.get_timer / handle_timer cost against the number of calls.

The I/O loop calls ``get_timer`` after every packet and ``handle_timer`` at every tick.
This builds an endpoint with N established (ACKed, idle) calls plus one call whose 200
still waits for its ACK (so every tick has exactly one due call), then times:

* ``get_timer``: the heap (current code) vs the old scan of every call and transaction;
* ``handle_timer`` at a tick where one call is due: heap vs the old loop over all.

The "old" columns re-run the pre-heap algorithm (kept here, in ``legacy_*``) over the same
state, so both are measured on one machine in one process.

Run: ``.venv/bin/python bench/sip_timers_bench.py [N ...]`` (default 100 1000 10000).
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable

from srs.sip.endpoint import EndpointConfig, SipEndpoint
from srs.sip.handler import Decision, DialogRef
from srs.sip.message import SipRequest, SipResponse, parse_message
from srs.transport import Address

SRC = Address("udp", "127.0.0.2", 5062)
SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


class Handler:
    """Accepts everything at once."""

    def can_accept_session(self, request: SipRequest, now: float) -> Decision | None:
        return None

    def on_invite(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        return Decision(200, SDP)

    def on_reoffer(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        return Decision(200, SDP)

    def on_ack(self, dialog: DialogRef, request: SipRequest, now: float) -> None:
        pass

    def on_info(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        return Decision()

    def on_terminated(self, dialog: DialogRef, reason: str, now: float) -> None:
        pass


def request(method: str, index: int, to_tag: str | None = None) -> bytes:
    to = "<sip:srs@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    body = SDP if method == "INVITE" else b""
    lines = [
        f"{method} sip:srs@127.0.0.1 SIP/2.0",
        f"Via: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK-{method}-{index}",
        "From: <sip:src@127.0.0.2>;tag=src",
        f"To: {to}",
        f"Call-ID: bench-{index}",
        f"CSeq: 1 {method}",
        "Contact: <sip:src@127.0.0.2:5062>",
        "Supported: timer",
        *(["Content-Type: application/sdp"] if body else []),
        f"Content-Length: {len(body)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def build(calls: int) -> SipEndpoint:
    ep = SipEndpoint(EndpointConfig(), Handler())
    for i in range(calls + 1):
        ep.receive(parse_message(request("INVITE", i)), SRC, 0.0)
        ok = parse_message(ep.take_outgoing()[-1].data)
        assert isinstance(ok, SipResponse) and ok.status == 200
        if i < calls:  # the last call never gets its ACK: one due call per tick
            ep.receive(parse_message(request("ACK", i, ok.to.tag)), SRC, 0.0)
    ep.take_outgoing()
    return ep


def legacy_get_timer(ep: SipEndpoint) -> float | None:
    """The pre-heap algorithm: every call's deadlines, then every transaction's."""
    deadlines = [t for call in ep._calls.values() if (t := call.next_deadline()) is not None]
    machines = [tx.machine for tx in ep.layer.server.values()]
    machines += [tx.machine for tx in ep.layer.client.values()]
    deadlines += [t for m in machines if (t := m.get_timer()) is not None]
    return min(deadlines, default=None)


def legacy_handle_timer(ep: SipEndpoint, now: float) -> None:
    """The pre-heap loop: ask every transaction and every call whether it is due."""
    layer = ep.layer
    for stx in list(layer.server.values()):
        layer._run(stx, stx.machine.handle_timer(now))
    for ctx in list(layer.client.values()):
        layer._run(ctx, ctx.machine.handle_timer(now))
    for call in list(ep._calls.values()):
        ep._call_timers(call, now)


def per_call_us(fn: Callable[[], object], budget: float = 0.3, most: int = 10**9) -> float:
    """Mean µs per call of ``fn`` over about ``budget`` seconds (``most`` calls at most)."""
    runs, start = 0, time.perf_counter()
    while (time.perf_counter() - start < budget or runs < 3) and runs < most:
        fn()
        runs += 1
    return (time.perf_counter() - start) / runs * 1e6


def ticks(ep: SipEndpoint, handle: Callable[[SipEndpoint, float], None]) -> Callable[[], None]:
    """A closure that runs one tick at the due call's next deadline."""

    def tick() -> None:
        now = ep.get_timer()
        assert now is not None and now < 32.0, "bench outlived the ACK give-up time"
        handle(ep, now)
        ep.take_outgoing()

    return tick


def main(sizes: list[int]) -> None:
    print(
        f"{'calls':>7} {'get_timer heap':>15} {'old scan':>10} {'handle_timer heap':>18} {'old loop':>10}"
    )
    for size in sizes:
        ep = build(size)
        new_get = per_call_us(ep.get_timer)
        old_get = per_call_us(functools.partial(legacy_get_timer, ep))
        assert legacy_get_timer(ep) == ep.get_timer()
        # Each tick resends the unACKed 200 (0.5, 1.5, 3.5 ... 31.5 s): ten ticks before
        # the 32 s give-up, so each variant gets a fresh endpoint and ten ticks.
        new_tick = per_call_us(ticks(ep, SipEndpoint.handle_timer), budget=1.0, most=10)
        ep = build(size)
        old_tick = per_call_us(ticks(ep, legacy_handle_timer), budget=1.0, most=10)
        print(
            f"{size:>7} {new_get:>13.2f}µs {old_get:>8.0f}µs {new_tick:>16.1f}µs {old_tick:>8.0f}µs"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000, 10000])
