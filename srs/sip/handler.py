"""The contract between the SIP endpoint and whatever records calls.

The endpoint owns SIP (transactions, dialogs, CANCEL, session timers, Require checks,
OPTIONS, overload); the handler owns the meaning of a call (SDP offer/answer, SIPREC
metadata, media).  Every callback is synchronous and sans-IO: it gets the request and
``now`` and returns a decision the endpoint turns into SIP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from srs.sip.message import SipRequest


@dataclass(frozen=True)
class DialogRef:
    """Identifies one dialog for the handler: Call-ID plus both tags."""

    call_id: str
    local_tag: str
    remote_tag: str

    @property
    def key(self) -> str:
        return f"{self.call_id};{self.local_tag};{self.remote_tag}"


@dataclass
class Decision:
    """What to answer to an offer (or to an INVITE/UPDATE that carries none).

    ``status`` 200 means accept with ``sdp`` as the body (``sdp`` may be an *offer* when
    the request had no SDP: delayed offer / re-INVITE without SDP).  Any other status is a
    final error response; ``reason`` becomes the reason phrase and ``warning`` a
    ``Warning: 399 <host> "<warning>"`` header.  ``headers`` are extra response headers
    (e.g. ``Retry-After``).
    """

    status: int = 200
    sdp: bytes | None = None
    reason: str | None = None
    warning: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


class CallHandler(Protocol):
    """Callbacks from the SIP endpoint to the recording layer."""

    def can_accept_session(self, request: SipRequest, now: float) -> Decision | None:
        """Admission control before a new dialog is created.

        Return ``None`` to accept, or a ``Decision`` with a 4xx/5xx (e.g. 503 with
        ``Retry-After`` when the session limit is reached).
        """
        ...

    def on_invite(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        """A new INVITE (dialog being established).  Return the answer (or our offer when
        the INVITE has no SDP) or an error status."""
        ...

    def on_reoffer(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        """A re-INVITE or UPDATE inside the dialog (with or without SDP/metadata).
        Without SDP, return the last answer as a new offer."""
        ...

    def on_ack(self, dialog: DialogRef, request: SipRequest, now: float) -> None:
        """ACK for a 2xx.  When our 200 carried an offer the ACK carries the answer."""
        ...

    def on_info(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        """INFO inside a dialog (e.g. DTMF relay or metadata); usually 200."""
        ...

    def on_terminated(self, dialog: DialogRef, reason: str, now: float) -> None:
        """The dialog (or early dialog) ended: ``bye``, ``cancel``, ``session-timer``,
        ``ack-timeout``, ``prack-timeout`` (RFC 3262: our reliable 180 was never
        PRACKed), ``replaced`` (an INVITE with ``Replaces`` took over), ``error``."""
        ...
