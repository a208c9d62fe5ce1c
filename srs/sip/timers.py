"""RFC 3261 timer values (§17, table 4) computed from T1/T2/T4 in one place.

Transactions and the UAS core both need them; keeping the arithmetic here means a test can
check every timer against the RFC table once, and reliable transports get their zero
values from the same function instead of scattered ``if reliable`` branches.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Timer D lower bound on unreliable transports (RFC 3261 §17.1.1.2: "at least 32 seconds").
TIMER_D_UNRELIABLE = 32.0


@dataclass(frozen=True)
class TimerConfig:
    """T1 (RTT estimate), T2 (max non-INVITE retransmit interval), T4 (max network lifetime)."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0

    def __post_init__(self) -> None:
        if not (0 < self.t1 <= self.t2) or self.t4 <= 0:
            raise ValueError(f"invalid SIP timers T1={self.t1} T2={self.t2} T4={self.t4}")

    @property
    def timeout(self) -> float:
        """64*T1: timers B, F, H, L, M and the 2xx-without-ACK give-up time."""
        return 64 * self.t1

    def duration(self, name: str, reliable: bool) -> float | None:
        """Initial duration of timer ``name`` ("A".."M"); None when not started at all.

        Retransmission timers (A, E, G) are not used on reliable transports; the
        wait-for-stragglers timers (D, I, J, K) are zero there (RFC 3261 table 4).
        """
        if name in ("A", "E", "G"):
            return None if reliable else self.t1
        if name in ("B", "F", "H", "L", "M"):
            return self.timeout
        if name == "D":
            return 0.0 if reliable else max(TIMER_D_UNRELIABLE, self.timeout)
        if name in ("I", "K"):
            return 0.0 if reliable else self.t4
        if name == "J":
            return 0.0 if reliable else self.timeout
        raise ValueError(f"unknown SIP timer {name!r}")

    def backoff(self, name: str, previous: float) -> float:
        """Next retransmission interval: A doubles without bound, E and G cap at T2."""
        if name == "A":
            return previous * 2
        if name in ("E", "G"):
            return min(previous * 2, self.t2)
        raise ValueError(f"timer {name!r} does not back off")
