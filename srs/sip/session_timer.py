"""Session timers as the UAS sees them (RFC 4028 §9-10), with no clock of their own.

``negotiate`` turns a (re-)INVITE or UPDATE into either the timer to run, a 422 demand,
or nothing; :class:`SessionTimer` says when a refresh is due or when to give up.
"""

from __future__ import annotations

from dataclasses import dataclass

from srs.sip.message import SipRequest

#: RFC 4028 §4: no Session-Expires/Min-SE may be below 90 seconds.
ABSOLUTE_MIN_SE = 90


class SessionTimerError(ValueError):
    """Session-Expires or Min-SE could not be read (answered with 400)."""


@dataclass(frozen=True)
class IntervalTooSmall:
    """Answer 422 with ``Min-SE: min_se``."""

    min_se: int


@dataclass(frozen=True)
class SessionTimer:
    """A negotiated session interval; ``refresher`` is "uac" or "uas" (the UAS is us)."""

    interval: int
    refresher: str
    uac_supports: bool

    def response_headers(self) -> list[tuple[str, str]]:
        """Session-Expires for the 2xx, plus ``Require: timer`` when the UAC supports it."""
        headers = [("Session-Expires", f"{self.interval};refresher={self.refresher}")]
        if self.uac_supports:
            headers.append(("Require", "timer"))
        return headers

    def expiry_deadline(self, refreshed_at: float) -> float:
        """When the non-refresher sends BYE: interval minus min(32, interval/3) (§10)."""
        return refreshed_at + self.interval - min(32.0, self.interval / 3)

    def refresh_deadline(self, refreshed_at: float) -> float:
        """When the refresher refreshes: half the interval (§10 recommends it)."""
        return refreshed_at + self.interval / 2


def _delta(value: str, name: str) -> tuple[int, str | None]:
    head, _, params = value.partition(";")
    head = head.strip()
    if not head.isdigit() or not head.isascii() or len(head) > 10:
        raise SessionTimerError(f"Invalid {name} header {value!r}")
    refresher = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "refresher":
            refresher = val.strip().lower()
            if refresher not in ("uac", "uas"):
                raise SessionTimerError(f"Invalid refresher parameter in {name} {value!r}")
    return int(head), refresher


def uac_supports_timer(request: SipRequest) -> bool:
    tags = request.headers.get_all("Supported") + request.headers.get_all("Require")
    return any(tag.lower() == "timer" for tag in tags)


def negotiate(
    request: SipRequest,
    *,
    min_se: int,
    default_interval: int,
    previous: SessionTimer | None = None,
) -> SessionTimer | IntervalTooSmall | None:
    """Decide the session timer for a session-creating or refreshing request (§9).

    Below our Min-SE (never less than 90) is a 422.  Without Session-Expires we add our
    own interval (or keep ``previous``) only when the UAC supports timers, so that it is
    the refresher; a UAC that does not know timers and got none from a proxy runs none.
    """
    floor = max(min_se, ABSOLUTE_MIN_SE)
    supports = uac_supports_timer(request)
    raw_min = request.headers.get("Min-SE")
    peer_min = _delta(raw_min, "Min-SE")[0] if raw_min is not None else ABSOLUTE_MIN_SE
    raw = request.headers.get("Session-Expires")
    if raw is not None:
        interval, refresher = _delta(raw, "Session-Expires")
        if interval < floor:
            return IntervalTooSmall(floor)
        if not supports:
            refresher = "uas"
        return SessionTimer(interval, refresher or "uac", supports)
    if not supports:
        return None
    if previous is not None:
        return SessionTimer(previous.interval, "uac", True)
    return SessionTimer(max(default_interval, peer_min, floor), "uac", True)
