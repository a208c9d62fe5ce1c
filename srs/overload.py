"""Overload detection from event-loop lag: shed new calls before recordings suffer.

Everything srs does for a live call (reading RTP, flushing spools, answering in-dialog
SIP) runs on one event loop.  When new INVITEs arrive faster than the loop can set them
up, the loop falls behind, RTP sockets are read late and, past their buffers, the kernel
drops media of calls that are already being recorded (measured: 21 % of the long-held
calls' packets at 200 new calls/s with 500 up).  A recorder must refuse new work first:
while the loop runs late, new sessions get ``503`` with ``Retry-After`` (cheap: no SDP,
no metadata, no sockets) and SRCs retry or fail over; calls in progress are untouched.

Lag is how late a periodic timer fires.  Sans-IO: the server feeds :meth:`observe`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LagMonitor:
    """Smoothed loop lag with hysteresis: overloaded above ``threshold`` seconds, back
    to normal once under half of it and at least ``hold`` seconds after it began (so
    admission does not flap call by call; SRCs retry after Retry-After anyway)."""

    threshold: float
    smoothing: float = 0.3  # weight of the newest sample in the moving average
    hold: float = 2.0
    lag: float = field(default=0.0, init=False)
    overloaded: bool = field(default=False, init=False)
    episodes: int = field(default=0, init=False)  # times it went overloaded
    since: float = field(default=0.0, init=False)  # when the current episode began

    def __post_init__(self) -> None:
        if self.threshold <= 0:
            raise ValueError("threshold must be positive")
        if not 0 < self.smoothing <= 1:
            raise ValueError("smoothing must be in (0, 1]")

    def observe(self, lag: float, now: float) -> None:
        """One sample at ``now``: how many seconds after its due time the timer ran."""
        self.lag += self.smoothing * (max(0.0, lag) - self.lag)
        if not self.overloaded and self.lag > self.threshold:
            self.overloaded = True
            self.episodes += 1
            self.since = now
        elif self.overloaded and self.lag < self.threshold / 2 and now - self.since >= self.hold:
            self.overloaded = False

    def reason(self) -> str | None:
        """Why new sessions must wait (``None``: they are welcome)."""
        if not self.overloaded:
            return None
        return f"overloaded: event loop {self.lag * 1000:.0f} ms late"
