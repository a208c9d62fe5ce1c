"""Responses the UAS core, not the transaction layer, must retransmit.

Two responses outlive what the INVITE server transaction resends: the 2xx until its ACK
(RFC 3261 §13.3.1.4: T1, doubling, capped at T2) and a reliable provisional until its
PRACK (RFC 3262 §3: T1, doubling without cap).  Both give up after 64*T1.  One class
holds that arithmetic so the two cannot drift apart; the RFC 3262 header helpers live
next to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from srs.sip.errors import SipParseError
from srs.sip.timers import TimerConfig
from srs.transport import Address

__all__ = ["MAX_RSEQ", "RAck", "Retransmission", "parse_rack"]

#: RSeq values are 1 .. 2**31-1 (RFC 3262 §3, §7.1).
MAX_RSEQ = 2**31 - 1


@dataclass(eq=False)
class Retransmission:
    """Bytes resent to ``dest`` at ``next_at`` until acknowledged or ``give_up_at``."""

    data: bytes
    dest: Address
    interval: float
    next_at: float
    give_up_at: float
    #: Largest interval (T2 for a 2xx); None doubles without bound (reliable 1xx).
    cap: float | None

    @classmethod
    def start(
        cls, data: bytes, dest: Address, timers: TimerConfig, now: float, *, capped: bool
    ) -> Retransmission:
        """First resend at ``now + T1``; give up at ``now + 64*T1``."""
        return cls(
            data,
            dest,
            timers.t1,
            now + timers.t1,
            now + timers.timeout,
            timers.t2 if capped else None,
        )

    def deadline(self) -> float:
        return min(self.next_at, self.give_up_at)

    def expired(self, now: float) -> bool:
        return self.give_up_at <= now

    def due(self, now: float) -> bool:
        return self.next_at <= now

    def advance(self, now: float) -> None:
        """After a resend: the next one an interval later (doubled, maybe capped); a
        late timer never schedules it in the past."""
        self.interval *= 2
        if self.cap is not None:
            self.interval = min(self.interval, self.cap)
        self.next_at += self.interval
        if self.next_at <= now:
            self.next_at = now + self.interval


class RAck(NamedTuple):
    """``RAck: <response-num> <CSeq-num> <method>`` (RFC 3262 §7.2)."""

    rseq: int
    cseq: int
    method: str


def parse_rack(value: str) -> RAck:
    """Parse an RAck value; SipParseError (400) when it is not three fields with two
    numbers in range."""
    fields = value.split()
    if len(fields) != 3 or not all(f.isascii() and f.isdigit() for f in fields[:2]):
        raise SipParseError(f"Malformed RAck header {value!r}", status=400, reason="Bad RAck")
    rseq, cseq = int(fields[0]), int(fields[1])
    if not 1 <= rseq <= MAX_RSEQ or cseq >= 2**31:
        raise SipParseError(f"RAck number out of range in {value!r}", status=400, reason="Bad RAck")
    return RAck(rseq, cseq, fields[2])
